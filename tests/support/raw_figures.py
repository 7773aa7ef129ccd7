"""Expected figures read straight from the raw CSVs of ``tests/data/`` with the csv module.

An oracle independent of ``mdvax.normalize``: tests compare what mdvax shows with these.
"""

from __future__ import annotations

import csv
import io

from tests.support.data_files import data_file, snapshot_path


def raw_rows(snapshot: str) -> list[dict]:
    """The rows of the snapshot downloaded on ``snapshot`` (``YYYY-MM-DD``), as text."""
    return list(csv.DictReader(io.StringIO(snapshot_path(snapshot).read_text("utf-8-sig"))))


def cumulative_by_label(snapshot: str, day: str, column: str) -> dict[str, int]:
    """Each source county label's last cumulative ``column`` value on or before ``day``.

    Labels are unpadded; ``""`` is the blank county, ``"Unknown"`` stays separate.
    """
    latest: dict[str, tuple[str, int]] = {}
    for row in raw_rows(snapshot):
        when = row["VACCINATION_DATE"][:10].replace("/", "-")
        label = row["County"].strip()
        if when <= day and when >= latest.get(label, ("", 0))[0]:
            latest[label] = (when, int(row[column] or 0))
    return {label: value for label, (_, value) in latest.items()}


def raw_population(name: str) -> int:
    """2019 population of a county (or ``State``) from the Census file."""
    with data_file("md_population_2019.csv").open(encoding="utf-8-sig", newline="") as fh:
        return next(int(r["Population"]) for r in csv.DictReader(fh) if r["County"] == name)
