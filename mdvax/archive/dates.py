"""Dates as the archive reads them (kept apart from the database code: no SQLAlchemy here)."""

from __future__ import annotations

from datetime import date, datetime

from mdvax.errors import ArchiveError


def as_date(value: date | datetime | str, what: str = "as-of date") -> date:
    """A date from a date, datetime, pandas Timestamp or ``YYYY-MM-DD`` string.

    Raises
    ------
    ArchiveError
        For a string that is not an ISO date.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ArchiveError(f"{what} {str(value)[:40]!r} is not a date (YYYY-MM-DD)") from None
