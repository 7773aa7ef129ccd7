"""The archive through the real fetch path: successive real snapshots (tests/data) served over HTTP,
``mdvax update`` recording each as a vintage, on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from mdvax.api import load_metadata, load_table
from mdvax.archive import Archive
from mdvax.cli import main
from mdvax.config import get_settings
from mdvax.errors import ArchiveError, UnknownMeasureError
from mdvax.normalize import normalize
from mdvax.pipeline import update
from mdvax.sources.local import FileSource
from tests.support.archive_fixtures import (  # noqa: F401 (archive_env: a fixture)
    DAYS,
    archive_env,
    changed_values,
    ingest,
    stored_versions,
    value_at,
)
from tests.support.source_server import snapshot_path

# Every test runs twice: default SQLite file, and a fresh PostgreSQL database (marked postgres).
pytestmark = pytest.mark.usefixtures("archive_env")


def test_vintages_answer_as_published(source_server, capsys):
    tables, summaries = {}, {}
    for day in DAYS[:2]:
        tables[day], summaries[day] = ingest(source_server, day)
    with Archive.open() as archive:
        first = archive.table_as_of("2021-03-23")
        assert value_at(first, "Anne Arundel", "2021-03-23", "first_dose_daily") == 1_718
        assert value_at(first, "Anne Arundel", "2021-03-23", "first_dose") == 138_090
        current = load_table()
        assert value_at(current, "Anne Arundel", "2021-03-23", "first_dose_daily") == 3_444
        assert value_at(current, "Anne Arundel", "2021-03-23", "first_dose") == 140_800
        pd.testing.assert_frame_equal(archive.table_as_of("2021-03-30"), current)

        tables[DAYS[2]], summaries[DAYS[2]] = ingest(source_server, DAYS[2])
        # Later snapshots leave the earlier vintages exactly as they were published.
        pd.testing.assert_frame_equal(archive.table_as_of("2021-03-23"), tables["2021-03-23"])
        pd.testing.assert_frame_equal(archive.table_as_of("2021-03-31"), tables["2021-03-30"])
        pd.testing.assert_frame_equal(archive.table_as_of("2022-01-01"), load_table())
        pd.testing.assert_frame_equal(load_table(as_of="2021-03-29"), tables["2021-03-23"])
        assert value_at(load_table(), "Anne Arundel", "2021-03-23", "first_dose_daily") == 3_481

        # The archive grows with the revisions, not with snapshots x rows.
        expected = [changed_values(None, tables[DAYS[0]])]
        expected += [changed_values(tables[a], tables[b]) for a, b in itertools.pairwise(DAYS)]
        assert expected[0] == 7_500
        assert stored_versions(archive) == sum(expected)
        vintages = archive.vintages()
        assert list(vintages["published"].dt.strftime("%Y-%m-%d")) == DAYS
        assert list(vintages["n_revised"] + vintages["n_added"]) == expected
        assert vintages["sha256"].iloc[-1] == load_metadata().sha256

    summary = summaries["2021-03-30"]
    assert summary.n_versions == expected[1]
    first_doses = summary.revisions[summary.revisions["measure"] == "first_dose_daily"]
    assert (len(first_doses), int((first_doses["change"] < 0).sum())) == (1_161, 336)
    text = str(summary)
    assert f"revises {summary.n_revised:,} daily counts published on 2021-03-23" in text
    assert "Anne Arundel     2021-03-23 first_dose_daily        1,718 ->      3,444" in text


def test_update_prints_the_revision_summary(source_server, capsys):
    source_server.set_snapshot("2021-03-23")
    assert main(["update"]) == 0
    assert "first vintage, 7,500 daily counts" in capsys.readouterr().out
    source_server.set_snapshot("2021-03-30")
    assert main(["update"]) == 0
    out = capsys.readouterr().out
    assert (
        "archived: revises 2,155 daily counts published on 2021-03-23 (554 down), adds 525" in out
    )


def test_revisions_of_one_county(source_server, capsys):
    tables = {day: ingest(source_server, day)[0] for day in DAYS}
    with Archive.open() as archive:
        history = archive.revisions("anne arundel", "first_dose_daily")
        assert archive.revisions("Anne Arundel", "first_dose_daily", as_of="2021-03-29").empty
    on_23 = history[history["date"] == "2021-03-23"]
    assert on_23[["old", "new"]].values.tolist() == [[1_718, 3_444], [3_444, 3_481]]
    assert list(on_23["published"].dt.strftime("%Y-%m-%d")) == ["2021-03-30", "2021-04-01"]
    # Independently: every Anne Arundel day whose daily first doses differ between vintages.
    expected = 0
    for old, new in itertools.pairwise(DAYS):
        a, b = (tables[d][tables[d]["county"] == "Anne Arundel"] for d in (old, new))
        both = a.merge(b, on="date", suffixes=("_a", "_b"))
        expected += int((both["first_dose_daily_a"] != both["first_dose_daily_b"]).sum())
    assert len(history) == expected
    assert (history["change"] == history["new"] - history["old"]).all()

    assert main(["revisions", "--county", "Anne Arundel", "--measure", "first_dose_daily"]) == 0
    out = capsys.readouterr().out
    assert f"Anne Arundel first_dose_daily: {expected:,} revised values" in out
    assert "2021-03-23 2021-03-30 1,718 3,444 +1,726" in " ".join(out.split())
    assert main(["revisions", "--county", "Kent", "--measure", "bogus"]) == 2
    assert "unknown measure 'bogus'" in capsys.readouterr().err
    assert main(["revisions", "--county", "Narnia"]) == 4
    assert "unknown county name 'Narnia'" in capsys.readouterr().err


def test_same_snapshot_twice_adds_nothing(source_server):
    table, _ = ingest(source_server, "2021-03-30")
    meta = load_metadata()
    with Archive.open() as archive:
        before = (archive.vintages(), stored_versions(archive))
        summary = archive.record_vintage(
            table, published=meta.published, fetched_at=meta.fetched_at, sha256=meta.sha256,
            source=meta.source,
        )  # fmt: skip
        assert not summary.added_vintage
        assert str(summary).endswith("is already archived: nothing added")
        pd.testing.assert_frame_equal(archive.vintages(), before[0])
        assert stored_versions(archive) == before[1] == changed_values(None, table) == 8_025


def test_new_bytes_with_the_same_values_add_a_vintage_but_no_versions(source_server):
    table, _ = ingest(source_server, "2021-03-30")
    body = source_server.body + b"\n"
    source_server.set_body(body, pd.Timestamp("2021-03-30 18:00", tz="UTC").to_pydatetime())
    summary = update(source="maryland-csv").revisions
    assert (summary.n_revised, summary.n_added, summary.n_removed) == (0, 0, 0)
    with Archive.open() as archive:
        assert len(archive.vintages()) == 2
        assert stored_versions(archive) == changed_values(None, table)
        pd.testing.assert_frame_equal(archive.table_as_of("2021-03-30"), table)


def test_an_older_snapshot_after_a_newer_one_joins_the_timeline(source_server):
    newer, _ = ingest(source_server, "2021-03-30")
    source_server.set_snapshot("2021-03-23")
    result = update(source="maryland-csv")
    assert result.status == "archived"  # recorded, but the current table stays the newer one
    assert "current table stays the one published 2021-03-30" in result.summary()
    assert load_metadata().published.isoformat() == "2021-03-30"
    pd.testing.assert_frame_equal(load_table(), newer)
    older = normalize(FileSource(str(snapshot_path("2021-03-23")), get_settings()).fetch()).table
    with Archive.open() as archive:
        vintages = archive.vintages()
        # Exactly what recording in publication order gives (figures of the in-order test).
        assert list(vintages["published"].dt.strftime("%Y-%m-%d")) == DAYS[:2]
        assert list(vintages["n_revised"]) == [0, 2_155]
        assert list(vintages["n_revised"] + vintages["n_added"]) == [
            changed_values(None, older), changed_values(older, newer)
        ]  # fmt: skip
        assert stored_versions(archive) == sum(vintages["n_revised"] + vintages["n_added"])
        pd.testing.assert_frame_equal(archive.table_as_of("2021-03-23"), older)
        pd.testing.assert_frame_equal(archive.table_as_of("2021-03-30"), newer)


def test_as_of_errors_name_the_problem(source_server):
    with Archive.open() as archive:
        with pytest.raises(ArchiveError, match="archive is empty"):
            archive.table_as_of("2021-03-30")
        ingest(source_server, "2021-03-23")
        with pytest.raises(
            ArchiveError, match="oldest archived vintage was published on 2021-03-23"
        ):
            archive.table_as_of("2021-03-22")
        with pytest.raises(ArchiveError, match="'yesterday' is not a date"):
            archive.table_as_of("yesterday")
        with pytest.raises(UnknownMeasureError, match="unknown measure 'doses'"):
            archive.changes_between("2021-03-23", "2021-03-23", ["doses"])


def test_export_as_of_writes_the_vintage(source_server, tmp_path):
    for day in DAYS[:2]:
        ingest(source_server, day)
    target = tmp_path / "as_of.csv"
    assert main(["export", "--as-of", "2021-03-29", "--output", str(target)]) == 0
    exported = pd.read_csv(target, parse_dates=["date"])
    assert value_at(exported, "Anne Arundel", "2021-03-23", "first_dose_daily") == 1_718
    assert value_at(exported, "Anne Arundel", "2021-03-23", "first_dose") == 138_090
    assert exported["date"].max() == pd.Timestamp("2021-03-23")
