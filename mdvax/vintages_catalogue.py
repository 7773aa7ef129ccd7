"""The archive's catalogue and fingerprint: what the vintages service reads to know what changed.

Split from :mod:`mdvax.vintages` (which re-exports these names):

- :func:`archive_exists`: whether there is an archive at all (never created here);
- :func:`fingerprint`: a cheap stamp that changes whenever a vintage is recorded;
- :func:`catalogue`: the archive's vintages, one per publication day, with that stamp.

The archive (and SQLAlchemy) is imported on first use: a kernel without one never loads it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

import pandas as pd

from mdvax.config import Settings
from mdvax.provenance import Provenance

__all__ = ["Catalogue", "archive_exists", "catalogue", "fingerprint", "open_archive"]


def open_archive(settings: Settings | str):
    """The archive of ``settings`` (or at that URL), opened to read."""
    from mdvax.archive import Archive

    url = settings if isinstance(settings, str) else settings.archive_url
    return Archive.open(url, reader=True)


def archive_exists(settings: Settings) -> bool:
    """A configured database, or an archive file in the data folder (never created here)."""
    return bool(settings.database_url) or (settings.data_dir / "archive.sqlite").exists()


def fingerprint(settings: Settings) -> tuple | None:
    """What changes whenever a vintage is recorded (None: there is no archive).

    Checked on every page a visitor opens, so it must be cheap: for a SQLite file, the stat of
    the database and of its write-ahead log (microseconds; a commit always writes one of
    them); for PostgreSQL, :meth:`mdvax.archive.Archive.fingerprint` on an archive kept open
    for the process (one aggregate query).
    """
    if not archive_exists(settings):
        return None
    url = settings.archive_url
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return (_stat(path), _stat(path + "-wal"))
    if url not in _KEPT:
        _KEPT[url] = open_archive(url)
    return _KEPT[url].fingerprint()


#: Archives kept open for :func:`fingerprint` (PostgreSQL), by URL. An engine without a pool:
#: nothing is held open between two checks.
_KEPT: dict[str, object] = {}


def _stat(path: str) -> tuple | None:
    """Inode, size and modification time of ``path`` (None: absent or empty).

    An empty write-ahead log counts as none: a reader's own open and close (which may create
    and delete an empty one) never changes the answer.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns) if st.st_size else None


@dataclass(frozen=True)
class Catalogue:
    """The archive's vintages, one per publication day, and the fingerprint they were read at.

    ``rows``: :meth:`mdvax.archive.Archive.vintages` rows (the later-recorded on a day with
    several), indexed by publication day (datetime64), oldest first.
    """

    rows: pd.DataFrame
    stamp: tuple | None
    url: str

    def provenance(self, published: date) -> Provenance:
        """Provenance of the vintage published on ``published`` (one of :attr:`rows`)."""
        return Provenance.from_vintage(self.rows.loc[pd.Timestamp(published)], published)


def catalogue(settings: Settings) -> Catalogue:
    """The archive's :class:`Catalogue` (empty without an archive; nothing is created).

    Raises
    ------
    ArchiveError
        When the archive cannot be read.
    """
    if not archive_exists(settings):
        return Catalogue(pd.DataFrame(), None, settings.archive_url)
    stamp = fingerprint(settings)  # before reading: a vintage recorded meanwhile re-reads
    with open_archive(settings) as archive:
        rows = archive.vintages()
    rows = rows.drop_duplicates("published", keep="last").set_index("published", drop=False)
    return Catalogue(rows, stamp, settings.archive_url)
