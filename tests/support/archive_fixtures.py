"""Fixtures for the archive tests: the same tests on a SQLite file and on real PostgreSQL.

Import the fixtures into a test module (``from tests.support.archive_fixtures import ...``).
PostgreSQL runs are marked ``postgres`` and use the lead's ``postgres_url`` fixture: they skip
without ``MDVAX_DATABASE_URL`` locally and fail in CI. Each PostgreSQL test gets a database of
its own, created on the server and dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import pytest
from sqlalchemy import create_engine, func, make_url, select, text

from mdvax.api import load_table
from mdvax.archive import Archive
from mdvax.archive.schema import value_versions
from mdvax.config import Settings, get_settings
from mdvax.pipeline import update

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

#: Days of the committed snapshots (tests/data), oldest first.
DAYS = ["2021-03-23", "2021-03-30", "2021-04-01"]

#: The value columns the archive stores (checked independently of mdvax.archive).
STORED = ["first_dose_daily", "second_dose_daily", "single_dose_daily"]


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of ``server_url``; dropped afterwards."""
    name = f"mdvax_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(server_url)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def archive_env(request, data_env, monkeypatch) -> Iterator[Settings]:
    """``data_env`` whose archive is the default SQLite file, or a fresh PostgreSQL database.

    The SQLite run leaves ``MDVAX_DATABASE_URL`` unset, so it exercises the default
    ``<data_dir>/archive.sqlite``; the PostgreSQL run sets it, as ``make test`` does.
    """
    if request.param == "sqlite":
        yield data_env
        return
    with scratch_database(request.getfixturevalue("postgres_url")) as url:
        monkeypatch.setenv("MDVAX_DATABASE_URL", url)
        yield get_settings()


def changed_values(old: pd.DataFrame | None, new: pd.DataFrame) -> int:
    """How many stored values ``new`` changes or adds relative to ``old`` (plain pandas)."""
    if old is None:
        return len(new) * len(STORED)
    merged = new.merge(old, on=["county", "date"], how="left", suffixes=("", "_old"))
    return int(sum((merged[c] != merged[f"{c}_old"]).fillna(True).sum() for c in STORED))


def value_at(table: pd.DataFrame, county: str, day: str, column: str) -> int:
    """One cell of a canonical table."""
    rows = table[(table["county"] == county) & (table["date"] == pd.Timestamp(day))]
    assert len(rows) == 1, f"{county} {day}: {len(rows)} rows"
    return int(rows[column].iloc[0])


def ingest(server, day: str) -> tuple[pd.DataFrame, object]:
    """Serve ``day``'s snapshot, run a real update, return the current table and the summary."""
    server.set_snapshot(day)
    result = update(source="maryland-csv")
    assert result.status == "updated"
    return load_table(), result.revisions


def stored_versions(archive: Archive) -> int:
    """Rows of ``value_versions``, counted directly in the database."""
    with archive.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(value_versions))
