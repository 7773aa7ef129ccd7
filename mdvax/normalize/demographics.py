"""The state's demographic pivot files -> one cumulative row per vaccination date and group.

Each file has one row per vaccination date and group, on the days that group had doses, with
the day's doses and their running total per group (``FirstDoseDaily``, ``FirstDoseCumulative``
...). The canonical table keeps the state's running totals (they also count the rows dated
before December 2020, which are set aside) on a continuous daily grid, carried forward on days
without a row; ``at_least_one`` is first + single and ``fully_vaccinated`` second + single
(the age line-graph file's own ``FullyVaccinatedCumulative`` starts late and is not used).
``docs/demographics.md`` lists the files, their layouts over time and the choices made.
"""

from __future__ import annotations

import io
from datetime import datetime

import pandas as pd

from mdvax.datasets import COLUMNS, DEMOGRAPHICS, DOSE_COLUMNS, DatasetTable
from mdvax.errors import EmptySnapshotError, SchemaError, ValidationError
from mdvax.normalize.complete import check_rows_complete
from mdvax.normalize.demographic_groups import (
    AGE_GROUPS,
    ETHNICITY_GROUPS,
    FEDERAL,
    GENDER_GROUPS,
    GROUPS,
    RACE_GROUPS,
    UNKNOWN,
    canonical_group,
)
from mdvax.normalize.demographic_layouts import FILES, OPEN_DATA, SCHEMAS, match_layout
from mdvax.normalize.parse import parse_counts
from mdvax.normalize.table import FIRST_VALID_DATE, carry_forward

__all__ = [
    "AGE_GROUPS",
    "ETHNICITY_GROUPS",
    "FEDERAL",
    "FILES",
    "GENDER_GROUPS",
    "GROUPS",
    "OPEN_DATA",
    "RACE_GROUPS",
    "SCHEMAS",
    "UNKNOWN",
    "normalize_demographic",
]

_DOSES = ("first_dose", "second_dose", "single_dose")


def normalize_demographic(dataset: str, body: bytes, fetched_at: datetime) -> DatasetTable:
    """Parse, check and reshape one demographic file.

    Parameters
    ----------
    dataset : str
        One of :data:`mdvax.datasets.DEMOGRAPHICS`.
    body : bytes
        The file as published (UTF-8 CSV).
    fetched_at : datetime
        When it was published or fetched: rows dated after its day (as given: pass a New York
        time for the state's publication day) are set aside.

    Returns
    -------
    DatasetTable
        ``date, group`` and the cumulative dose columns, one row per day and group; its
        ``quarantined`` rows have ``date``, ``group`` (the state's label), the three running
        totals and a ``reason``.

    Raises
    ------
    EmptySnapshotError
        The file has no data rows.
    TruncatedSnapshotError
        Its last line is incomplete (a download or copy cut short).
    SchemaError
        The columns are not one of the dataset's known layouts (names the unknown ones).
    ValidationError
        Unknown group label, unreadable date or count, two rows for a group on one day,
        negative or decreasing running totals (names the group).
    """
    if dataset not in DEMOGRAPHICS:
        raise ValueError(f"not a demographic dataset: {dataset!r}; use one of {DEMOGRAPHICS}")
    frame = _read(body)
    layout = match_layout(dataset, tuple(frame.columns))
    raw = pd.DataFrame(
        {
            "date": parse_days(frame["VACCINATION_DATE"]),
            "series": frame[layout.group].str.strip(),
            **{
                dose: parse_counts(frame[column], column)
                for dose, column in zip(_DOSES, layout.cumulative, strict=True)
            },
        }
    )
    good, quarantined = quarantine(raw, fetched_at)
    good = good.assign(group=[canonical_group(dataset, label) for label in good["series"]])
    table = daily_grid(good, dataset)
    check_cumulative(table)
    return DatasetTable(dataset, table, quarantined, layout.name, _notes(good, quarantined))


