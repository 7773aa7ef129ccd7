"""The reports folder (index, status, latest, atomic swaps) and the offline check: no kernels."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from mdvax.errors import ReportError
from mdvax.report import site
from mdvax.report.inputs import Provenance, resolve_day
from mdvax.report.notebook import check_offline


def publish(out, day, html="<html>report</html>", message=""):
    folder = out / day
    folder.mkdir(parents=True)
    (folder / site.REPORT_HTML).write_text(html + day)
    (folder / site.REPORT_IPYNB).write_text("{}")
    record = site.ReportRecord(date=day, message=message or f"summary of {day}", published=day)
    (folder / site.REPORT_JSON).write_bytes(site.record_json(record))


def test_index_lists_newest_first_with_status(tmp_path):
    for day in ("2021-03-23", "2021-03-30", "2021-03-25"):
        publish(tmp_path, day)
    site.set_status(tmp_path, "2021-04-01", "failed", "SourceError: HTTP 500 from the CSV")
    page = (tmp_path / site.INDEX_HTML).read_text()
    positions = [page.index(d) for d in ("2021-04-01", "2021-03-30", "2021-03-25", "2021-03-23")]
    assert positions == sorted(positions)
    assert '<tr class="failed"><td>2021-04-01</td><td>failed</td><td>—</td>' in page
    assert "SourceError: HTTP 500 from the CSV" in page
    assert '<a href="2021-03-30/report.html">report</a>' in page
    assert "summary of 2021-03-25" in page
    assert json.loads((tmp_path / site.STATUS_JSON).read_text())["2021-04-01"]["status"] == "failed"


def test_failure_of_a_published_date_keeps_its_link(tmp_path):
    publish(tmp_path, "2021-03-30")
    site.set_status(tmp_path, "2021-03-30", "failed", "ReportError: cell 3 failed")
    page = (tmp_path / site.INDEX_HTML).read_text()
    assert '<a href="2021-03-30/report.html">report</a>' in page
    assert "ReportError: cell 3 failed (the report shown is from the last successful run)" in page
    site.set_status(tmp_path, "2021-03-30", "ok", "")
    page = (tmp_path / site.INDEX_HTML).read_text()
    assert '<tr class="ok"><td>2021-03-30</td><td>ok</td>' in page
    assert "cell 3 failed" not in page


def test_index_escapes_messages(tmp_path):
    site.set_status(tmp_path, "2021-03-30", "failed", "bad county <script>alert(1)</script> & co")
    page = (tmp_path / site.INDEX_HTML).read_text()
    assert "<script>" not in page
    assert "bad county &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page


def test_corrupt_status_file_is_named(tmp_path):
    (tmp_path / site.STATUS_JSON).write_text("{not json")
    with pytest.raises(ReportError, match=r"status\.json is not valid JSON"):
        site.set_status(tmp_path, "2021-03-30", "ok", "")


def test_latest_is_a_copy_of_the_newest_report(tmp_path):
    publish(tmp_path, "2021-03-23")
    publish(tmp_path, "2021-03-30")
    site.update_latest(tmp_path)
    latest = tmp_path / site.LATEST
    assert (latest / site.REPORT_HTML).read_bytes() == (
        tmp_path / "2021-03-30" / site.REPORT_HTML
    ).read_bytes()
    assert 'content="0; url=report.html"' in (latest / site.INDEX_HTML).read_text()
    assert site.report_dates(tmp_path) == ["2021-03-23", "2021-03-30"]
    assert not list(tmp_path.glob(f"{site.TMP_PREFIX}*"))


def test_replace_dir_swaps_a_whole_folder(tmp_path):
    publish(tmp_path, "2021-03-30", html="old")
    built = site.temp_dir(tmp_path, "2021-03-30")
    (built / site.REPORT_HTML).write_text("new")
    site.replace_dir(built, tmp_path / "2021-03-30")
    assert (tmp_path / "2021-03-30" / site.REPORT_HTML).read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2021-03-30"]


def test_previous_record_is_the_newest_earlier_report(tmp_path):
    for day in ("2021-03-23", "2021-03-25", "2021-03-30"):
        publish(tmp_path, day)
    assert site.previous_record(tmp_path, "2021-03-30").published == "2021-03-25"
    assert site.previous_record(tmp_path, "2021-03-23") is None


def test_clean_temp_removes_leftovers_of_killed_runs(tmp_path):
    (tmp_path / f"{site.TMP_PREFIX}2021-03-30-abc").mkdir()
    (tmp_path / f"{site.TMP_PREFIX}xyz").write_text("half")
    publish(tmp_path, "2021-03-30")
    site.clean_temp(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2021-03-30"]


@pytest.mark.parametrize(
    "html",
    [
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js">',
        "<link rel='stylesheet' href='//fonts.googleapis.com/css'>",
        '<img alt="x" src="http://example.org/a.png">',
        "<style>@import url(https://unpkg.com/x.css);</style>",
        '<div style="background: url( "https://example.org/b.png")">',
    ],
)
def test_check_offline_refuses_remote_resources(html):
    with pytest.raises(ReportError, match="remote resource"):
        check_offline(f"<html>{html}</html>")


def test_check_offline_allows_links_and_data_uris():
    check_offline(
        '<a href="https://data.imap.maryland.gov/">source</a>'
        '<img alt="map" src="data:image/svg+xml;base64,PHN2Zz4=">'
        "<style>.x { background: url(data:image/png;base64,AAAA) }</style>"
    )


def table_of(first: str, last: str) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.date_range(first, last, freq="D")})


def test_resolve_day():
    table = table_of("2020-12-14", "2021-03-30")
    assert resolve_day(table, None) == pd.Timestamp("2021-03-30")
    assert resolve_day(table, "2021-03-23") == pd.Timestamp("2021-03-23")
    with pytest.raises(
        ReportError, match=r"2021-04-02 is outside the data \(2020-12-14 to 2021-03-30\)"
    ):
        resolve_day(table, "2021-04-02")
    with pytest.raises(ReportError, match="report date 'yesterday' is not a date"):
        resolve_day(table, "yesterday")


@pytest.mark.parametrize(
    ("reference", "stale"), [("2021-03-30", False), ("2021-04-01", False), ("2021-04-02", True)]
)
def test_staleness(reference, stale):
    provenance = Provenance(
        source="maryland-csv",
        fetched_at=datetime(2021, 3, 30, 16, tzinfo=UTC),
        sha256="0" * 64,
        published=date(2021, 3, 30),
        first_date=date(2020, 12, 14),
        last_date=date(2021, 3, 30),
        reference=date.fromisoformat(reference),
    )
    assert provenance.stale is stale
