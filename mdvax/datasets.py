"""The datasets beyond the county table: their names, canonical columns and normalized form.

Every dataset is read from the state's repository (or its open-data URL), normalized to the
columns below by a pure function ``normalize_<name>(body: bytes, fetched_at: datetime) ->
DatasetTable`` and archived as vintages like the county table. This module is the contract the
sources, the archive, the API, the dashboard and the report share; it imports nothing of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Every dataset, the county table first (it has its own, older pipeline).
DATASETS = ("county", "zip", "third_dose", "age", "race", "ethnicity", "gender")

#: The statewide breakdowns by vaccination date, one row per day and group.
DEMOGRAPHICS = ("age", "race", "ethnicity", "gender")

#: Cumulative dose counts every ZIP and demographic row carries.
DOSE_COLUMNS = ("first_dose", "second_dose", "single_dose", "at_least_one", "fully_vaccinated")

#: ZIP label of the doses recorded without a ZIP (the state's ZIP ``0``).
UNASSIGNED_ZIP = "unassigned"

#: Canonical columns, in order. ``zip`` is a five-digit string (or ``unassigned``), ``date`` a
#: day (``datetime64[us]``, no time zone), ``group`` a normalized label, counts ``int64``.
COLUMNS: dict[str, tuple[str, ...]] = {
    "zip": ("zip", *DOSE_COLUMNS),
    "third_dose": ("date", "third_dose", "third_dose_daily", "third_dose_7day"),
    **{name: ("date", "group", *DOSE_COLUMNS) for name in DEMOGRAPHICS},
}


@dataclass(frozen=True)
class DatasetTable:
    """One file of one dataset, normalized.

    Attributes
    ----------
    dataset : str
        One of :data:`DATASETS` (not ``county``).
    table : pandas.DataFrame
        Exactly :data:`COLUMNS` ``[dataset]``, sorted by its key columns.
    quarantined : pandas.DataFrame
        Raw rows set aside (dated before December 2020 or after the fetch), with a ``reason``.
    schema : str
        The name of the file layout that was recognised.
    notes : tuple of str
        What the reader should know (columns recomputed, categories merged...).
    """

    dataset: str
    table: pd.DataFrame
    quarantined: pd.DataFrame
    schema: str
    notes: tuple[str, ...] = field(default=())