def _notes(good: pd.DataFrame, quarantined: pd.DataFrame) -> tuple[str, ...]:
    """What a reader of the table should know: derived columns, merged labels, rows set aside."""
    notes = [
        "at_least_one = first + single and fully_vaccinated = second + single, from the "
        "state's running totals per group"
    ]
    labels = good.drop_duplicates("series").groupby("group", sort=True)["series"].agg(sorted)
    for group, raw in labels.items():
        if len(raw) > 1:
            notes.append(f"{group}: the state's labels {raw} added up")
    if not quarantined.empty:
        notes.append(f"{len(quarantined):,} rows set aside (see quarantined)")
    return tuple(notes)


def _read(body: bytes) -> pd.DataFrame:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SchemaError(f"the CSV is not UTF-8 text ({error})") from error
    if not text.strip():
        raise EmptySnapshotError("the file is empty: nothing to record")
    check_rows_complete(text)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as error:
        raise SchemaError(f"the CSV cannot be parsed: {error}") from error
    frame.columns = [str(column).strip() for column in frame.columns]
    if frame.empty:
        raise EmptySnapshotError("the file has a header but no data rows: nothing to record")
    return frame


def parse_days(values: pd.Series) -> pd.Series:
    """Vaccination dates (``2020-12-14 15:00:00``, ``2020-12-14``, ``12/16/2020 03:00:00``) -> days.

    The time of day the state writes is a constant, not a time of vaccination: it is dropped.
    """
    text = values.str.strip()
    parsed = pd.to_datetime(text, format="mixed", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        raise ValidationError(
            f"{int(bad.sum())} rows have unreadable dates, e.g. {text[bad].head(3).tolist()}"
        )
    return parsed.dt.normalize().astype("datetime64[us]")


def quarantine(raw: pd.DataFrame, fetched_at: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Set aside rows dated before December 2020 or after the fetch, with a ``reason``."""
    too_early = raw["date"] < pd.Timestamp(FIRST_VALID_DATE)
    too_late = raw["date"] > pd.Timestamp(fetched_at.date())
    reason = pd.Series("", index=raw.index, dtype="string")
    reason[too_early] = f"dated before {FIRST_VALID_DATE.isoformat()}"
    reason[too_late] = f"dated after the fetch ({fetched_at.date().isoformat()})"
    bad = too_early | too_late
    quarantined = raw[bad].rename(columns={"series": "group"}).assign(reason=reason[bad])
    return raw[~bad], quarantined.reset_index(drop=True)


def daily_grid(good: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """One row per day (first to last valid date) and group; totals carried forward.

    Raw series that share a normalized group (``UNKNOWN`` and ``Unknown``) are added up.
    """
    if good.empty:
        raise ValidationError(f"{dataset}: no rows with valid dates: nothing to record")
    duplicated = good.duplicated(["series", "date"], keep=False)
    if duplicated.any():
        first = good[duplicated].iloc[0]
        raise ValidationError(
            f"{first['group']}: more than one row for {first['series']!r} on "
            f"{first['date']:%Y-%m-%d}; expected one row per group and day"
        )
    table = carry_forward(good, "group", _DOSES)
    table["at_least_one"] = table["first_dose"] + table["single_dose"]
    table["fully_vaccinated"] = table["second_dose"] + table["single_dose"]
    order = {label: rank for rank, label in enumerate(GROUPS[dataset])}
    table = table.sort_values(
        ["date", "group"], key=lambda c: c.map(order) if c.name == "group" else c
    )
    table["date"] = table["date"].astype("datetime64[us]")
    table["group"] = table["group"].astype("string")
    return table[list(COLUMNS[dataset])].reset_index(drop=True)


def check_cumulative(table: pd.DataFrame) -> None:
    """No negative running totals, and none that decreases from one day to the next."""
    for dose in DOSE_COLUMNS:
        negative = table[table[dose] < 0]
        if not negative.empty:
            row = negative.iloc[0]
            raise ValidationError(
                f"{row['group']}: negative {dose} ({row[dose]:,}) on {row['date']:%Y-%m-%d}"
            )
        change = table.groupby("group", sort=False)[dose].diff()
        falling = table[change < 0]
        if not falling.empty:
            row = falling.iloc[0]
            raise ValidationError(
                f"{row['group']}: cumulative {dose} decreases on {row['date']:%Y-%m-%d} "
                f"(by {-int(change[falling.index[0]]):,})"
            )
