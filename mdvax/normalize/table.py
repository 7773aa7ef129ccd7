"""Small pure steps from the raw rows to the canonical table (one row per county and day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from mdvax.errors import ValidationError
from mdvax.measures import DAILY, NAMES
from mdvax.normalize.counties import JURISDICTIONS, UNASSIGNED, canonical_county
from mdvax.normalize.schema import DOSES

#: The first doses in Maryland were given in mid-December 2020: earlier dates are bogus.
FIRST_VALID_DATE = date(2020, 12, 1)

#: Cumulative measures of the canonical table, in order, and the daily counts derived from
#: them (both from :mod:`mdvax.measures`).
MEASURES = NAMES
COLUMNS = ("date", "county", "fips", *MEASURES, *DAILY)


@dataclass(frozen=True)
class Normalized:
    """The canonical table and the raw rows set aside on the way."""

    table: pd.DataFrame
    quarantined: pd.DataFrame
    schema: str
    source_rows: int


def split_quarantine(raw: pd.DataFrame, fetched_at: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Set aside rows dated before December 2020 or after the fetch (never drop them silently)."""
    day = raw["date"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    too_early = day < pd.Timestamp(FIRST_VALID_DATE)
    too_late = day > pd.Timestamp(fetched_at.date())
    reason = pd.Series("", index=raw.index, dtype="string")
    reason[too_early] = f"dated before {FIRST_VALID_DATE.isoformat()}"
    reason[too_late] = f"dated after the fetch ({fetched_at.date().isoformat()})"
    bad = too_early | too_late
    quarantined = raw[bad].assign(county=raw.loc[bad, "county"].str.strip(), reason=reason[bad])
    return raw[~bad].assign(date=day[~bad]), quarantined


def assign_counties(raw: pd.DataFrame) -> pd.DataFrame:
    """Add ``series`` (the source's label, unpadded) and ``county`` (canonical name)."""
    series = raw["county"].str.strip()
    mapping = {label: canonical_county(label) for label in series.unique()}
    return raw.assign(series=series, county=series.map(mapping))


def check_one_row_per_day(raw: pd.DataFrame) -> None:
    """Each source series has at most one row a day."""
    duplicated = raw.duplicated(["series", "date"], keep=False)
    if duplicated.any():
        first = raw[duplicated].iloc[0]
        count = int((duplicated & (raw["series"] == first["series"])).sum())
        raise ValidationError(
            f"{first['county']}: {count} rows share a day (e.g. {first['date']:%Y-%m-%d} for "
            f"{first['series'] or 'blank county'!r}); expected one row per county and day"
        )


def daily_grid(raw: pd.DataFrame) -> pd.DataFrame:
    """Reindex every series to one continuous daily range and carry cumulative values forward.

    Series that share a county are added up (blank + ``Unknown`` -> Unassigned).
    """
    if raw.empty:
        raise ValidationError("no rows with valid dates: nothing to show")
    return carry_forward(raw, "county", DOSES)


def carry_forward(raw: pd.DataFrame, owner: str, doses: tuple[str, ...]) -> pd.DataFrame:
    """Each ``series`` on every day from the first date to the last, ``doses`` carried forward.

    Cumulative counts carry forward (0 before a series starts), then series are added up by
    their ``owner`` column. Returns the columns ``date``, ``owner`` and ``doses``.
    """
    days = pd.date_range(raw["date"].min(), raw["date"].max(), freq="D", name="date")
    owners = raw.drop_duplicates("series").set_index("series")[owner]
    frames = {}
    for dose in doses:
        wide = raw.pivot(index="date", columns="series", values=dose).reindex(days)
        wide = wide.ffill().fillna(0).astype("int64")
        frames[dose] = wide.T.groupby(owners).sum().T.stack()
    table = pd.DataFrame(frames).reset_index()
    table.columns = ["date", owner, *doses]
    return table


def derive_measures(table: pd.DataFrame) -> pd.DataFrame:
    """Add FIPS codes, at-least-one and fully-vaccinated counts, and daily counts."""
    table = table.sort_values(["county", "date"], ignore_index=True)
    table["fips"] = table["county"].map(JURISDICTIONS).astype("string")
    table["at_least_one"] = table["first_dose"] + table["single_dose"]
    table["fully_vaccinated"] = table["second_dose"] + table["single_dose"]
    grouped = table.groupby("county", sort=False)[list(MEASURES)]
    daily = grouped.diff().fillna(table[list(MEASURES)]).astype("int64")
    table[list(DAILY)] = daily.to_numpy()
    table["county"] = table["county"].astype("string")
    return table[list(COLUMNS)]


def check_table(table: pd.DataFrame) -> None:
    """No negative counts; cumulative counts never decrease. Messages start with the county."""
    for measure in MEASURES:
        negative = table[table[measure] < 0]
        if not negative.empty:
            row = negative.iloc[0]
            raise ValidationError(
                f"{row['county']}: negative {measure} ({row[measure]}) on {row['date']:%Y-%m-%d}"
            )
        falling = table[table[f"{measure}_daily"] < 0]
        if not falling.empty:
            row = falling.iloc[0]
            raise ValidationError(
                f"{row['county']}: cumulative {measure} decreases on {row['date']:%Y-%m-%d} "
                f"(by {-row[f'{measure}_daily']:,})"
            )
    if table.duplicated(["county", "date"]).any():
        raise ValidationError("the table has more than one row for a county and day")
    missing = set(JURISDICTIONS) - set(table["county"])
    if missing:
        raise ValidationError(f"no rows at all for {sorted(missing)}")


def ensure_unassigned(table: pd.DataFrame) -> pd.DataFrame:
    """Give the table an all-zero Unassigned series when the source had no such rows."""
    if (table["county"] == UNASSIGNED).any():
        return table
    zeros = table[table["county"] == table["county"].iloc[0]].assign(county=UNASSIGNED)
    zeros[list(DOSES)] = 0
    return pd.concat([table, zeros], ignore_index=True)
