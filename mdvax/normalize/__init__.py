"""Raw snapshot -> validated canonical table, as a chain of small pure steps."""

from __future__ import annotations

from datetime import UTC, datetime

from mdvax.normalize.complete import check_series_end
from mdvax.normalize.parse import read_raw
from mdvax.normalize.table import (
    COLUMNS,
    DAILY,
    MEASURES,
    Normalized,
    assign_counties,
    check_one_row_per_day,
    check_table,
    daily_grid,
    derive_measures,
    ensure_unassigned,
    split_quarantine,
)
from mdvax.sources.base import RawSnapshot

__all__ = ["COLUMNS", "DAILY", "MEASURES", "Normalized", "normalize", "normalize_raw"]


def normalize(snapshot: RawSnapshot) -> Normalized:
    """Parse, validate and reshape a raw snapshot.

    Raises
    ------
    SchemaError
        Unknown columns.
    ValidationError
        Unknown county, duplicate days, negative or decreasing counts, no valid rows; a
        :class:`~mdvax.errors.TruncatedSnapshotError` when the file looks cut short (an
        incomplete last line, or a county's rows stopping days before the others').
    """
    raw = read_raw(snapshot)
    return normalize_raw(raw, snapshot.fetched_at, raw.attrs.get("schema", ""))


def normalize_raw(raw, fetched_at: datetime | None = None, schema: str = "") -> Normalized:
    """The steps after parsing: quarantine, counties, series ends, one row a day, grid, checks."""
    good, quarantined = split_quarantine(raw, fetched_at or datetime.now(UTC))
    good = assign_counties(good)
    check_series_end(good)
    check_one_row_per_day(good)
    table = derive_measures(ensure_unassigned(daily_grid(good)))
    check_table(table)
    return Normalized(table, quarantined.reset_index(drop=True), schema, len(raw))
