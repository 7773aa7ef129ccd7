"""The datasets beyond the county table in ``mdvax history import`` (same pass over the commits).

For each dataset of :mod:`mdvax.normalize.registry`, each publication day on which one of its
files changed gives a vintage: the day's last such commit, read from the file the registry
entry picks (:class:`~mdvax.normalize.registry.Dataset`); for copies of one table the other
copies that commit changed are read too and any disagreement noted. A day on which only a file
the dataset does not read changed adds nothing (``unchanged``). A header-only file
(:class:`~mdvax.errors.EmptySnapshotError`) is never recorded: the previous vintage stays in
force and the summary counts it. Each vintage is its own transaction; a rerun skips the days
already recorded from the same commit.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

from mdvax.errors import EmptySnapshotError, MdvaxError, SourceError
from mdvax.normalize.registry import REGISTRY, Dataset
from mdvax.sources.git import Commit, GitRepository, last_of_each_day

#: Every repository path any dataset reads.
PATHS = tuple(path for entry in REGISTRY.values() for path in entry.files)


class DatasetImportError(SourceError):
    """A commit's file of a dataset could not be imported (names the dataset, commit and file)."""


@dataclass
class Tally:
    """Per dataset: vintages added, skipped (already archived), unchanged, empty (not recorded)."""

    counts: dict[str, Counter] = field(default_factory=dict)
    empty_days: dict[str, list[str]] = field(default_factory=dict)

    def count(self, dataset: str, outcome: str, day: str = "") -> None:
        self.counts.setdefault(dataset, Counter())[outcome] += 1
        if outcome == "empty":
            self.empty_days.setdefault(dataset, []).append(day)

    def lines(self) -> list[str]:
        """One line per dataset for the import summary."""
        out = []
        for name in REGISTRY:
            c = self.counts.get(name, Counter())
            empty = self.empty_days.get(name, [])
            line = (f"history: {name}: {c['added'] + c['replaced']} vintage(s) added, "
                    f"{c['skipped']} already archived, ")  # fmt: skip
            if c["unchanged"]:
                line += f"{c['unchanged']} day(s) with only an unused file changed, "
            if empty:
                shown = ", ".join(empty[:4]) + (", ..." if len(empty) > 4 else "")
                line += (f"{len(empty)} empty file(s) not recorded ({shown}): "
                         "the previous vintage stays in force")  # fmt: skip
            else:
                line += "0 empty"
            out.append(line)
        return out


def jobs(commits: list[Commit]) -> list[tuple[Commit, Dataset]]:
    """``(commit, dataset)`` for each dataset's last commit of each day, in commit order."""
    found = []
    for entry in REGISTRY.values():
        mine = [c for c in commits if c.changed & set(entry.files)]
        found.extend((c, entry) for c in last_of_each_day(mine))
    return sorted(found, key=lambda job: (job[0].when, job[1].name))


def done(archive) -> set[tuple[str, str]]:
    """``(dataset, source)`` of every dataset vintage already archived."""
    return {
        (name, source) for name in REGISTRY for source in archive.dataset_vintages(name)["source"]
    }


def import_one(archive, repository: GitRepository, commit: Commit, entry: Dataset, url: str) -> str:
    """Record ``entry``'s vintage of ``commit``; ``added``, ``replaced``, ``skipped``, ``empty``.

    Raises
    ------
    DatasetImportError
        When the file has unknown columns or impossible values (names dataset, commit, file).
    """
    present = [p for p in entry.files if p in commit.blobs]
    paths = ([p for p in present if p in commit.changed] or present) if entry.copies else present
    if paths[0] not in commit.changed:
        return "unchanged"  # only a file this dataset does not read changed
    paths = paths if entry.copies else paths[:1]
    bodies = dict(zip(paths, (body for _, body in repository.read_blobs(
        commit.blobs[p] for p in paths)), strict=True))  # fmt: skip
    path = paths[0]
    try:
        normalized = entry.normalize(bodies[path], commit.when)
    except EmptySnapshotError:
        return "empty"
    except MdvaxError as error:
        raise DatasetImportError(
            f"{entry.name}: commit {commit.sha[:7]} ({commit.day}), file {path}: {error}"
        ) from error
    notes = list(normalized.notes)
    for other in paths[1:]:
        notes += compare(entry, normalized.table, other, bodies[other], commit)
    sha256 = hashlib.sha256(bodies[path]).hexdigest()
    details = {
        "repository": url, "commit": commit.sha, "committed_at": commit.when.isoformat(),
        "path": path, "sha256": sha256, "layout": normalized.schema,
        "quarantined": len(normalized.quarantined), "notes": notes,
    }  # fmt: skip
    return archive.record_dataset(
        normalized, published=commit.day, fetched_at=commit.when, sha256=sha256,
        source=f"git:{commit.sha}", details=json.dumps(details, sort_keys=True),
    )  # fmt: skip


def compare(entry: Dataset, table, path: str, body: bytes, commit: Commit) -> list[str]:
    """A note when another file of the dataset in the same commit says something else."""
    try:
        other = entry.normalize(body, commit.when).table
    except MdvaxError as error:
        return [f"{path} (not used) could not be read: {error}"]
    if other.shape == table.shape and other.reset_index(drop=True).equals(
        table.reset_index(drop=True)
    ):
        return []
    key = [c for c in ("zip", "date", "group") if c in table]
    merged = table.merge(other, on=key, how="outer", suffixes=("", "_other"), indicator=True)
    only = int((merged["_merge"] != "both").sum())
    both = merged[merged["_merge"] == "both"]
    values = [c for c in table.columns if c not in key]
    differ = int((both[values].to_numpy() != both[[f"{c}_other" for c in values]].to_numpy())
                 .any(axis=1).sum())  # fmt: skip
    return [f"{path} (not used) disagrees: {differ:,} rows differ, {only:,} rows in one file only"]
