"""``mdvax update`` end to end against a real HTTP server on loopback, faults included."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pandas as pd
import pytest

from mdvax.api import load_metadata, load_table
from mdvax.cli import main
from mdvax.normalize.counties import JURISDICTIONS
from tests.support.source_server import snapshot_path


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (the lock file's content is irrelevant)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".update.lock"
    }


def first_doses(table: pd.DataFrame, day: str) -> tuple[int, int]:
    rows = table[table["date"] == day].set_index("county")["first_dose"]
    return int(rows[list(JURISDICTIONS)].sum()), int(rows["Unassigned"])


@pytest.mark.parametrize("source", ["maryland-csv", "maryland-api", "auto"])
def test_update_gives_the_real_figures(data_env, source, capsys):
    assert main(["update", "--source", source]) == 0
    out = capsys.readouterr().out
    assert "2020-12-14 to 2021-03-30" in out
    assert "0 quarantined" in out
    assert first_doses(load_table(), "2021-03-30") == (1_637_517, 82_839)
    meta = load_metadata()
    assert meta.sha256 == hashlib.sha256(snapshot_path("2021-03-30").read_bytes()).hexdigest() or (
        source == "maryland-api"
    )
    assert meta.published.isoformat() == ("2021-03-30")


def test_api_paging_survives_short_and_empty_flagged_pages(data_env, source_server):
    source_server.short_pages = True
    assert main(["update", "--source", "maryland-api"]) == 0
    assert first_doses(load_table(), "2021-03-30") == (1_637_517, 82_839)
    pages = [r for r in source_server.requests if "resultOffset" in r]
    assert len(pages) > 2613 // 700 + 1  # more pages than the full-page minimum


def test_successive_snapshots_and_conditional_requests(data_env, source_server, capsys):
    source_server.set_snapshot("2021-03-23")
    assert main(["update"]) == 0
    anne = (
        load_table().set_index(["county", "date"]).loc[("Anne Arundel", pd.Timestamp("2021-03-23"))]
    )
    assert anne["first_dose_daily"] == 1_718
    sent = source_server.bytes_sent
    assert main(["update"]) == 0
    assert "nothing new" in capsys.readouterr().out
    assert source_server.bytes_sent == sent  # a 304: no body transferred
    source_server.set_snapshot("2021-03-30")
    assert main(["update"]) == 0
    anne = (
        load_table().set_index(["county", "date"]).loc[("Anne Arundel", pd.Timestamp("2021-03-23"))]
    )
    assert anne["first_dose_daily"] == 3_444
    raws = sorted((data_env.raw_dir / "maryland-csv").glob("*.csv.gz"))
    assert len(raws) == 2
    assert all(
        hashlib.sha256(__import__("gzip").decompress(p.read_bytes())).hexdigest() in p.name
        for p in raws
    )


def test_update_from_a_local_file_and_a_url(data_env, source_server, capsys):
    path = snapshot_path("2021-04-01")
    assert main(["update", "--from", str(path)]) == 0
    assert load_metadata().source == "file"
    assert load_table()["date"].max() == pd.Timestamp("2021-04-01")
    # Older (published 2021-03-30): archived in its place on the timeline, the cache is kept.
    assert main(["update", "--from", source_server.csv_url + "?copy=1"]) == 0
    out = capsys.readouterr().out
    assert "the current table stays the one published 2021-04-01" in out
    assert load_table()["date"].max() == pd.Timestamp("2021-04-01")


def test_auto_falls_back_to_the_api(data_env, monkeypatch):
    monkeypatch.setenv("MDVAX_MARYLAND_CSV_URL", f"http://127.0.0.1:{closed_port()}/x.csv")
    assert main(["update"]) == 0
    assert load_metadata().source == "maryland-api"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def modified_body(old: str, new: str) -> bytes:
    return snapshot_path("2021-04-01").read_bytes().replace(old.encode(), new.encode())


FAULTS = {
    "connection refused": (None, "cannot reach"),
    "timeout": ("slow", "timed out"),
    "HTTP 500": ("http500", "HTTP 500"),
    "ArcGIS error body": ("arcgis_error", "Invalid query parameters"),
    "HTML page": ("html", "HTML"),
    "truncated body": ("truncated", "truncated"),
    "empty file": ("empty", "empty body"),
    "renamed columns": (modified_body("FirstDoseCumulative", "FirstDoseTotal"), "FirstDoseTotal"),
    "unknown county": (modified_body("Kent  ", "Kentucky"), "unknown county name 'Kentucky"),
}


# The CSV download has no JSON error bodies: that fault is the API's.
CASES = [
    (s, f)
    for s in ("maryland-csv", "maryland-api")
    for f in FAULTS
    if (s, f) != ("maryland-csv", "ArcGIS error body")
]


@pytest.mark.parametrize(("source", "fault"), CASES)
def test_faults_leave_the_cache_untouched(
    filled_data_dir, source_server, monkeypatch, capsys, source, fault
):
    how, message = FAULTS[fault]
    source_server.set_snapshot("2021-04-01")  # something new is there, but it fails to arrive
    before = tree_digest(filled_data_dir.data_dir)
    table_before = load_table()
    if how == "slow":  # only here: under load a short timeout would hit other cases too
        monkeypatch.setenv("MDVAX_HTTP_TIMEOUT", "0.5")
    if how is None:
        monkeypatch.setenv("MDVAX_MARYLAND_CSV_URL", f"http://127.0.0.1:{closed_port()}/x.csv")
        monkeypatch.setenv("MDVAX_MARYLAND_API_URL", f"http://127.0.0.1:{closed_port()}/query")
    elif isinstance(how, bytes):
        source_server.set_body(how)
    else:
        source_server.fault = how
    status = main(["update", "--source", source])
    err = capsys.readouterr().err
    assert status != 0
    assert message in err
    assert err.startswith("mdvax update: error:")
    assert "Traceback" not in err
    assert tree_digest(filled_data_dir.data_dir) == before
    pd.testing.assert_frame_equal(load_table(), table_before)


def test_status_and_export(filled_data_dir, tmp_path, capsys):
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "2020-12-14 to 2021-03-30" in out
    assert hashlib.sha256(snapshot_path("2021-03-30").read_bytes()).hexdigest() in out
    assert main(["export"]) == 0
    csv_text = capsys.readouterr().out
    exported = pd.read_csv(__import__("io").StringIO(csv_text), dtype={"fips": str})
    assert exported.columns[0] == "date"
    assert exported["date"].iloc[0] == "2020-12-14"
    assert first_doses(exported, "2021-03-30") == (1_637_517, 82_839)
    target = tmp_path / "table.parquet"
    assert main(["export", "--output", str(target)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(target), load_table())


def test_commands_without_cache_say_what_to_do(data_env, capsys, monkeypatch):
    monkeypatch.setenv("MDVAX_EMBEDDED_SNAPSHOT", "off")  # else the packaged snapshot answers
    assert main(["status"]) != 0
    assert "run `mdvax update`" in capsys.readouterr().err
    assert main(["export"]) != 0


def test_a_second_concurrent_update_fails_fast(filled_data_dir, capsys):
    from mdvax.cache import Cache

    with Cache(filled_data_dir).lock():
        assert main(["update"]) != 0
        assert "another update is running" in capsys.readouterr().err
