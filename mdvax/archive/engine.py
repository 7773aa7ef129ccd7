"""Connections to the archive database: SQLite file (default) or PostgreSQL, same behaviour.

Writes go through :func:`write_transaction`, which makes a writer exclusive before it reads
anything, so two updates can never interleave their reads and writes:

- SQLite: ``BEGIN IMMEDIATE`` (takes the write lock at once; readers carry on thanks to WAL);
- PostgreSQL: a transaction-scoped advisory lock (``pg_advisory_xact_lock``).

Connections are not pooled (each archive operation is one connection, opened and closed), so
an :class:`~mdvax.archive.Archive` that is never closed holds nothing open.

Either way the whole write is one transaction: a process killed in the middle leaves the
database as it was before (SQLite rolls back the hot journal/WAL on next open; PostgreSQL
aborts the transaction when the client's socket closes).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from mdvax.errors import ArchiveError

#: Key of the PostgreSQL advisory lock held by archive writers ("mdvax" in ASCII).
PG_LOCK_KEY = 0x6D64766178

#: Seconds a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT = 60


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (a SQLAlchemy URL), set up for safe archive writes.

    Parameters
    ----------
    url : str
        ``sqlite:///path/archive.sqlite`` or ``postgresql+psycopg://...``; a plain
        ``postgresql://`` URL uses psycopg 3 (the driver installed with mdvax).

    Raises
    ------
    ArchiveError
        For a URL that is not SQLite or PostgreSQL, or whose SQLite folder cannot be made.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ArchiveError(f"archive URL {url!r} is not a database URL: {error}") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, poolclass=NullPool)
    if backend != "sqlite":
        raise ArchiveError(
            f"archive URL {parsed.render_as_string(hide_password=True)!r}: "
            f"only sqlite:/// and postgresql:// databases are supported"
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_TIMEOUT}
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, emit BEGIN (see _sqlite_begin), so DDL is
    # transactional and writers can ask for BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


#: SQLite page cache of a reader's connections, in KiB (SQLite's default is about 2,000).
READER_CACHE_KIB = 256


def read_only(engine: Engine) -> None:
    """Make the new connections of ``engine`` lean readers (the dashboard's).

    On SQLite: a page cache of :data:`READER_CACHE_KIB` (a vintage's table is one row read by
    primary key; a revision series one indexed range) and ``query_only``, so a reader can never
    write. Nothing changes on PostgreSQL, whose cache is the server's.
    """
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_reader)


def _sqlite_reader(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA cache_size=-{READER_CACHE_KIB}")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("mdvax_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that no other archive writer can run beside.

    Commits when the block ends normally, rolls back on any exception.
    """
    with engine.connect() as conn:
        conn = conn.execution_options(mdvax_write=True)
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            yield conn
