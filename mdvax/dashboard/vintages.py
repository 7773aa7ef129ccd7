"""The vintages a visitor can choose ("As published on"), loaded lazily.

The catalogue is the archive's vintages (one per publication day: the later-recorded one on a
tie, as :meth:`mdvax.archive.Archive.table_as_of` picks) plus the current table (the cache or
the embedded snapshot) when the archive does not hold it. The newest table stays loaded (the
notebook keeps it); at most one more is kept, the one shown last, so a kernel holds at most two
tables whatever the number of vintages.

A kernel may load the catalogue long before its visitor arrives (a preheated kernel, or one
forked from a template), and ``mdvax history import`` or ``mdvax update`` may record vintages in
between: :func:`refresh` compares the archive's fingerprint
(:meth:`mdvax.archive.Archive.fingerprint`, one aggregate query) with the one the catalogue was
read at, and reads it again when they differ.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pandas as pd

from mdvax.dashboard.model import DashboardData
from mdvax.dashboard.state import Vintage, vintage_on
from mdvax.errors import MdvaxError
from mdvax.provenance import Provenance

log = logging.getLogger(__name__)


class Vintages:
    """Choices of vintage and the tables behind them.

    Parameters
    ----------
    newest : DashboardData
        The newest vintage's data (already loaded).
    choices : sequence of Vintage
        Every vintage to choose from, oldest first, ``newest`` last.
    archive_url : str or None
        Where the other vintages are read from (None: nowhere; ``choices`` is then ``newest``
        alone).
    rows : pandas.DataFrame, optional
        :meth:`mdvax.archive.Archive.vintages` rows, indexed by publication day, for the
        provenance banner of an archived vintage.
    """

    def __init__(
        self,
        newest: DashboardData,
        choices: tuple[Vintage, ...],
        archive_url: str | None = None,
        rows: pd.DataFrame | None = None,
    ) -> None:
        self.newest = newest
        self.choices = choices
        self.archive_url = archive_url
        self._rows = rows
        self._archive = None
        #: The archive's fingerprint when the catalogue was read (None: no archive then).
        self.stamp: tuple | None = None
        #: The one other vintage kept: (publication day, data).
        self._extra: tuple[date, DashboardData] | None = None

    @classmethod
    def single(cls, data: DashboardData) -> Vintages:
        """No choice: the data shown is the only vintage (an upload, an empty archive)."""
        return cls(data, (Vintage(data.provenance.published or data.last_date, *_span(data)),))

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
        if self._extra is None or self._extra[0] != vintage.published:
            self._extra = None  # free the previous table before reading the next
            self._extra = (vintage.published, self._load(vintage.published))
        return self._extra[1]

    def _load(self, published: date) -> DashboardData:
        table = self.archive().table_as_of(published)
        provenance = Provenance.from_vintage(self._rows.loc[pd.Timestamp(published)], published)
        return DashboardData(table, self.newest.population, self.newest.geometry, provenance)

    def archive(self):
        """The archive, opened on first use and kept for the session (None without one)."""
        if self._archive is None and self.archive_url is not None:
            from mdvax.archive import Archive

            self._archive = Archive.open(self.archive_url, reader=True)
        return self._archive


def _span(data: DashboardData) -> tuple[date, date]:
    return data.first_date, data.last_date


def archive_exists(settings) -> bool:
    """A configured database, or an archive file in the data folder (never created here)."""
    return bool(settings.database_url) or Path(settings.data_dir / "archive.sqlite").exists()


def archive_stamp(settings) -> tuple | None:
    """The archive's fingerprint now (None: there is none, or it cannot be read)."""
    if not archive_exists(settings):
        return None
    from mdvax.archive import Archive

    try:
        with Archive.open(settings.archive_url, reader=True) as archive:
            return archive.fingerprint()
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
    if not archive_exists(settings):
        return Vintages.single(newest)
    from mdvax.archive import Archive

    try:
        with Archive.open(settings.archive_url, reader=True) as archive:
            stamp, rows = archive.fingerprint(), archive.vintages()
    except MdvaxError:
        log.exception("cannot read the archive's vintages: showing the current table only")
        return Vintages.single(newest)
    vintages = _catalogue(newest, rows, settings.archive_url)
    vintages.stamp = stamp
    return vintages


def _catalogue(newest: DashboardData, rows: pd.DataFrame, url: str) -> Vintages:
    """The choices: the archive's ``rows`` (one per publication day) and the current table."""
    if rows.empty:
        return Vintages.single(newest)
    rows = rows.drop_duplicates("published", keep="last").set_index("published", drop=False)
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
    if current is None or ordered[-1].published != current:
        # The archive holds a vintage newer than the cache: that one is the newest.
        top = ordered[-1].published
        vintages = Vintages(newest, ordered, url, rows)
        vintages.newest = vintages._load(top)
        return vintages
    return Vintages(newest, ordered, url, rows)
