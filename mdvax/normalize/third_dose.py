"""The statewide daily doses file with third doses -> the ``third_dose`` dataset.

Two files carry it from 2021-10-22: the open-data copy
``MD_COVID19_TotalVaccinationsSevenDayAverageFirstSecondSingleAddDose.csv`` (``OBJECTID``,
dates ``M/D/YYYY 15:00:00``) and ``..._AddDose_Raw.csv`` (dates ``YYYY-MM-DD 15:00:00``, three
long column names not truncated). Both have one row per vaccination day with each dose's daily
count, running total and seven-day average; this dataset keeps the third ("additional") doses:
``ThrDose_AdminCum``, ``ThrDose_AdminDaily`` and ``ThrDose_AdminSevenDayAvg``. Dates may also be
epoch milliseconds (ArcGIS's JSON and some exports). Rows dated before December 2020 or after
the fetch are set aside, as the county table's are.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from mdvax.datasets import COLUMNS, DatasetTable
from mdvax.errors import ValidationError
from mdvax.normalize.files import (
    SHOWN,
    check_columns,
    check_not_negative,
    check_unique,
    counts,
    read_csv,
)
from mdvax.normalize.table import FIRST_VALID_DATE

OPEN_DATA_FILE = "MD_COVID19_TotalVaccinationsSevenDayAverageFirstSecondSingleAddDose.csv"
RAW_FILE = "MD_COVID19_TotalVaccinationsSevenDayAverageFirstSecondSingleAddDose_Raw.csv"
#: The repository's copies, preferred first (the open-data copy, as for the county table).
FILES = (OPEN_DATA_FILE, RAW_FILE)

#: Source column -> ours.
SOURCE = {
    "ThrDose_AdminCum": "third_dose",
    "ThrDose_AdminDaily": "third_dose_daily",
    "ThrDose_AdminSevenDayAvg": "third_dose_7day",
}
_DOSES = ("FirstDose", "SecDose", "ThrDose", "SingleDose", "Total")
_OTHER = {f"{d}_Admin{k}" for d in _DOSES for k in ("Daily", "Cum", "SevenDayAvg")}
#: Each layout's columns beyond ``ReportDate`` and :data:`SOURCE`.
LAYOUTS = {
    "open-data": {"OBJECTID", "AlloDistrib_ID", *_OTHER, "Total_AdminDaily_WO_ThirdDos_18",
                  "Total_AdminCum_WO_ThirdDose", "Total_AdminSevenDayAvg_WO_Th_20"},
    "raw": {"AlloDistrib_ID", *_OTHER, "Total_AdminDaily_WO_ThirdDose",
            "Total_AdminCum_WO_ThirdDose", "Total_AdminSevenDayAvg_WO_ThirdDose"},
}  # fmt: skip


def normalize_third_dose(body: bytes, fetched_at: datetime | None = None) -> DatasetTable:
    """The ``third_dose`` table of one version of either file.

    Raises
    ------
    EmptySnapshotError
        No data rows (2022-02-01 and 2022-02-24: header-only open-data copies).
    SchemaError
        Columns of neither layout (named).
    ValidationError
        Unreadable dates or counts, a day on two rows, negative counts, or a running total
        that decreases (the days are named).
    """
    what = "third-dose file"
    raw = read_csv(body, what)
    schema = "open-data" if "OBJECTID" in raw.columns else "raw"
    check_columns(raw.columns, ["ReportDate", *SOURCE], LAYOUTS[schema], what)
    raw = raw.assign(date=parse_days(raw["ReportDate"], what))
    fetched = (fetched_at or datetime.now(UTC)).date()
    early = raw["date"] < pd.Timestamp(FIRST_VALID_DATE)
    late = raw["date"] > pd.Timestamp(fetched)
    reason = pd.Series(f"dated before {FIRST_VALID_DATE}", index=raw.index).where(
        early, f"dated after the fetch ({fetched})"
    )
    quarantined = raw[early | late].assign(reason=reason[early | late])
    rows = raw[~(early | late)]
    table = pd.DataFrame({"date": rows["date"].astype("datetime64[us]")})
    notes = [f"layout {schema}"]
    for source, ours in SOURCE.items():
        table[ours], blanks = counts(_whole(rows[source]), source)
        if blanks:
            notes.append(f"{source}: {blanks} blank cell(s) read as 0")
    table["day"] = table["date"].dt.strftime("%Y-%m-%d")
    check_unique(table, ["day"], what)
    check_not_negative(table, "day", SOURCE.values(), what)
    table = table.sort_values("date", ignore_index=True)
    check_increasing(table, what)
    table = table[list(COLUMNS["third_dose"])]
    return DatasetTable(
        "third_dose", table, quarantined.reset_index(drop=True), schema, tuple(notes)
    )


def parse_days(values: pd.Series, what: str) -> pd.Series:
    """Days (naive, midnight) from ``M/D/YYYY 15:00:00``, ISO text or epoch milliseconds."""
    text = values.astype(str).str.strip()
    if text.str.fullmatch(r"-?\d{10,}").all():
        parsed = pd.to_datetime(pd.to_numeric(text), unit="ms", utc=True)
        return parsed.dt.tz_convert(None).dt.normalize()
    parsed = pd.to_datetime(text, format="mixed", errors="coerce")
    if parsed.isna().any():
        examples = text[parsed.isna()].head(3).tolist()
        raise ValidationError(
            f"{what}: {int(parsed.isna().sum())} unreadable dates, e.g. {examples}"
        )
    return parsed.dt.normalize()


def _whole(values: pd.Series) -> pd.Series:
    """Seven-day averages are whole in every version; a fractional one is rounded (never kept)."""
    numbers = pd.to_numeric(values.astype(str).str.strip().replace("", None), errors="coerce")
    text = values.astype(str).str.strip()
    return text.where(numbers.isna() | (numbers % 1 == 0), numbers.round().astype(str))


def check_increasing(table: pd.DataFrame, what: str) -> None:
    """A ValidationError naming the days on which the running total of third doses fell."""
    fell = table["third_dose"].diff() < 0
    if fell.any():
        days = table.loc[fell, "day"].tolist()
        raise ValidationError(
            f"{what}: the cumulative third doses decrease on {len(days)} day(s): "
            f"{', '.join(days[:SHOWN])}"
        )
