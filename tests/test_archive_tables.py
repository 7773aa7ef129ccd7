"""Each vintage's stored table (``vintage_tables``, schema version 3), on SQLite and PostgreSQL.

The tables are checked against the other way of reading a vintage: the scan of
``value_versions`` (``values_at``, the source of truth) and the state's own files.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import delete, func, select, update

from mdvax.api import load_metadata
from mdvax.archive import Archive, VintageTableError
from mdvax.archive.engine import READER_CACHE_KIB
from mdvax.archive.frames import from_long
from mdvax.archive.git_import import import_history
from mdvax.archive.read import values_at
from mdvax.archive.schema import dataset_vintages, schema_version, vintage_tables
from mdvax.cli import main
from mdvax.errors import ArchiveError
from tests.support.archive_fixtures import (  # noqa: F401 (archive_env: a fixture)
    DAYS,
    archive_env,
    ingest,
    value_at,
)
from tests.support.state_repo import build_state_repo, file_at, raw_cumulative

pytestmark = pytest.mark.usefixtures("archive_env")


@pytest.fixture(scope="module")
def state_repo(tmp_path_factory):
    """The replayed repository (read-only for the tests: each import clones it)."""
    return build_state_repo(tmp_path_factory.mktemp("state") / "VaccineCSVs")


def scanned(archive: Archive, vintage_id: int) -> pd.DataFrame:
    """A vintage's table the old way: one scan of the value versions."""
    with archive.engine.connect() as conn:
        return from_long(values_at(conn, vintage_id))


def stored(archive: Archive) -> dict[int, tuple[int, bytes]]:
    """Vintage id -> (rows, blob), read directly from ``vintage_tables``."""
    t = vintage_tables.c
    with archive.engine.connect() as conn:
        rows = conn.execute(select(t.vintage_id, t.n_rows, t.data)).all()
    return {r.vintage_id: (r.n_rows, bytes(r.data)) for r in rows}


@pytest.mark.slow  # imports the state's whole history
def test_every_vintage_of_the_history_reads_as_the_scan_and_the_file(state_repo):
    import_history(repo=str(state_repo))
    with Archive.open() as archive:
        rows = archive.vintages()
        assert len(rows) == 61
        blobs = stored(archive)
        assert sorted(blobs) == list(rows["id"])  # one table per vintage, written by the import
        for row in rows.itertuples():
            table = archive.table_as_of(row.published)
            pd.testing.assert_frame_equal(table, scanned(archive, row.id))
            assert blobs[row.id][0] == len(table) == row.n_values // 3

        # Independently of the archive: a mid-history vintage against its commit's own file.
        april20 = rows[rows["published"] == pd.Timestamp("2021-04-20")].iloc[0]
        text = file_at(state_repo, april20["source"].removeprefix("git:"))
        raw = raw_cumulative(text, "2021-04-12", "SecondDoseCumulative")
        table = archive.table_as_of("2021-04-20")
        assert value_at(table, "Howard", "2021-04-12", "second_dose") == raw["Howard"] > 0

        # An archive from before version 3: the migration writes every table, the same ones.
        with archive.engine.begin() as conn:
            vintage_tables.drop(conn)
            dataset_vintages.drop(conn)  # version 4 (empty here), re-created after 3
            conn.execute(delete(schema_version).where(schema_version.c.version >= 3))
    with Archive.open() as archive:
        rebuilt = stored(archive)
        assert sorted(rebuilt) == sorted(blobs)
        for vintage_id, (n_rows, blob) in blobs.items():
            assert rebuilt[vintage_id][0] == n_rows
            assert rebuilt[vintage_id][1] == blob  # same values, same bytes
        may6 = int(rows.loc[rows["published"] == pd.Timestamp("2021-05-06"), "id"].iloc[0])
        pd.testing.assert_frame_equal(archive.table_as_of("2021-05-06"), scanned(archive, may6))


def test_a_damaged_table_names_its_vintage_and_can_be_rebuilt(source_server, tmp_path, capsys):
    tables = {day: ingest(source_server, day)[0] for day in DAYS}
    with Archive.open() as archive:
        ids = list(archive.vintages()["id"])
        blob = stored(archive)[ids[1]][1]
        t = vintage_tables.c
        with archive.engine.begin() as conn:  # one bit flipped in the middle: a data page
            damaged = bytearray(blob)
            damaged[len(blob) // 2] ^= 0x40
            conn.execute(update(vintage_tables).where(t.vintage_id == ids[1]).values(
                data=bytes(damaged)))  # fmt: skip
            conn.execute(delete(vintage_tables).where(t.vintage_id == ids[2]))
        with pytest.raises(VintageTableError, match=r"vintage 2021-03-30 \(id \d+\) cannot be "):
            archive.table_as_of("2021-03-31")
        with pytest.raises(VintageTableError, match=r"vintage 2021-04-01 .* is missing"):
            archive.table_as_of("2021-04-01")
        pd.testing.assert_frame_equal(archive.table_as_of("2021-03-23"), tables["2021-03-23"])

        # The command line: one line naming the vintage and the repair, the archive's exit code.
        target = tmp_path / "as_of.csv"
        assert main(["export", "--as-of", "2021-03-30", "--output", str(target)]) == 6
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1
        assert err[0].startswith(
            "mdvax export: error: archive: the stored table of vintage 2021-03-30"
        )
        assert "`mdvax history rebuild`" in err[0]
        assert not target.exists()

        # The repair the message names.
        assert main(["history", "rebuild", "--quiet"]) == 0
        out = capsys.readouterr().out
        assert "rebuilt the stored tables of 3 vintages" in out
        for day, table in tables.items():
            pd.testing.assert_frame_equal(archive.table_as_of(day), table)
        with archive.engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(vintage_tables)) == 3


def test_a_reader_reads_with_a_small_cache_and_never_writes(source_server):
    tables = {day: ingest(source_server, day)[0] for day in DAYS[:2]}
    meta = load_metadata()
    with Archive.open(reader=True) as archive:
        pd.testing.assert_frame_equal(archive.table_as_of("2021-03-29"), tables["2021-03-23"])
        if archive.engine.dialect.name == "sqlite":  # PostgreSQL's cache is the server's
            with archive.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -READER_CACHE_KIB
            with pytest.raises(ArchiveError, match="readonly database"):
                archive.record_vintage(
                    tables["2021-03-30"], published=date(2021, 4, 2), sha256="1" * 64,
                    fetched_at=meta.fetched_at, source="test",
                )  # fmt: skip
    with Archive.open() as archive:
        assert len(archive.vintages()) == 2
