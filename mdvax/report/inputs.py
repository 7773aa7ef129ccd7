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

from mdvax import api, measures, revisions
from mdvax.archive import Archive, as_date
from mdvax.archive.diff import revised
from mdvax.cache import CacheMeta
from mdvax.config import Settings, get_settings
from mdvax.errors import ArchiveError, CacheError, MdvaxError, ReportArgumentError, ReportError
from mdvax.provenance import STALE_AFTER_DAYS, Provenance
from mdvax.revisions import RecentRevisions

__all__ = [
    "STALE_AFTER_DAYS",
    "Provenance",
    "ReportInputs",
    "Revisions",
    "check_dates",
    "gather",
    "resolve_day",
    "select_data",
]


@dataclass(frozen=True)
class Revisions:
    """Figures the source changed between the previous report's day and this report's data.

    Attributes
    ----------
    since : date or None
        The previous report's day (the day its data was read as published on); None: no
        previous report.
    changes : pandas.DataFrame
        ``county, date, measure, old, new, change`` of the cumulative measures (largest
        first): the vintage published on ``since`` (in force that day) against this report's
        table; empty when none.
    note : str
        Why revisions could not be computed (empty when they were).
    published : date or None
        Publication date of the vintage compared with (in force on ``since``).
    """

    since: date | None
    changes: pd.DataFrame
    note: str = ""
    published: date | None = None


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
    if from_cache:
        table = api.load_table(settings=settings)
        quarantine = api.load_quarantine(settings)
    else:
        table = _archived_table(settings.archive_url, provenance.sha256, provenance.as_of)
        quarantine = None  # the archive keeps values, not the rows an update set aside
    day = resolve_day(table, report_date, provenance)
    chosen = _asked(report_date)
    if chosen and provenance.as_of is None:
        # Figures of a chosen day from the newest data: judged against that day, not the
        # fetch day (the figures exist, so the source had reached it).
        provenance = dataclasses.replace(provenance, reference=day.date())
    since = as_date(previous_as_of, "previous report's day") if previous_as_of else None
    revisions = _revisions(settings.archive_url, since, table, provenance)
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
    """Which data a report reads: the cache (newest data) or the archive's vintage of ``as_of``.

    Returns
    -------
    Provenance, bool
        Where the data came from, and whether it is the cache's.

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
    meta = _cache_meta(settings)
    if meta is not None and (as_of is None or as_of >= meta.published):
        # The cache holds the newest vintage: what was published on any day since.
        return Provenance.from_cache(meta, as_of), True
    if as_of is None:
        api.load_metadata(settings)  # raises the CacheError that says what to do
    return _archive_provenance(settings.archive_url, as_of), False


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


def _cache_meta(settings: Settings) -> CacheMeta | None:
    try:
        return api.load_metadata(settings)
    except CacheError:
        return None


def _archive_provenance(url: str, as_of: date) -> Provenance:
    """Provenance of the vintage in force on ``as_of`` (a clear error when there is none)."""
    try:
        with Archive.open(url) as archive:
            vintages = archive.vintages()
    except ArchiveError as error:
        raise ReportError(f"no data as published on {as_of}: {error}") from None
    if vintages.empty:
        raise ReportError(
            f"no data as published on {as_of}: the archive is empty; run `mdvax update` first"
        )
    published = vintages["published"].dt.date
    earlier = vintages[published <= as_of]
    if earlier.empty:
        raise ReportArgumentError(
            f"no vintage was published on or before {as_of}: the oldest archived vintage was "
            f"published on {min(published):%Y-%m-%d}"
        )
    row = earlier.sort_values(["published", "id"]).iloc[-1]
    return Provenance.from_vintage(row, as_of)


def _revisions(
    url: str, since: date | None, table: pd.DataFrame, provenance: Provenance
) -> Revisions:
    """The vintage in force on the previous report's day ``since`` against ``table``."""
    empty = pd.DataFrame(columns=["county", "date", "measure", "old", "new", "change"])
    if since is None:
        return Revisions(None, empty, "no earlier report to compare with")
    this_day = provenance.as_of or provenance.published
    if since > this_day:
        return Revisions(since, empty, f"the previous report (of {since:%Y-%m-%d}) read newer "
                         f"data than this one (as published on {this_day:%Y-%m-%d})")  # fmt: skip
    try:
        vintage = _archive_provenance(url, since)
        before = _archived_table(url, vintage.sha256, since)
    except MdvaxError as error:
        return Revisions(since, empty, f"revisions unavailable: {error}")
    changes = revised(before, table, list(measures.NAMES))
    return Revisions(since, changes, published=vintage.published)


#: Tables of archived vintages this process read, by (archive, sha256), least recently used
#: first: a vintage's table never changes, and in a backfill's kept kernel each day's table is
#: the next day's "before" (a day uses two tables: three are kept).
_TABLES: dict[tuple[str, str], pd.DataFrame] = {}
_TABLES_KEPT = 3


def _archived_table(url: str, sha256: str, as_of: date) -> pd.DataFrame:
    """The table of the vintage ``sha256``, in force on ``as_of`` (read once, then kept)."""
    key = (url, sha256)
    if key in _TABLES:
        _TABLES[key] = _TABLES.pop(key)  # now the most recently used
    else:
        with Archive.open(url) as archive:
            _TABLES[key] = archive.table_as_of(as_of)
        while len(_TABLES) > _TABLES_KEPT:
            del _TABLES[next(iter(_TABLES))]
    return _TABLES[key].copy()


def recent_revisions(url: str, provenance: Provenance) -> RecentRevisions | str:
    """What the vintages published in the 28 days to the report's day revised (or why not).

    The report's day is its as-of day (the data as published then), else its data's
    publication day.
    """
    last = provenance.as_of or provenance.published
    try:
        with Archive.open(url) as archive:
            return revisions.recent(last, revisions.WINDOW_DAYS, archive)
    except MdvaxError as error:
        return f"revisions unavailable: {error}"
