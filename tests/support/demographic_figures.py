"""Expected figures of the demographic fixtures, read with the ``csv`` module (not mdvax).

The fixtures are the state's files as committed, under ``tests/data/datasets/<day>/``.
"""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, date, datetime

import pandas as pd

from tests.support.data_files import DATA_DIR

FOLDER = DATA_DIR / "datasets"

#: The state's labels in the fixtures and what they mean (written out here, not imported).
MEANING = {
    "age0to9": "0-9", "age10to19": "10-19", "age20to29": "20-29", "age30to39": "30-39",
    "age40to49": "40-49", "age50to59": "50-59", "age60to69": "60-69", "age70to79": "70-79",
    "age80plus": "80+", "11 and Under": "0-11", "12-17": "12-17", "16-17": "16-17",
    "18-49": "18-49", "50-64": "50-64", "65 and Older": "65+",
    "AMERICAN INDIAN OR ALASKAN NATIVE": "American Indian or Alaska Native", "ASIAN": "Asian",
    "BLACK OR AFRICAN AMERICAN": "Black or African American", "WHITE": "White",
    "NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER": "Native Hawaiian or Other Pacific Islander",
    "TWO OR MORE RACES": "Two or more races", "OTHER": "Other", "DATA NOT AVAILABLE": "Unknown",
    "Hispanic or Latino": "Hispanic or Latino", "Not Hispanic or Latino": "Not Hispanic or Latino",
    "Female": "Female", "Male": "Male", "UNKNOWN": "Unknown", "Unknown": "Unknown",
    "Federal Entities": "Federal entities",
}  # fmt: skip


TEN_YEAR = ("0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+")


def raw_bytes(day: str, name: str) -> bytes:
    """The fixture file as the state committed it."""
    return gzip.decompress((FOLDER / day / f"{name}.gz").read_bytes())


def fetched(day: str) -> datetime:
    """Fetch time of a fixture folder: that day, late in the afternoon."""
    return datetime.fromisoformat(day).replace(hour=20, tzinfo=UTC)


def csv_rows(body: bytes) -> list[dict[str, str]]:
    """Rows with a parsed ``day``, the label and the three running totals as integers."""
    rows = []
    for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig"))):
        label = next(v for k, v in row.items() if k in ("AgeRange", "Race", "Ethnicity", "Gender"))
        stamp = row["VACCINATION_DATE"].split(" ")[0]
        day = (
            datetime.strptime(stamp, "%m/%d/%Y").date()
            if "/" in stamp
            else date.fromisoformat(stamp)
        )
        totals = [int(float(v or 0)) for k, v in row.items() if k.endswith("Cumulative")]
        rows.append({"day": day, "label": label.strip(), "totals": totals[:3]})
    return rows


def expected_on(rows: list[dict], day: date) -> dict[str, tuple[int, int, int]]:
    """Per group, the running totals of first, second and single doses on ``day``."""
    last: dict[str, list[int]] = {}
    for row in sorted(rows, key=lambda r: r["day"]):
        if date(2020, 12, 1) <= row["day"] <= day:
            last[row["label"]] = row["totals"]
    groups: dict[str, list[int]] = {}
    for label, totals in last.items():
        into = groups.setdefault(MEANING[label], [0, 0, 0])
        for i, value in enumerate(totals):
            into[i] += value
    return {group: tuple(values) for group, values in groups.items()}


def table_on(table: pd.DataFrame, day: date) -> dict[str, tuple[int, int, int]]:
    """A normalized table's first, second and single doses per group on ``day`` (zeros left out,
    as :func:`expected_on` has no group before its first row)."""
    rows = table[table["date"] == pd.Timestamp(day)]
    return {
        row.group: (row.first_dose, row.second_dose, row.single_dose)
        for row in rows.itertuples()
        if (row.first_dose, row.second_dose, row.single_dose) != (0, 0, 0)
    }


def edit(body: bytes, change) -> bytes:
    """The file with ``change(row_number, row)`` applied to each data row (a list of fields)."""
    rows = list(csv.reader(io.StringIO(body.decode())))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    for number, row in enumerate(rows[1:]):
        change(number, row)
        writer.writerow(row)
    return out.getvalue().encode()
