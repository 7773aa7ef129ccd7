"""The archive's tables (one schema for SQLite and PostgreSQL) and its ordered migrations.

The schema version is recorded in ``schema_version``; :func:`upgrade` applies the migrations
that are missing, in order, each in its own transaction. The migrations live in
:mod:`mdvax.archive.migrations`, one frozen module each (they never call this module or the
rest of the live code): to change the schema, change the tables here and add a migration
(never edit one that has shipped); archives made by older releases are then upgraded the next
time they are opened.

Tables
------
``vintages``
    One row per recorded snapshot: ``id`` (``publication day ordinal * 100 + rank that day``,
    so ids follow the timeline whatever order vintages were recorded in), ``published`` date, ``fetched_at`` (naive UTC), the raw
    file's ``sha256`` (unique: the idempotency key), ``source``, and counts of what it revised.
``series``
    One row per (county, measure): the 25 county names (24 jurisdictions and ``Unassigned``)
    times the stored measures.
``value_versions``
    One row per stored value: ``(series_id, day)`` had ``value`` from vintage ``valid_from``
    up to, not including, vintage ``valid_to`` (``NULL``: still current).
``vintage_tables``
    Version 3. One row per vintage: its table as one compressed blob (``data``, see
    :mod:`mdvax.archive.tables`), so reading a vintage is one primary-key lookup whatever the
    number of vintages. Derived from ``value_versions`` (the source of truth) and written in the
    same transaction as the vintage.
``dataset_vintages``
    Version 4. One row per (dataset, publication day) of every dataset but the county table
    (:mod:`mdvax.datasets`): its provenance and its whole table as one compressed blob (see
    :mod:`mdvax.archive.datasets`); the day's last file wins.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    inspect,
    select,
)

from mdvax.archive.migrations import MIGRATIONS

__all__ = ["MIGRATIONS", "current_version", "latest_version", "metadata", "upgrade"]

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", DateTime, nullable=False),
)

vintages = Table(
    "vintages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("published", Date, nullable=False),
    Column("fetched_at", DateTime, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("source", String(200), nullable=False),
    Column("first_date", Date, nullable=False),
    Column("last_date", Date, nullable=False),
    Column("n_values", Integer, nullable=False),
    Column("n_revised", Integer, nullable=False),
    Column("n_added", Integer, nullable=False),
    Column("n_removed", Integer, nullable=False),
    # Version 2: JSON with the details of where the bytes came from (a git vintage's
    # repository, commit and path) and data-quality notes; NULL for plain downloads.
    Column("provenance", Text, nullable=True),
)

series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("county", String(40), nullable=False),
    Column("measure", String(40), nullable=False),
    UniqueConstraint("county", "measure", name="series_county_measure"),
)

value_versions = Table(
    "value_versions",
    metadata,
    Column("series_id", Integer, ForeignKey("series.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("valid_from", Integer, ForeignKey("vintages.id"), primary_key=True),
    Column("valid_to", Integer, ForeignKey("vintages.id"), nullable=True),
    Column("value", BigInteger, nullable=False),
)

vintage_tables = Table(
    "vintage_tables",
    metadata,
    Column("vintage_id", Integer, ForeignKey("vintages.id"), primary_key=True, autoincrement=False),
    Column("format", String(40), nullable=False),  # how ``data`` is encoded (tables.FORMAT)
    Column("n_rows", Integer, nullable=False),  # rows of the table: checked when read
    Column("data", LargeBinary, nullable=False),
)


dataset_vintages = Table(
    "dataset_vintages",
    metadata,
    Column("dataset", String(20), primary_key=True),
    Column("published", Date, primary_key=True),
    Column("fetched_at", DateTime, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("source", String(200), nullable=False),
    Column("first_date", Date, nullable=True),  # None: a table without dates (zip)
    Column("last_date", Date, nullable=True),
    Column("n_rows", Integer, nullable=False),
    Column("format", String(40), nullable=False),  # how ``data`` is encoded
    Column("provenance", Text, nullable=True),
    Column("data", LargeBinary, nullable=False),
)


def latest_version() -> int:
    """Schema version this release writes (the number of migrations)."""
    return len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    """Recorded schema version (0 for an empty database)."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    return conn.scalar(select(func.max(schema_version.c.version))) or 0


def upgrade(conn: Connection) -> list[int]:
    """Apply the missing migrations on ``conn`` (inside the caller's transaction).

    Returns
    -------
    list of int
        Versions applied (empty when the schema was already current).
    """
    schema_version.create(conn, checkfirst=True)
    applied = []
    for version in range(current_version(conn) + 1, latest_version() + 1):
        MIGRATIONS[version - 1](conn)
        stamp = datetime.now(UTC).replace(tzinfo=None)
        conn.execute(schema_version.insert().values(version=version, applied_at=stamp))
        applied.append(version)
    return applied
