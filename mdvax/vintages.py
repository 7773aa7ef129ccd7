"""The vintages service: which table is in force on a day, the archive's catalogue, recent tables.

One place for what the API (:func:`mdvax.api.load_table`), the report
(:mod:`mdvax.report.inputs`) and the dashboard (:mod:`mdvax.dashboard.vintages`) used to decide
each in its own way:

- the policy (:func:`in_force`): the current table (the cache, else the embedded snapshot) is
  the newest vintage, so it answers any day on or after its publication; an earlier day is
  answered by the archive's vintage in force then (:meth:`mdvax.archive.Archive.vintage_as_of`,
  the one implementation of that rule);
- the catalogue (:func:`catalogue`): the archive's vintages, one per publication day (the
  later-recorded on a tie, as ``vintage_as_of`` picks), with the archive's fingerprint
  (both in :mod:`mdvax.vintages_catalogue`, re-exported here);
- :class:`Recent`: a small least-recently-used store of tables, keyed by what identifies them
  (an archived vintage's table never changes).

The archive (and SQLAlchemy) is imported on first use: a kernel without one never loads it.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from mdvax.cache import Cache, CacheMeta
from mdvax.config import Settings
from mdvax.errors import ArchiveError, CacheError
from mdvax.provenance import Provenance
from mdvax.recent import Recent
from mdvax.vintages_catalogue import Catalogue, archive_exists, catalogue, fingerprint, open_archive

__all__ = [
    "Catalogue",
    "Recent",
    "archive_exists",
    "catalogue",
    "current_meta",
    "current_table",
    "dataset_in_force",
    "fingerprint",
    "in_force",
    "load_table",
    "oldest_published",
    "prefer_current",
    "table",
]


#: Archived tables this process read, by (archive URL, sha256): in a report backfill's kept
#: kernel each day's table is the next day's "before" (a day uses two; three are kept).
TABLES = Recent(3)


def _uses_embedded(settings: Settings) -> bool:
    """Nothing was ever fetched into this data folder, and the packaged snapshot is enabled."""
    return settings.embedded_snapshot and not settings.current_table_path.exists()


def current_meta(settings: Settings) -> CacheMeta:
    """Provenance of the current table: the cache's, else the embedded snapshot's.

    Raises
    ------
    CacheError
        When nothing is cached and the embedded snapshot is off (the message says what to do).
    """
    if _uses_embedded(settings):
        from mdvax import embedded

        return embedded.load_meta()
    return Cache(settings).load_meta()


def current_table(settings: Settings) -> pd.DataFrame:
    """The current table: the cache's, else the embedded snapshot (CacheError: neither)."""
    if _uses_embedded(settings):
        from mdvax import embedded

        return embedded.load_table()
    return Cache(settings).load_table()


def prefer_current(current: date | None, archived: date | None) -> bool:
    """The one cache-vs-archive rule: the current table, unless the archive's is newer.

    The current table is the newest vintage unless the archive holds one published after it
    (``current``/``archived``: their publication days; None when there is none). On a tie the
    current table wins (it is that vintage, as fetched).
    """
    return current is not None and (archived is None or current >= archived)


def in_force(settings: Settings, as_of: date | None) -> tuple[Provenance, bool]:
    """Where the data in force on ``as_of`` (None: the newest) comes from.

    The current table answers any day on or after its publication (:func:`prefer_current`);
    the archive's vintage in force (:meth:`mdvax.archive.Archive.vintage_as_of`) any other.

    Returns
    -------
    Provenance, bool
        Its provenance, and whether it is the current table's (else an archived vintage's).

    Raises
    ------
    CacheError
        When ``as_of`` is None and there is no current table.
    ArchiveError
        When the archive has no vintage published by ``as_of`` (or cannot be read).
    """
    try:
        meta = current_meta(settings)
    except CacheError:
        if as_of is None:
            raise
        meta = None
    if meta is not None and as_of is not None and as_of < meta.published:
        meta = None  # published after the day asked for: only the archive can answer
    row = None
    if meta is None or archive_exists(settings):
        try:
            with open_archive(settings) as archive:
                row = archive.vintage_as_of(as_of or date.max)
        except ArchiveError:
            if meta is None:
                raise
    archived = row["published"].date() if row is not None else None
    if prefer_current(meta.published if meta is not None else None, archived):
        return Provenance.from_cache(meta, as_of), True
    return Provenance.from_vintage(row, as_of or archived), False


def oldest_published(settings: Settings) -> date | None:
    """Publication day of the archive's oldest vintage (None: the archive is empty).

    One aggregate query (``MIN(published)``), not the vintage list.
    """
    from sqlalchemy import func, select

    from mdvax.archive.schema import vintages as vintage_rows

    with open_archive(settings) as archive, archive.engine.connect() as conn:
        return conn.scalar(select(func.min(vintage_rows.c.published)))


def archived_table(
    settings: Settings | str,
    provenance: Provenance,
    store: Recent = TABLES,
    dataset: str = "county",
) -> pd.DataFrame:
    """The table of the archived vintage of ``provenance`` (read once, then kept in ``store``).

    ``settings``: the settings of the archive, or its URL.
    """
    url = settings if isinstance(settings, str) else settings.archive_url

    def read() -> pd.DataFrame:
        with open_archive(url) as archive:
            return archive.table_as_of(provenance.published, dataset)

    key = (url, provenance.sha256) if dataset == "county" else (url, dataset, provenance.sha256)
    return store.get(key, read)


def dataset_in_force(settings: Settings, dataset: str, as_of: date | None) -> Provenance:
    """Provenance of ``dataset``'s vintage in force on ``as_of`` (None: its newest).

    The datasets beyond the county table live in the archive only (``mdvax update`` and
    ``mdvax history import`` record them there): :meth:`mdvax.archive.Archive.vintage_as_of`
    decides, as it does for the county table.
    """
    with open_archive(settings) as archive:
        row = archive.vintage_as_of(as_of or date.max, dataset)
    return Provenance.from_vintage(row, as_of or row["published"].date())


def table(settings: Settings, provenance: Provenance, current: bool) -> pd.DataFrame:
    """The table :func:`in_force` named: the current one, or the archived vintage's (a copy)."""
    if current:
        return current_table(settings)
    return archived_table(settings, provenance).copy()


def load_table(
    settings: Settings, as_of: date | None = None, dataset: str = "county"
) -> pd.DataFrame:
    """The table of ``dataset`` in force on ``as_of`` (None: the current one).

    The county table as :func:`in_force` picks; any other from the archive
    (:func:`dataset_in_force`).
    """
    if dataset != "county":
        provenance = dataset_in_force(settings, dataset, as_of)
        return archived_table(settings, provenance, dataset=dataset).copy()
    return table(settings, *in_force(settings, as_of))
