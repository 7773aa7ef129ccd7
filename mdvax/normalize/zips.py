"""``Vax_ZIP_CODE_FirstSecondSingle_Totals_Raw.csv`` -> the ``zip`` dataset (one row per ZIP).

The file is a cumulative snapshot, one row per ZIP code of the whole country, with the people
who received a first, second or single dose and the state's own ``AtleastOneDose`` and
``FullyVaccinated``. Those two are blank whenever any dose column is blank (a ZIP with no single
doses, say), so both are recomputed from the doses (blank = 0): at least one dose = first +
single, fully vaccinated = second + single; where the state's figures are given, they are
compared and any difference is noted. Maryland's ZIPs (20600-21999) are kept, and ZIP ``0``
(doses recorded without a ZIP) as ``unassigned``; the other states' rows are counted in a note.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from mdvax.datasets import COLUMNS, UNASSIGNED_ZIP, DatasetTable
from mdvax.normalize.files import (
    check_columns,
    check_not_negative,
    check_unique,
    counts,
    read_csv,
)
from mdvax.normalize.parse import parse_counts

FILE = "Vax_ZIP_CODE_FirstSecondSingle_Totals_Raw.csv"
#: Maryland's ZIP codes (USPS 206xx-219xx).
MARYLAND = (20600, 21999)
#: The one layout of the file (2021-03-31 to 2022-03-07): source column -> ours.
SOURCE = {
    "FirstDose": "first_dose",
    "SecondDose": "second_dose",
    "SingleDose": "single_dose",
    "AtleastOneDose": "state_at_least_one",
    "FullyVaccinated": "state_fully_vaccinated",
}
SCHEMA = "zip-2021"


def normalize_zip(body: bytes, fetched_at: datetime | None = None) -> DatasetTable:
    """The ``zip`` table of one version of the file (``fetched_at`` unused: no dates in it).

    Raises
    ------
    EmptySnapshotError
        No data rows.
    SchemaError
        Columns other than ``ZIP_CODE`` and :data:`SOURCE` (named), or some missing.
    ValidationError
        Non-numeric or negative counts, a ZIP on two rows (the ZIPs are named).
    """
    raw = read_csv(body, FILE)
    check_columns(raw.columns, ["ZIP_CODE", *SOURCE], [], FILE)
    number = pd.to_numeric(raw["ZIP_CODE"].str.strip(), errors="coerce")
    readable = number.notna() & (number % 1 == 0)
    quarantined = raw[~readable].assign(reason="unreadable ZIP code")
    number = number[readable].astype("int64")
    keep = (number == 0) | number.between(*MARYLAND)
    rows = raw[readable][keep]
    notes = [f"{int((~keep).sum()):,} rows of ZIPs outside Maryland left out"]
    labels = number[keep].astype(str).str.zfill(5).where(number[keep] != 0, UNASSIGNED_ZIP)
    table = pd.DataFrame({"zip": labels.astype(object)})
    blanks = {}
    for source, ours in list(SOURCE.items())[:3]:
        table[ours], blanks[source] = counts(rows[source], source)
    state = {ours: parse_counts(rows[source], source) for source, ours in list(SOURCE.items())[3:]}
    table = _recompute(table, state, blanks, notes)
    check_unique(table, ["zip"], FILE)
    check_not_negative(table, "zip", COLUMNS["zip"][1:], FILE)
    table = table.sort_values("zip", ignore_index=True)[list(COLUMNS["zip"])]
    return DatasetTable("zip", table, quarantined.reset_index(drop=True), SCHEMA, tuple(notes))


def _recompute(
    table: pd.DataFrame, state: dict[str, pd.Series], blanks: dict[str, int], notes: list[str]
) -> pd.DataFrame:
    """at_least_one = first + single, fully_vaccinated = second + single; compare the state's.

    ``state``: the state's own columns (``state_at_least_one``...), blank cells missing.
    """
    table = table.assign(
        at_least_one=table["first_dose"] + table["single_dose"],
        fully_vaccinated=table["second_dose"] + table["single_dose"],
    )
    blank = {k: v for k, v in blanks.items() if v}
    if blank:
        notes.append(f"blank dose cells read as 0: {blank}")
    for ours, theirs in (("at_least_one", "AtleastOneDose"), ("fully_vaccinated",
                                                               "FullyVaccinated")):  # fmt: skip
        given = state[f"state_{ours}"]
        differ = table.loc[given.notna() & given.ne(table[ours]).fillna(False), "zip"]
        notes.append(
            f"{ours} recomputed from the doses; {theirs} was blank for "
            f"{int(given.isna().sum()):,} ZIPs"
            + (f" and differs for {len(differ)}: {', '.join(differ[:5])}" if len(differ) else "")
        )
    return table
