"""The vintages a visitor can choose ("As published on"), loaded lazily.

The catalogue is the archive's vintages, one per publication day
(:func:`mdvax.vintages.catalogue`), plus the current table (the cache or the embedded snapshot)
when the archive does not hold it. The newest table stays loaded (the notebook keeps it); at
most one more is kept, the one shown last, so a kernel holds at most two tables whatever the
number of vintages.

A kernel may load the catalogue long before its visitor arrives (a preheated kernel, or one
forked from a template), and ``mdvax history import`` or ``mdvax update`` may record vintages in
between: :func:`refresh` compares the archive's fingerprint
(:meth:`mdvax.archive.Archive.fingerprint`, one aggregate query) with the one the catalogue was
read at, and reads it again when they differ.
"""

from __future__ import annotations

import logging
from datetime import date

import pandas as pd

from mdvax import vintages as service
from mdvax.dashboard.model import DashboardData
from mdvax.dashboard.state import Vintage, vintage_on
from mdvax.errors import MdvaxError

log = logging.getLogger(__name__)

archive_exists = service.archive_exists

#: Tables read for a kernel's extra vintage are kept by :class:`Vintages` itself, not twice.
_UNKEPT = service.Recent(0)


class Vintages:
    """Choices of vintage and the tables behind them.

    Parameters
    ----------
    newest : DashboardData
        The newest vintage's data (already loaded).
    choices : sequence of Vintage
        Every vintage to choose from, oldest first, ``newest`` last.
    catalogue : mdvax.vintages.Catalogue, optional
        The archive's vintages the other choices are read from (None: no archive; ``choices``
        is then ``newest`` alone).
    """

    def __init__(
        self,
        newest: DashboardData,
        choices: tuple[Vintage, ...],
        catalogue: service.Catalogue | None = None,
    ) -> None:
        self.newest = newest
        self.choices = choices
        self.catalogue = catalogue
        self._archive = None
        #: The one other vintage kept, by publication day.
        self._extra = service.Recent(1)

    @property
    def stamp(self) -> tuple | None:
        """The archive's fingerprint when the catalogue was read (None: no archive then)."""
        return self.catalogue.stamp if self.catalogue is not None else None

    @property
    def archive_url(self) -> str | None:
        return self.catalogue.url if self.catalogue is not None else None

    @classmethod
    def single(cls, data: DashboardData, catalogue: service.Catalogue | None = None) -> Vintages:
        """No choice: the data shown is the only vintage (an upload, an empty archive)."""
        day = data.provenance.published or data.last_date
        return cls(data, (Vintage(day, *_span(data)),), catalogue)

    @property
    def choosable(self) -> bool:
        """More than one vintage to choose from (else the control is hidden)."""
        return len(self.choices) > 1

    def find(self, published: date | None) -> Vintage:
        """The choice published on ``published`` (None or unknown: the newest)."""
        found = vintage_on(self.choices, published) if published else None
        return found or self.choices[-1]

    def data(self, published: date | None) -> DashboardData:
        """The data of the vintage published on ``published`` (None: the newest)."""
        vintage = self.find(published)
        if vintage == self.choices[-1]:
            return self.newest
        return self._extra.get(vintage.published, lambda: self._load(vintage.published))

    def _load(self, published: date) -> DashboardData:
        provenance = self.catalogue.provenance(published)
        table = service.archived_table(self.catalogue.url, provenance, _UNKEPT)
        return DashboardData(table, self.newest.population, self.newest.geometry, provenance)

    def archive(self):
        """The archive, opened on first use and kept for the session (None without one)."""
        if self._archive is None and self.archive_url is not None:
            from mdvax.archive import Archive

            self._archive = Archive.open(self.archive_url, reader=True)
        return self._archive


def _span(data: DashboardData) -> tuple[date, date]:
    return data.first_date, data.last_date


def archive_stamp(settings) -> tuple | None:
    """The archive's fingerprint now (None: there is none, or it cannot be read)."""
    try:
        return service.fingerprint(settings)
    except MdvaxError:
        log.exception("cannot read the archive's fingerprint")
        return None


def refresh(data: DashboardData, settings) -> Vintages:
    """``data.vintages``, read again if the archive changed since it was read (kept on ``data``).

    Called when the visitor arrives: the catalogue may have been read by a preheated kernel
    before vintages were recorded.
    """
    known = data.vintages
    if known is None or known.stamp != archive_stamp(settings):
        data.vintages = load(data, settings)
    return data.vintages


def load(newest: DashboardData, settings) -> Vintages:
    """The catalogue for ``newest`` (the current table) and the archive of ``settings``.

    An archive that cannot be read leaves the newest table as the only choice (logged): the
    dashboard still works without its history.
    """
    try:
        catalogue = service.catalogue(settings)
    except MdvaxError:
        log.exception("cannot read the archive's vintages: showing the current table only")
        return Vintages.single(newest)
    rows = catalogue.rows
    if rows.empty:
        return Vintages.single(newest, catalogue if catalogue.stamp is not None else None)
    choices = {
        row.published.date(): Vintage(
            row.published.date(), row.first_date.date(), row.last_date.date()
        )
        for row in rows.itertuples(index=False)
    }
    current = newest.provenance.published
    archived = rows["sha256"].get(pd.Timestamp(current)) if current else None
    if current and (archived is None or archived == newest.provenance.sha256):
        choices[current] = Vintage(current, *_span(newest))  # the cache's own table
    ordered = tuple(choices[day] for day in sorted(choices))
    vintages = Vintages(newest, ordered, catalogue)
    if not service.prefer_current(current, rows["published"].max().date()):
        # The archive holds a vintage newer than the cache: that one is the newest.
        vintages.newest = vintages._load(ordered[-1].published)
    return vintages
