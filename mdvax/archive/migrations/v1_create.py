"""Migration 1: the vintages, series and value versions tables (frozen: see the package).

The tables as migration 1 creates them; :mod:`mdvax.archive.schema` has the live definitions.
``vintages.provenance`` (version 2) was already created here when migration 2 shipped, and
migration 2 adds it only when missing, so both kinds of version-1 archives end up the same.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

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


def migrate(conn: Connection) -> None:
    """Version 1: vintages, series and value versions."""
    metadata.create_all(conn, tables=[vintages, series, value_versions])
