"""``mdvax history import``: every vintage in the state's git history, into the archive.

Each publication day (a commit's date in America/New_York; the day's last commit wins) on which
a county file changed becomes a vintage; so does each day on which a file of another dataset
changed (:mod:`mdvax.archive.git_datasets`), in the same pass over the commits. Each vintage is
its own archive transaction, so a process killed at any moment leaves every vintage before it
recorded and nothing half-written; a rerun skips the commits already archived (their
``git:<sha>`` source) and completes the import. The cache's current table is never touched.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mdvax.archive import git_datasets
from mdvax.config import Settings, get_settings
from mdvax.errors import MdvaxError, SourceError
from mdvax.sources.base import RawSnapshot
from mdvax.sources.git import (
    COUNTY_FILE,
    PATHS,
    PIVOT_FILE,
    Commit,
    GitRepository,
    last_of_each_day,
)


class CommitImportError(SourceError):
    """A commit's county file could not be imported (names the commit and the file)."""


@dataclass(frozen=True)
class ImportResult:
    """What an import did: counts for the final lines (``datasets``: one line per dataset)."""

    added: int
    skipped: int
    revised: int
    seconds: float
    datasets: tuple[str, ...] = ()

    def summary(self) -> str:
        if not self.added:
            county = (
                f"history: nothing to add ({self.skipped} vintage(s) already archived), "
                f"{self.seconds:.1f} s"
            )
        else:
            county = (
                f"history: {self.added} vintage(s) added, {self.revised:,} values revised, "
                f"{self.skipped} already archived, in {self.seconds:.1f} s"
            )
        return "\n".join([county, *self.datasets])


def repository_folder(settings: Settings, url: str) -> Path:
    """Where the blobless clone of ``url`` is kept: ``<data_dir>/git/<name>.git``."""
    name = url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") or "repository"
    return settings.data_dir / "git" / f"{name}.git"


def import_history(
    repo: str | None = None,
    since: date | None = None,
    until: date | None = None,
    settings: Settings | None = None,
    progress: bool = False,
) -> ImportResult:
    """Import the history of every dataset in ``repo`` (default ``settings.maryland_git_url``).

    One pass over the commits that changed any dataset's file, oldest first: the county files
    (this module) and every dataset of :mod:`mdvax.normalize.registry`
    (:mod:`mdvax.archive.git_datasets`), each vintage in its own transaction.

    Raises
    ------
    GitError
        No ``git`` binary, not a git repository, network failure.
    MdvaxError
        A commit's file has an unknown schema or bogus rows: the message names the commit and
        file; every vintage recorded before it is kept.
    """
    from tqdm.auto import tqdm

    from mdvax.archive import Archive

    settings = settings or get_settings()
    url = _as_url(repo or settings.maryland_git_url)
    started = time.monotonic()
    repository = GitRepository(url, repository_folder(settings, url))
    repository.sync()
    every = [
        c
        for c in repository.commits((*PATHS, *git_datasets.PATHS))
        if (since is None or c.day >= since) and (until is None or c.day <= until)
    ]
    commits = last_of_each_day([c for c in every if c.changed & set(PATHS)])
    tally = git_datasets.Tally()
    with Archive.open(settings.archive_url) as archive:
        done = set(archive.vintages()["source"])
        todo = [(c, None) for c in commits if f"git:{c.sha}" not in done]
        done = git_datasets.done(archive)
        for commit, entry in git_datasets.jobs(every):
            if (entry.name, f"git:{commit.sha}") in done:
                tally.count(entry.name, "skipped")
            else:
                todo.append((commit, entry))
        todo.sort(key=lambda job: (job[0].when, job[1].name if job[1] else ""))
        repository.prefetch(_blobs(todo))
        added = revised = 0
        with tqdm(total=len(todo), unit="vintage", desc="import", disable=not progress) as bar:
            for commit, entry in todo:
                if entry is None:
                    summary = _import_commit(archive, repository, commit, url)
                    added += int(summary.added_vintage)
                    revised += summary.n_revised
                else:
                    outcome = git_datasets.import_one(archive, repository, commit, entry, url)
                    tally.count(entry.name, outcome, f"{commit.day}")
                bar.update(1)
    seconds = time.monotonic() - started
    return ImportResult(added, len(commits) - added, revised, seconds, tuple(tally.lines()))


def _blobs(todo) -> set[str]:
    """Blobs the jobs read: the county files present, each dataset's changed or present files."""
    wanted: set[str] = set()
    for commit, entry in todo:
        paths = PATHS if entry is None else entry.files
        wanted.update(blob for path, blob in commit.blobs.items() if path in paths)
    return wanted


def _as_url(repo: str) -> str:
    """A URL git understands; local paths become absolute ``file://`` URLs (so filters apply)."""
    if "://" in repo or repo.startswith("git@"):
        return repo
    path = Path(repo).expanduser().resolve()
    if not path.exists():
        raise SourceError(f"no such repository: {path}")
    return path.as_uri()


def _import_commit(archive, repository: GitRepository, commit: Commit, url: str):
    """Record one commit's county table as a vintage (the ArcGIS-style file when present)."""
    from mdvax.normalize import normalize
    from mdvax.normalize.quality import daily_cumulative_notes, layout

    paths = [p for p in (COUNTY_FILE, PIVOT_FILE) if p in commit.blobs]
    bodies = dict(zip(paths, (body for _, body in repository.read_blobs(
        commit.blobs[p] for p in paths)), strict=True))  # fmt: skip
    path = paths[0]
    where = f"commit {commit.sha[:7]} ({commit.day}), file {path}"
    snapshot = RawSnapshot(bodies[path], f"git:{commit.sha}", url, "csv", fetched_at=commit.when)
    try:
        normalized = normalize(snapshot)
        notes = daily_cumulative_notes(bodies[path])
        if len(paths) == 2:
            notes += _compare_pivot(normalized.table, bodies[PIVOT_FILE], commit)
    except MdvaxError as error:
        raise CommitImportError(f"{where}: {error}") from error
    header = bodies[path].split(b"\n", 1)[0].decode("utf-8-sig", "replace").strip().split(",")
    details = {
        "repository": url,
        "commit": commit.sha,
        "committed_at": commit.when.isoformat(),
        "path": path,
        "sha256": snapshot.sha256,
        "layout": layout(header),
        "quarantined": len(normalized.quarantined),
        "notes": notes,
    }
    return archive.record_vintage(
        normalized.table,
        published=commit.day,
        fetched_at=commit.when,
        sha256=snapshot.sha256,
        source=f"git:{commit.sha}",
        details=json.dumps(details, sort_keys=True),
    )


def _compare_pivot(table, pivot: bytes, commit: Commit) -> list[str]:
    """A note when the pivot file of the same commit says something else (never a failure)."""
    from mdvax.archive.diff import revised
    from mdvax.normalize import normalize

    try:
        other = normalize(RawSnapshot(pivot, "git", "", "csv", fetched_at=commit.when)).table
    except MdvaxError as error:
        return [f"{PIVOT_FILE} could not be read for comparison: {error}"]
    differences = revised(other, table, ["first_dose", "second_dose", "single_dose"])
    extra = set(map(tuple, other[["county", "date"]].astype(str).to_numpy())) ^ set(
        map(tuple, table[["county", "date"]].astype(str).to_numpy())
    )
    if differences.empty and not extra:
        return []
    return [
        f"{PIVOT_FILE} disagrees with {COUNTY_FILE}: {len(differences):,} cumulative values "
        f"differ, {len(extra):,} county-days in only one of them; {COUNTY_FILE} is used"
    ]
