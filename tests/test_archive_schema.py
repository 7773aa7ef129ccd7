"""Schema versions and migrations, bad input and concurrent writers, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Column, Integer, Table, inspect, make_url, select, text

from mdvax.api import load_metadata, load_table
from mdvax.archive import Archive, record, schema
from mdvax.archive import tables as stored_tables
from mdvax.config import get_settings
from mdvax.errors import ArchiveError
from mdvax.normalize import normalize
from mdvax.sources.local import FileSource
from tests.support.archive_fixtures import (  # noqa: F401 (archive_env: a fixture)
    DAYS,
    archive_env,
    changed_values,
    ingest,
    stored_versions,
)
from tests.support.source_server import snapshot_path

pytestmark = pytest.mark.usefixtures("archive_env")


def recorded_versions(archive: Archive) -> list[int]:
    with archive.engine.connect() as conn:
        return list(conn.scalars(select(schema.schema_version.c.version)))


def test_open_creates_the_schema_once():
    url = make_url(get_settings().archive_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql")  # a plain URL gets the installed psycopg 3
    with Archive.open(url.render_as_string(hide_password=False)) as archive:
        assert archive.engine.dialect.driver in {"psycopg", "pysqlite"}
        assert recorded_versions(archive) == [1, 2, 3, 4]
        assert schema.latest_version() == 4
        names = set(inspect(archive.engine).get_table_names())
        assert {"schema_version", "vintages", "series", "value_versions", "vintage_tables",
                "dataset_vintages"} <= names  # fmt: skip
    with Archive.open() as archive:
        assert recorded_versions(archive) == [1, 2, 3, 4]


def test_a_new_migration_is_applied_in_order_and_keeps_the_data(source_server, monkeypatch):
    table, _ = ingest(source_server, "2021-03-23")
    notes = Table("notes", schema.metadata, Column("id", Integer, primary_key=True))

    def add_notes(conn) -> None:
        notes.create(conn)

    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, add_notes))
    try:
        with Archive.open() as archive:
            assert recorded_versions(archive) == [1, 2, 3, 4, 5]
            assert inspect(archive.engine).has_table("notes")
            assert stored_versions(archive) == changed_values(None, table)
    finally:
        schema.metadata.remove(notes)


def test_version_1_archives_get_timeline_ids_and_keep_every_vintage(source_server, monkeypatch):
    with monkeypatch.context() as patch:  # an archive written before ids were derived: 1, 2...
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        counter = itertools.count(1)
        patch.setattr(record, "vintage_id", lambda _published, _rank: next(counter))
        # No vintage tables before version 3.
        patch.setattr(stored_tables, "write", lambda *_args: None)
        tables = [ingest(source_server, day)[0] for day in ("2021-03-23", "2021-03-30")]
        with Archive.open() as archive:
            old = archive.vintages()
    assert list(old["id"]) == [1, 2]
    with Archive.open() as archive:
        assert recorded_versions(archive) == [1, 2, 3, 4]
        new = archive.vintages()
        days = [date(2021, 3, 23), date(2021, 3, 30)]
        assert list(new["id"]) == [d.toordinal() * 100 for d in days]
        columns = ["published", "sha256", "source", "n_values", "n_revised", "n_added"]
        pd.testing.assert_frame_equal(new[columns], old[columns])
        for day, table in zip(days, tables, strict=True):
            pd.testing.assert_frame_equal(archive.table_as_of(day), table)
        assert stored_versions(archive) == changed_values(None, tables[0]) + changed_values(*tables)


def test_migrations_are_frozen_whatever_the_live_code_does(source_server, monkeypatch):
    with monkeypatch.context() as patch:  # a version-1 archive, as in the test above
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        counter = itertools.count(1)
        patch.setattr(record, "vintage_id", lambda _published, _rank: next(counter))
        patch.setattr(stored_tables, "write", lambda *_args: None)
        tables = [ingest(source_server, day)[0] for day in ("2021-03-23", "2021-03-30")]

    def changed(*_args, **_kwargs):
        raise AssertionError("a migration called the live archive code")

    with monkeypatch.context() as patch:  # the live writer and encoder as a later release's
        for module in (record, stored_tables):
            for name in ("vintage_id", "append_vintage", "truncate_from", "values_at", "write",
                         "encode", "backfill", "states", "long_frame", "series_names"):  # fmt: skip
                if hasattr(module, name):
                    patch.setattr(module, name, changed)
        with Archive.open() as archive:
            assert recorded_versions(archive) == [1, 2, 3, 4]
    with Archive.open() as archive:
        days = [date(2021, 3, 23), date(2021, 3, 30)]
        assert list(archive.vintages()["id"]) == [d.toordinal() * 100 for d in days]
        for day, table in zip(days, tables, strict=True):
            pd.testing.assert_frame_equal(archive.table_as_of(day), table)


def test_an_archive_from_a_newer_mdvax_is_refused():
    with Archive.open() as archive, archive.engine.begin() as conn:
        conn.execute(
            schema.schema_version.insert().values(version=99, applied_at=text("CURRENT_TIMESTAMP"))
        )
    with pytest.raises(ArchiveError, match="schema version 99, newer than this mdvax understands"):
        Archive.open()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://someone@127.0.0.1/db", "only sqlite:/// and postgresql:// databases"),
        ("not a url", "is not a database URL"),
        ("postgresql://nobody@127.0.0.1:1/none", "cannot open"),
    ],
)
def test_bad_database_urls_name_the_problem(url, message):
    with pytest.raises(ArchiveError, match=message):
        Archive.open(url)


def test_bad_vintages_are_refused_before_writing(source_server):
    table, _ = ingest(source_server, "2021-03-23")
    meta = load_metadata()
    args = {"published": meta.published, "fetched_at": meta.fetched_at, "source": "test"}
    with Archive.open() as archive:
        with pytest.raises(ArchiveError, match="is not 64 hexadecimal digits"):
            archive.record_vintage(table, sha256="abc", **args)
        with pytest.raises(ArchiveError, match="lacks column"):
            archive.record_vintage(table.drop(columns="single_dose_daily"), sha256="0" * 64, **args)
        with pytest.raises(ArchiveError, match="more than once"):
            archive.record_vintage(table.iloc[[0, 0]], sha256="0" * 64, **args)
        assert len(archive.vintages()) == 1


def test_concurrent_writers_record_a_snapshot_once(source_server):
    ingest(source_server, "2021-03-30")
    snapshot = FileSource(str(snapshot_path("2021-04-01")), get_settings()).fetch()
    table = normalize(snapshot).table
    summaries, errors = [], []

    def record() -> None:
        args = {"published": table["date"].max(), "fetched_at": snapshot.fetched_at}
        try:
            with Archive.open() as archive:
                summary = archive.record_vintage(
                    table, sha256=snapshot.sha256, source="file", **args
                )
            summaries.append(summary)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=record) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(s.added_vintage for s in summaries) == [False, False, True]
    with Archive.open() as archive:
        assert len(archive.vintages()) == 2
        expected = changed_values(None, load_table()) + changed_values(load_table(), table)
        assert stored_versions(archive) == expected
