"""How the state revised its figures, vintage by vintage: one place for every view of it.

The archive (:mod:`mdvax.archive`) keeps each published version of the table; this module
turns it into what people read, for the command line (``mdvax revisions --date``), the report
("Revisions over the last 28 days") and the dashboard ("How this figure was revised"):

- :func:`series`: one county-day's value as each vintage published it;
- :func:`recent`: every daily count revised by the vintages of a window of days, and how many
  each vintage changed.

>>> from mdvax.revisions import series, recent
>>> series("Montgomery", "first_dose", "2021-04-20").values      # doctest: +SKIP
>>> recent("2021-05-31").largest                                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from mdvax.archive.dates import as_date
from mdvax.archive.diff import STORED_MEASURES
from mdvax.measures import check_column
from mdvax.normalize.counties import JURISDICTIONS, STATE, UNASSIGNED, canonical_county

if TYPE_CHECKING:  # the archive (and SQLAlchemy) is imported when a function needs it
    from mdvax.archive import Archive

__all__ = ["WINDOW_DAYS", "RecentRevisions", "RevisionSeries", "recent", "series"]

#: Days of publication the report's "Revisions over the last 28 days" covers.
WINDOW_DAYS = 28


@contextmanager
def _opened(archive: Archive | None) -> Iterator[Archive]:
    """``archive`` itself, or the configured archive opened for the block and closed after."""
    if archive is not None:
        yield archive
        return
    from mdvax.archive import Archive

    with Archive.open() as opened:
        yield opened


@dataclass(frozen=True)
class RevisionSeries:
    """One county-day's value as each vintage published it.

    Attributes
    ----------
    county, measure : str
        Canonical county name and measure column.
    day : date
        The data day.
    values : pandas.DataFrame
        ``published`` (datetime64), ``vintage_id``, ``value`` (int64) and ``change`` from the
        vintage before (Int64, NA for the first), one row per vintage whose data reached
        ``day``, oldest first. Empty when no vintage reached it.
    """

    county: str
    measure: str
    day: date
    values: pd.DataFrame

    @property
    def first(self) -> int | None:
        """The value first published (None when never published)."""
        return int(self.values["value"].iloc[0]) if len(self.values) else None

    @property
    def latest(self) -> int | None:
        """The value in the newest vintage (None when never published)."""
        return int(self.values["value"].iloc[-1]) if len(self.values) else None

    @property
    def change(self) -> int | None:
        """Latest minus first published value (None when never published)."""
        return None if self.first is None else self.latest - self.first

    @property
    def n_revised(self) -> int:
        """Vintages that changed the value."""
        return int(self.values["change"].fillna(0).ne(0).sum())


def series(
    county: str,
    measure: str,
    day: date | str,
    as_of: date | str | None = None,
    archive: Archive | None = None,
) -> RevisionSeries:
    """``measure`` of ``county`` on ``day`` as each vintage published it.

    Parameters
    ----------
    county : str
        Any spelling :func:`mdvax.normalize.counties.canonical_county` accepts, or
        ``Maryland``: the state, every county and the unassigned doses added up.
    measure : str
        A column of the canonical table: ``first_dose``, ``at_least_one_daily``...
    day : date
        The data day.
    as_of : date, optional
        Only vintages published on or before this day.
    archive : Archive, optional
        An open archive (default: the configured one, opened and closed here).

    Raises
    ------
    UnknownMeasureError
        For an unknown measure.
    ValidationError
        For an unknown county.
    ArchiveError
        For a malformed date, or an archive that cannot be read.
    """
    state = str(county).strip().casefold() == STATE.casefold()
    county, measure = STATE if state else canonical_county(county), check_column(measure)
    day = as_date(day, "data date")
    names = [*JURISDICTIONS, UNASSIGNED] if state else [county]
    with _opened(archive) as opened:
        parts = [opened.revision_series(name, measure, day) for name in names]
    frame = parts[0][["published", "vintage_id"]].assign(value=sum(p["value"] for p in parts))
    return published_series(county, measure, day, frame, as_of)


def published_series(
    county: str, measure: str, day: date, frame: pd.DataFrame, as_of: date | str | None = None
) -> RevisionSeries:
    """The :class:`RevisionSeries` of one value's ``frame``, cut at ``as_of``.

    ``frame`` has ``published, vintage_id, value`` per vintage (value NA for the vintages whose
    data did not reach ``day``), as :meth:`mdvax.archive.Archive.revision_series` returns.
    """
    if as_of is not None:
        frame = frame[frame["published"] <= pd.Timestamp(as_date(as_of))]
    frame = frame[frame["value"].notna()].reset_index(drop=True)
    values = pd.DataFrame({
        "published": frame["published"],
        "vintage_id": frame["vintage_id"].astype("int64"),
        "value": frame["value"].astype("int64"),
    })  # fmt: skip
    values["change"] = values["value"].diff().astype("Int64")
    return RevisionSeries(county, measure, day, values)


@dataclass(frozen=True)
class RecentRevisions:
    """The revisions made by the vintages published in a window of days.

    Attributes
    ----------
    first, last : date
        First and last publication day of the window.
    largest : pandas.DataFrame
        The largest revisions of the stored daily counts (first, second, single doses):
        ``county, date, measure, old, new, change, published, vintage_id``, largest
        ``|change|`` first.
    per_vintage : pandas.DataFrame
        One row per vintage of the window, oldest first: ``published``, ``vintage_id``, the
        number of values it revised per stored measure, and ``total``.
    """

    first: date
    last: date
    largest: pd.DataFrame
    per_vintage: pd.DataFrame

    @property
    def total(self) -> int:
        """Values revised in the window."""
        return int(self.per_vintage["total"].sum())


def recent(
    last: date | str,
    days: int = WINDOW_DAYS,
    archive: Archive | None = None,
    largest: int = 10,
) -> RecentRevisions:
    """What the vintages published in the ``days`` days to ``last`` (inclusive) revised.

    Each vintage is compared with the one before it, so a window's first vintage counts what it
    changed in a vintage published before the window. Counting and sorting happen in the
    database: only the ``largest`` revisions and the counts are read.

    Raises
    ------
    ArchiveError
        For a malformed date, or an archive that cannot be read.
    """
    last = as_date(last, "last publication day")
    first = last - timedelta(days=days - 1)
    with _opened(archive) as opened:
        top = opened.revisions_published(first, last, limit=largest)
        counts = opened.revision_counts(first, last)
        listed = opened.vintage_list()
    when = listed["published"]
    window = listed[(when >= pd.Timestamp(first)) & (when <= pd.Timestamp(last))]
    wide = counts.pivot(index="vintage_id", columns="measure", values="count")
    wide = wide.reindex(index=window["vintage_id"], columns=list(STORED_MEASURES))
    wide = wide.fillna(0).astype("int64")
    per_vintage = pd.DataFrame({
        "published": window["published"].to_numpy(),
        "vintage_id": window["vintage_id"].to_numpy(),
        **{m: wide[m].to_numpy() for m in STORED_MEASURES},
    })  # fmt: skip
    per_vintage["total"] = wide.sum(axis=1).to_numpy()
    return RecentRevisions(first, last, top, per_vintage)
