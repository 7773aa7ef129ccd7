"""The checks of a report's ``--date``, ``--as-of`` and backfill days, made before any writing.

Arguments the data cannot serve (a report date outside it, an as-of day before the oldest
archived vintage or in the future, a backfill reaching before the archive or into the future)
are the caller's mistake, not a failed run: they raise :class:`~mdvax.errors.ReportArgumentError`
before the published site is touched, so they leave no "failed" row in its index.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from mdvax import vintages
from mdvax.archive import as_date
from mdvax.config import get_settings
from mdvax.errors import ArchiveError, MdvaxError, ReportArgumentError
from mdvax.report.inputs import check_dates


def refuse_future(day: date | None, what: str) -> None:
    """Refuse ``day`` after tomorrow (UTC): nothing can have been published then yet.

    Tomorrow is allowed: it is already today where clocks are ahead of UTC.
    """
    today = datetime.now(UTC).date()
    if day is not None and day > today + timedelta(days=1):
        raise ReportArgumentError(f"{what} {day} is in the future (today is {today}, UTC)")


def refuse_dates(figures: date | None, as_of: date | None) -> MdvaxError | None:
    """Check a report date and as-of day once; raise the error of a pair that does not fit.

    Returns
    -------
    MdvaxError or None
        Any other problem (nothing cached, an unreadable archive): a failed run, which the
        caller records under its lock and raises.

    Raises
    ------
    ReportArgumentError
        When the dates do not fit the data (the caller's mistake: nothing is recorded).
    """
    try:
        check_dates(get_settings(), figures, as_of)
    except ReportArgumentError:
        raise
    except MdvaxError as error:
        return error
    return None


def backfill_days(start: str | date, end: str | date) -> tuple[list[date], str]:
    """The days from ``start`` to ``end`` (inclusive) and the oldest vintage's publication day.

    Raises
    ------
    ReportArgumentError
        When ``end`` is before ``start`` or in the future, or ``start`` is before the oldest
        archived vintage.
    ArchiveError
        When the archive is empty.
    """
    first, last = as_date(start, "backfill start"), as_date(end, "backfill end")
    if last < first:
        raise ReportArgumentError(f"backfill end {last} is before its start {first}")
    refuse_future(last, "backfill end")
    oldest = oldest_vintage()
    if first.isoformat() < oldest:
        raise ReportArgumentError(
            f"backfill start {first} is before the oldest archived vintage (published "
            f"{oldest}): start on {oldest} or later"
        )
    return [first + timedelta(days=n) for n in range((last - first).days + 1)], oldest


def oldest_vintage() -> str:
    """Publication date of the archive's oldest vintage (raises when the archive is empty)."""
    oldest = vintages.oldest_published(get_settings())
    if oldest is None:
        raise ArchiveError("the archive is empty: run `mdvax update` before a backfill")
    return f"{oldest:%Y-%m-%d}"
