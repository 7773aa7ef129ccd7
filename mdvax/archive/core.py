"""The :class:`Archive`: every published version of the county table, queryable as of a date."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Engine, exc

from mdvax.archive import datasets, read, tables
from mdvax.archive.dates import as_date
from mdvax.archive.diff import to_long
from mdvax.archive.engine import make_engine, read_only, write_transaction
from mdvax.archive.record import Provenance, check_sha256, utc_naive, write_vintage
from mdvax.archive.revising import RevisionQueries
from mdvax.archive.schema import current_version, latest_version, upgrade
from mdvax.archive.summary import VintageSummary
from mdvax.config import get_settings
from mdvax.errors import ArchiveError, MdvaxError


class Archive(RevisionQueries, datasets.DatasetQueries):
    """An open archive database. Make one with :meth:`Archive.open`.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Engine on a database whose schema is current.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, reader: bool = False) -> Archive:
        """Connect, creating the schema or applying missing migrations.

        Parameters
        ----------
        url : str, optional
            SQLAlchemy URL; default ``get_settings().archive_url`` (``MDVAX_DATABASE_URL`` or
            ``<data_dir>/archive.sqlite``).
        reader : bool
            Only read after opening (the dashboard): on SQLite, connections with a small page
            cache that refuse writes (see :func:`mdvax.archive.engine.read_only`).

        Raises
        ------
        ArchiveError
            When the database cannot be reached or was written by a newer mdvax.
        """
        archive = cls(make_engine(url or get_settings().archive_url))
        with archive._errors("open"):
            with archive.engine.connect() as conn:
                version = current_version(conn)
            if version < latest_version():
                with write_transaction(archive.engine) as conn:
                    upgrade(conn)  # re-reads the version under the write lock
                version = latest_version()
        if version > latest_version():
            archive.close()
            raise ArchiveError(
                f"archive {archive.url} has schema version {version}, newer than this mdvax "
                f"understands ({latest_version()}): upgrade mdvax"
            )
        if reader:
            read_only(archive.engine)
        return archive

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except MdvaxError:
            raise
        except exc.SQLAlchemyError as error:
            detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise ArchiveError(f"archive {self.url}: cannot {action}: {detail}") from error

    # -- writing -------------------------------------------------------------------------
    def record_vintage(
        self,
        table: pd.DataFrame,
        *,
        published: date,
        fetched_at: datetime,
        sha256: str,
        source: str,
        details: str | None = None,
    ) -> VintageSummary:
        """Record a snapshot's canonical table as a vintage, in one transaction.

        Only the values that changed since the previous vintage are stored. Recording a
        snapshot whose ``sha256`` is already archived adds nothing. Vintages may arrive in any
        order: one published before vintages already archived is spliced into the timeline
        (see :mod:`mdvax.archive.record`), and the archive ends up exactly as if they had been
        recorded in publication order.

        Parameters
        ----------
        table : pandas.DataFrame
            The canonical table (as :func:`mdvax.api.load_table` returns) of the snapshot.
        published : date
            Publication date (``Last-Modified`` date, else the latest data date).
        fetched_at : datetime
            When the raw file was fetched (aware, or naive UTC); for a git commit, its date.
            Orders vintages published on the same day.
        sha256 : str
            Hash of the raw file: the idempotency key.
        source : str
            Where it came from: a source name (``maryland-csv``...) or ``git:<commit sha>``.
        details : str, optional
            JSON kept with the vintage: repository, commit, path, data-quality notes.

        Returns
        -------
        VintageSummary
            What was revised; ``str()`` of it is the text ``mdvax update`` prints.

        Raises
        ------
        ArchiveError
            When the table lacks the stored columns.
        """
        published = as_date(published, "publication date")
        sha256 = check_sha256(sha256)
        values = to_long(table)
        with self._errors("record a vintage"), write_transaction(self.engine) as conn:
            prov = Provenance(
                published, utc_naive(fetched_at), sha256, str(source), details=details
            )
            return write_vintage(conn, values, prov)

    # -- reading -------------------------------------------------------------------------
    def vintages(self) -> pd.DataFrame:
        """Every vintage, oldest first: id, publication/fetch dates, sha256, revision counts."""
        with self._errors("list vintages"), self.engine.connect() as conn:
            return read.vintage_table(conn)

    def vintage_list(self) -> pd.DataFrame:
        """One row per vintage, oldest first, as :func:`mdvax.api.vintages` documents."""
        with self._errors("list vintages"), self.engine.connect() as conn:
            return read.vintage_list(conn)

    def fingerprint(self) -> tuple:
        """A cheap value that changes whenever a vintage is recorded (count, newest id, time).

        Compare two to know whether the catalogue of vintages read in between is stale.
        """
        with self._errors("read the archive's fingerprint"), self.engine.connect() as conn:
            return read.fingerprint(conn)

    def has_vintage(self, sha256: str) -> bool:
        """Whether a snapshot with these bytes is archived (cheap: one indexed lookup)."""
        with self._errors("look up a vintage"), self.engine.connect() as conn:
            return read.has_sha256(conn, check_sha256(sha256))

    def vintage_as_of(self, day: date | datetime | str, dataset: str = "county") -> pd.Series:
        """The vintage of ``dataset`` in force on ``day``: the latest published on or before it.

        The one implementation of that rule (one indexed query); on a day with several
        vintages the later-recorded one wins, as :meth:`table_as_of` reads. Other datasets
        than ``county`` have one vintage per day (:mod:`mdvax.archive.datasets`).

        Returns
        -------
        pandas.Series
            The vintage's row, as :meth:`vintages` gives it.

        Raises
        ------
        ArchiveError
            When the archive is empty, or no vintage was published by ``day`` (the message
            gives the oldest).
        """
        day = as_date(day)
        with self._errors("read a vintage"), self.engine.connect() as conn:
            if dataset != "county":
                return datasets.frame([datasets.as_of(conn, dataset, day)]).iloc[0]
            return read.vintage_frame([read.vintage_as_of(conn, day)]).iloc[0]

    def table_as_of(self, as_of: date | datetime | str, dataset: str = "county") -> pd.DataFrame:
        """The table of ``dataset`` in the latest vintage published on or before ``as_of``.

        One primary-key lookup of the vintage's stored table (:mod:`mdvax.archive.tables`):
        the same cost whatever the number of vintages.

        Raises
        ------
        ArchiveError
            When no vintage was published by then (the message gives the oldest).
        VintageTableError
            When the vintage's stored table is missing or damaged (names the vintage).
        """
        as_of = as_date(as_of)
        with self._errors("read a vintage"), self.engine.connect() as conn:
            if dataset != "county":
                row = datasets.as_of(conn, dataset, as_of)
                return datasets.read(conn, dataset, row.published)
            return tables.read(conn, read.vintage_as_of(conn, as_of))

    def rebuild_tables(self, progress: bool | None = None) -> int:
        """Rewrite every vintage's stored table from the value versions (repairs a damaged one).

        Returns
        -------
        int
            Tables written.
        """
        with self._errors("rebuild the vintage tables"), write_transaction(self.engine) as conn:
            tables.delete_from(conn, 0)
            return tables.backfill(conn, progress)
