"""Everything one report is made from, gathered in one call from the report notebook.

:func:`gather` reads the canonical table (current cache, or the archive as of a date), where it
came from, the quarantined rows, and the revisions since the previous report's day and over the
last 28 days; the sections (:mod:`mdvax.report.sections`, :mod:`mdvax.report.recent`) only
format what is here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from mdvax import api, measures, vintages
from mdvax.archive import as_date
from mdvax.config import Settings, get_settings
from mdvax.errors import (
    ArchiveError,
    MdvaxError,
    NoVintageYetError,
    ReportArgumentError,
    ReportError,
)
from mdvax.provenance import STALE_AFTER_DAYS, Provenance
from mdvax.report.changes import Revisions, recent_revisions, revisions_since
from mdvax.revisions import RecentRevisions

__all__ = [
    "STALE_AFTER_DAYS",
    "Provenance",
    "ReportInputs",
    "Revisions",
    "check_dates",
    "gather",
    "recent_revisions",
    "resolve_day",
    "select_data",
]


@dataclass(frozen=True)
class ReportInputs:
    """The data of one report (see :func:`gather`).

    ``day`` is the day of the figures; ``report_day`` the day the report is of (its title):
    the figures' day when one was asked for, else the as-of day, else the newest day.
    ``recent``: the revisions over the last 28 days (:func:`recent_revisions`), or why there
    are none.
    """

    table: pd.DataFrame
    day: pd.Timestamp
    measure: str
    per_capita: bool
    provenance: Provenance
    quarantine: pd.DataFrame | None
    revisions: Revisions
    population: pd.Series
    geometry: dict
    report_day: date | None = None
    recent: RecentRevisions | str = ""


def gather(
    report_date: str | date | None = None,
    data_dir: str | Path | None = None,
    measure: str = measures.DEFAULT,
    per_capita: bool = True,
    as_of: str | date | None = None,
    previous_as_of: str | date | None = None,
) -> ReportInputs:
    """Read the data of a report (the notebook's parameters, checked).

    Parameters
    ----------
    report_date : date, optional
        Day whose figures are reported (default: the newest day in the data).
    as_of : date, optional
        Read the data as published on this day (default: the newest data, the cache's).

    Raises
    ------
    UnknownMeasureError
        For an unknown measure.
    ReportError
        When the report date is outside the data as published on ``as_of``, or no data was
        published by ``as_of``.
    MdvaxError
        When nothing is cached and no ``as_of`` is given.
    """
    measures.check(measure)
    settings = get_settings(data_dir=data_dir) if data_dir else get_settings()
    provenance, from_cache = select_data(settings, as_of)
    table = vintages.table(settings, provenance, from_cache)
    # The archive keeps values, not the rows an update set aside.
    quarantine = api.load_quarantine(settings) if from_cache else None
    day = resolve_day(table, report_date, provenance)
    chosen = _asked(report_date)
    if chosen and provenance.as_of is None:
        # Figures of a chosen day from the newest data: judged against that day, not the
        # fetch day (the figures exist, so the source had reached it).
        provenance = dataclasses.replace(provenance, reference=day.date())
    since = as_date(previous_as_of, "previous report's day") if previous_as_of else None
    revisions = revisions_since(settings, since, table, provenance)
    return ReportInputs(
        table=table,
        day=day,
        measure=measure,
        per_capita=bool(per_capita),
        provenance=provenance,
        quarantine=quarantine,
        revisions=revisions,
        population=api.population(),
        geometry=api.geometry(),
        report_day=day.date() if chosen else provenance.as_of or day.date(),
        recent=recent_revisions(settings.archive_url, provenance),
    )


def select_data(settings: Settings, as_of: str | date | None) -> tuple[Provenance, bool]:
    """Which data a report reads: the vintage in force on ``as_of`` (:func:`mdvax.vintages.in_force`).

    Returns
    -------
    Provenance, bool
        Where the data came from, and whether it is the current table (the cache's).

    Raises
    ------
    ReportError
        When ``as_of`` is not a date or is before the archive's oldest vintage.
    CacheError
        When ``as_of`` is None and nothing is cached (the message says what to do).
    """
    try:
        as_of = as_date(as_of, "as-of date") if as_of else None
    except MdvaxError as error:
        raise ReportError(str(error)) from None
    try:
        return vintages.in_force(settings, as_of)
    except NoVintageYetError as error:  # the caller's day, not a failed run
        raise ReportArgumentError(str(error)) from None
    except ArchiveError as error:
        raise ReportError(f"no data as published on {as_of:%Y-%m-%d}: {error}") from None


def check_dates(
    settings: Settings, report_date: str | date | None, as_of: str | date | None
) -> Provenance:
    """Check, before any work, that the figures of ``report_date`` exist as of ``as_of``.

    Raises
    ------
    ReportError
        When the combination is impossible: no data published by ``as_of``, or a report
        date outside the data as published then (the message gives its range).
    """
    provenance, _ = select_data(settings, as_of)
    if _asked(report_date):
        span = pd.Series(pd.to_datetime([provenance.first_date, provenance.last_date]))
        resolve_day(pd.DataFrame({"date": span}), report_date, provenance)
    return provenance


def resolve_day(
    table: pd.DataFrame, report_date: str | date | None, provenance: Provenance | None = None
) -> pd.Timestamp:
    """The report's day: ``report_date`` (checked against the data), or the data's newest day."""
    first, last = table["date"].min(), table["date"].max()
    if not _asked(report_date):
        return pd.Timestamp(last)
    try:
        day = pd.Timestamp(as_date(report_date, "report date"))
    except MdvaxError as error:
        raise ReportError(str(error)) from None
    if not first <= day <= last:
        which = "the data"
        if provenance is not None and provenance.published is not None:
            which = f"the data as published on {provenance.as_of or provenance.published}"
        hint = ""
        if day > last:
            hint = "; report a later --as-of, or leave it out for the newest data"
        raise ReportArgumentError(
            f"report date {day:%Y-%m-%d} is outside {which} ({first:%Y-%m-%d} to "
            f"{last:%Y-%m-%d}){hint}"
        )
    return day


def _asked(report_date: str | date | None) -> bool:
    """Whether a report date was given (``None``, ``""`` and ``latest`` mean the newest day)."""
    return report_date is not None and str(report_date).strip() not in ("", "None", "latest")
