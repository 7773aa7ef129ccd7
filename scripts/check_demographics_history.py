"""Normalize every historical version of the demographic files of the state's repository.

Usage::

    python scripts/check_demographics_history.py [--repo GIT_DIR] [--dataset NAME ...]

For each dataset of :data:`mdvax.normalize.demographics.FILES` and each of its files (and the
open-data copies of :data:`~mdvax.normalize.demographics.OPEN_DATA`), every
commit that changed the file is read with ``git show`` and normalized with the commit's time as
the fetch time. Prints, per file, the number of versions, the layouts seen with their first
commit day, the raw group labels seen (padded ones flagged), the versions with quarantined rows
and every failure with its message. It also checks the raw rows with the ``csv`` module: the
versions where some running total is not the sum of that label's daily counts so far, and (age
files) where ``FullyVaccinatedCumulative`` is not second + single. Empty versions are listed
apart (the importer skips them). Exit status 1 when some version fails.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mdvax.datasets import DEMOGRAPHICS  # noqa: E402
from mdvax.errors import EmptySnapshotError, MdvaxError  # noqa: E402
from mdvax.normalize.demographics import FILES, OPEN_DATA, normalize_demographic  # noqa: E402

MIRROR = "/work/.mirror/state-of-maryland+VaccineCSVs/repo"


def git(repo: str, *args: str) -> bytes:
    """Output of a git command in ``repo``."""
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, check=True).stdout


def versions(repo: str, path: str) -> list[tuple[str, datetime]]:
    """``(commit, commit time)`` of every commit that changed ``path``, oldest first."""
    log = git(repo, "log", "--reverse", "--format=%H %cI", "--", path).decode().split()
    return [
        (sha, datetime.fromisoformat(when)) for sha, when in zip(log[::2], log[1::2], strict=True)
    ]


def raw_checks(body: bytes) -> tuple[bool, bool]:
    """Whether some running total differs from its label's summed daily counts, and whether
    some ``FullyVaccinatedCumulative`` differs from second + single (read with ``csv``)."""
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
    names = reader.fieldnames or []
    label_column = next(
        name for name in names if name in ("AgeRange", "Race", "Ethnicity", "Gender")
    )
    daily = {}  # running-total column -> its daily column
    for name in names:
        if name.endswith("Cumulative") and name.startswith(("First", "Second", "Single")):
            plain = name.removesuffix("Cumulative")
            daily[name] = plain if plain in names else f"{plain}Daily"
    sums: dict[tuple[str, str], float] = {}
    summed = fully = False
    for row in reader:
        label = row[label_column].strip()
        values = {name: float(row[name] or 0) for name in names if name.endswith("Cumulative")}
        for name, day_column in daily.items():
            key = (label, name)
            sums[key] = sums.get(key, 0.0) + float(row[day_column] or 0)
            summed |= sums[key] != values[name]
        if "FullyVaccinatedCumulative" in values:
            second, single = (values[f"{n}DailyDoseCumulative"] for n in ("Second", "Single"))
            fully |= values["FullyVaccinatedCumulative"] != second + single
    return summed, fully


def check_file(repo: str, dataset: str, path: str) -> int:
    """Normalize every version of one file, print the summary; the number of failures."""
    history = versions(repo, path)
    layouts: dict[str, str] = {}
    labels: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    empty: list[str] = []
    failures = 0
    for sha, when in history:
        body = git(repo, "show", f"{sha}:{path}")
        try:
            result = normalize_demographic(dataset, body, when)
        except EmptySnapshotError:
            empty.append(f"{when:%Y-%m-%d}")
            continue
        except MdvaxError as error:
            failures += 1
            print(f"  FAIL {when:%Y-%m-%d %H:%M} {sha[:10]} {type(error).__name__}: {error}")
            continue
        layouts.setdefault(result.schema, f"{when:%Y-%m-%d}")
        labels.update(set(result.table["group"]))
        summed, fully = raw_checks(body)
        counts.update(
            {
                "with quarantined rows": int(not result.quarantined.empty),
                "with labels added up": int(any("added up" in note for note in result.notes)),
                "running total != summed daily": int(summed),
                "FullyVaccinatedCumulative != second + single": int(fully),
                "padded labels": int(b"     ," in body),
            }
        )
    print(f"{dataset}: {path}: {len(history)} versions, {failures} failures, empty: {empty}")
    print(f"  layouts (first day): {layouts}")
    print(f"  groups (versions): {dict(sorted(labels.items()))}")
    print(f"  versions: {dict(counts)}")
    return failures


def main() -> int:
    """Check every file of the datasets asked for."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", default=MIRROR, help="the state's repository (a git dir)")
    parser.add_argument("--dataset", action="append", choices=DEMOGRAPHICS)
    args = parser.parse_args()
    failures = 0
    for dataset in args.dataset or DEMOGRAPHICS:
        for path in FILES[dataset] + OPEN_DATA[dataset]:
            failures += check_file(args.repo, dataset, path)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
