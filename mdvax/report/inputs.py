"""Everything one report is made from, gathered in one call from the report notebook.

:func:`gather` reads the canonical table (current cache, or the archive as of a date), where it
came from, the quarantined rows and the revisions since the previous report's data; the
sections (:mod:`mdvax.report.sections`) only format what is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from mdvax import api
from mdvax.archive import Archive, as_date
from mdvax.cache import CacheMeta
from mdvax.config import Settings, get_settings
from mdvax.errors import CacheError, MdvaxError, ReportError
from mdvax.stats import MEASURES

#: The source is called stale when its newest day is more than this many days before the
#: reference day (the report's as-of day, else the day the data was fetched).
STALE_AFTER_DAYS = 2


@dataclass(frozen=True)
class Provenance:
    """Where the data came from.

    Attributes
    ----------
    source : str
        Source name (or URL) the raw file came from.
    fetched_at : datetime
        When the raw file was fetched (aware, UTC).
    sha256 : str
        Hash of the raw file.
    published : date
        Publication date of that version of the data.
    first_date, last_date : date
        The data's date range (``last_date``: the source's newest day).
    reference : date
        Day the data is judged against for staleness (as-of date, else fetch day).
    as_of : date or None
        Day the data was taken as published on (None: the current cache, whatever its date).
    """

    source: str
    fetched_at: datetime
    sha256: str
    published: date
    first_date: date
    last_date: date
    reference: date
    as_of: date | None = None

    @property
    def days_behind(self) -> int:
        """Days between the source's newest day and the reference day."""
        return (self.reference - self.last_date).days

    @property
    def stale(self) -> bool:
        """True when the source has not moved for more than :data:`STALE_AFTER_DAYS` days."""
        return self.days_behind > STALE_AFTER_DAYS


@dataclass(frozen=True)
class Revisions:
    """Figures the source changed between the previous report's data and this one's.

    Attributes
    ----------
    since : date or None
        Publication (as-of) date of the previous report's data; None: no previous report.
    changes : pandas.DataFrame
        ``county, date, measure, old, new, change`` of the cumulative measures (largest
        first); empty when none.
    note : str
        Why revisions could not be computed (empty when they were).
    """

    since: date | None
    changes: pd.DataFrame
    note: str = ""


@dataclass(frozen=True)
class ReportInputs:
    """The data of one report (see :func:`gather`)."""

    table: pd.DataFrame
    day: pd.Timestamp
    measure: str
    per_capita: bool
    provenance: Provenance
    quarantine: pd.DataFrame | None
    revisions: Revisions
    population: pd.Series
    geometry: dict


def gather(
    report_date: str | date | None = None,
    data_dir: str | Path | None = None,
    measure: str = "at_least_one",
    per_capita: bool = True,
    as_of: str | date | None = None,
    previous_as_of: str | date | None = None,
) -> ReportInputs:
    """Read the data of a report (the notebook's parameters, checked).

    Raises
    ------
    ReportError
        For an unknown measure or a report date outside the data.
    MdvaxError
        When nothing is cached, or the archive has no vintage by ``as_of``.
    """
    if measure not in MEASURES:
        raise ReportError(f"unknown measure {measure!r}: choose one of {', '.join(MEASURES)}")
    settings = get_settings(data_dir=data_dir) if data_dir else get_settings()
    as_of = as_date(as_of) if as_of else None
    meta = _cache_meta(settings)
    if meta is not None and (as_of is None or as_of >= meta.published):
        # The cache holds the newest vintage: what was published on any day since.
        table = api.load_table(settings=settings)
        provenance = _cache_provenance(meta, as_of)
        quarantine = api.load_quarantine(settings)
    elif as_of is not None:
        table = api.load_table(as_of=as_of, settings=settings)
        provenance = _archive_provenance(settings.archive_url, as_of)
        quarantine = None  # the archive keeps values, not the rows an update set aside
    else:
        api.load_metadata(settings)  # raises the CacheError that says what to do
    day = resolve_day(table, report_date)
    since = as_date(previous_as_of) if previous_as_of else None
    revisions = _revisions(settings.archive_url, since, provenance.published)
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
    )


def resolve_day(table: pd.DataFrame, report_date: str | date | None) -> pd.Timestamp:
    """The report's day: ``report_date`` (checked against the data), or the data's newest day."""
    first, last = table["date"].min(), table["date"].max()
    if report_date is None or str(report_date).strip() in ("", "None", "latest"):
        return pd.Timestamp(last)
    try:
        day = pd.Timestamp(as_date(report_date, "report date"))
    except MdvaxError as error:
        raise ReportError(str(error)) from None
    if not first <= day <= last:
        raise ReportError(
            f"report date {day:%Y-%m-%d} is outside the data ({first:%Y-%m-%d} to {last:%Y-%m-%d})"
        )
    return day


def _cache_meta(settings: Settings) -> CacheMeta | None:
    try:
        return api.load_metadata(settings)
    except CacheError:
        return None


def _cache_provenance(meta: CacheMeta, as_of: date | None) -> Provenance:
    fetched = _utc(meta.fetched_at)
    return Provenance(
        source=meta.url or meta.source,
        fetched_at=fetched,
        sha256=meta.sha256,
        published=meta.published,
        first_date=meta.first_date,
        last_date=meta.last_date,
        reference=as_of or fetched.date(),
        as_of=as_of,
    )


def _archive_provenance(url: str, as_of: date) -> Provenance:
    with Archive.open(url) as archive:
        vintages = archive.vintages()
    published = vintages["published"].dt.date
    row = vintages[published <= as_of].sort_values(["published", "id"]).iloc[-1]
    return Provenance(
        source=str(row["source"]),
        fetched_at=_utc(row["fetched_at"].to_pydatetime()),
        sha256=str(row["sha256"]),
        published=row["published"].date(),
        first_date=row["first_date"].date(),
        last_date=row["last_date"].date(),
        reference=as_of,
        as_of=as_of,
    )


def _revisions(url: str, since: date | None, published: date) -> Revisions:
    empty = pd.DataFrame(columns=["county", "date", "measure", "old", "new", "change"])
    if since is None:
        return Revisions(None, empty, "no earlier report to compare with")
    try:
        with Archive.open(url) as archive:
            changes = archive.changes_between(since, published, measures=list(MEASURES))
    except MdvaxError as error:
        return Revisions(since, empty, f"revisions unavailable: {error}")
    return Revisions(since, changes)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
