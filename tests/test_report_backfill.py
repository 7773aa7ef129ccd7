"""``mdvax report --backfill``: one report per day, from the archive as published that day."""

from __future__ import annotations

import json
import re

import pytest

from mdvax.cli import main
from mdvax.report import site
from tests.test_report import at_least_one, n

pytestmark = pytest.mark.slow


@pytest.fixture
def two_vintages(data_env, source_server):
    """The archive holds the 2021-03-23 and 2021-03-30 vintages (the cache: 2021-03-30)."""
    from mdvax.pipeline import update

    source_server.set_snapshot("2021-03-23")
    update(source="maryland-csv")
    source_server.set_snapshot("2021-03-30")
    update(source="maryland-csv")
    return data_env


def text(path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


def test_backfill_uses_each_days_published_data(two_vintages, tmp_path, capsys):
    out = tmp_path / "reports"
    code = main(["report", "--out", str(out), "--backfill", "2021-03-22", "2021-03-30"])
    assert code == 7
    captured = capsys.readouterr()
    assert "backfill start 2021-03-22 is before the oldest archived vintage" in captured.err
    assert not out.exists()  # refused before anything is written

    assert main(["report", "--out", str(out), "--backfill", "2021-03-29", "2021-03-30"]) == 0
    assert site.report_dates(out) == ["2021-03-29", "2021-03-30"]

    # 03-29: the 03-23 vintage was the newest published; its figures, and a staleness warning.
    old = at_least_one("2021-03-23", "2021-03-23")
    page = text(out / "2021-03-29" / site.REPORT_HTML)
    assert f"At least one dose, Maryland, 2021-03-23 {n(sum(old.values()))}" in page
    assert "Data as published on 2021-03-29" in page
    assert "newest day is 2021-03-23, 6 days before 2021-03-29" in page
    assert "Revisions: no earlier report to compare with." in page

    # 03-30: the new vintage, and what it revised since the 03-29 report's data.
    new = at_least_one("2021-03-30", "2021-03-30")
    revised = at_least_one("2021-03-30", "2021-03-23")["Anne Arundel"]
    page = text(out / "2021-03-30" / site.REPORT_HTML)
    assert f"At least one dose, Maryland, 2021-03-30 {n(sum(new.values()))}" in page
    assert "Revisions since the previous report (2021-03-29, data published 2021-03-23)" in page
    expected = f"Anne Arundel 2021-03-23 {n(old['Anne Arundel'])} {n(revised)}"
    assert f"{expected} {revised - old['Anne Arundel']:+,}" in page

    record = json.loads((out / "2021-03-30" / site.REPORT_JSON).read_text())
    assert record["as_of"] == "2021-03-30"
    assert record["published"] == "2021-03-30"
    assert (out / site.LATEST / site.REPORT_HTML).read_bytes() == (
        out / "2021-03-30" / site.REPORT_HTML
    ).read_bytes()
    index = (out / site.INDEX_HTML).read_text()
    assert index.index("2021-03-30") < index.index("2021-03-29")
    assert "2021-03-22" not in index  # the refused backfill left no row
