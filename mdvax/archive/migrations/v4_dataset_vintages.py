"""Migration 4: ``dataset_vintages``, one row per (dataset, publication day) of the new datasets.

Frozen (see the package): the table as :mod:`mdvax.archive.schema` had it when this shipped.
Nothing to backfill: those datasets were never archived before.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Date, DateTime, Integer, LargeBinary, String, Table, Text

from mdvax.archive.migrations.v1_create import metadata

dataset_vintages = Table(
    "dataset_vintages",
    metadata,
    Column("dataset", String(20), primary_key=True),
    Column("published", Date, primary_key=True),
    Column("fetched_at", DateTime, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("source", String(200), nullable=False),
    Column("first_date", Date, nullable=True),
    Column("last_date", Date, nullable=True),
    Column("n_rows", Integer, nullable=False),
    Column("format", String(40), nullable=False),
    Column("provenance", Text, nullable=True),
    Column("data", LargeBinary, nullable=False),
)


def migrate(conn: Connection) -> None:
    """Version 4: the ``dataset_vintages`` table (empty)."""
    dataset_vintages.create(conn)
