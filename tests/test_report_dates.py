"""``mdvax report --date D --as-of V``: the day of the figures and the data as published.

Expected figures come from the raw CSVs read with the csv module (tests/support/raw_figures.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from mdvax.cli import main
from mdvax.report import site
from tests.test_report import at_least_one, n, text_of, tree_hashes

pytestmark = pytest.mark.slow


def refused(out, day: str, as_of: str, capsys) -> str:
    """Run ``--date day --as-of as_of``, expect exit 7 and no site file changed; stderr."""
    before = tree_hashes(out)
    capsys.readouterr()
    assert main(["report", "--out", str(out), "--date", day, "--as-of", as_of]) == 7
    assert tree_hashes(out) == before
    return capsys.readouterr().err


def test_date_before_the_data_was_published_reports_that_days_figures(
    data_env, source_server, tmp_path, capsys
):
    """The issue's case: the only data was published on 2021-04-03; report 2021-04-01."""
    from mdvax.pipeline import update

    source_server.set_snapshot("2021-04-01")
    source_server.set_body(source_server.body, datetime(2021, 4, 3, 16, tzinfo=UTC))
    update(source="maryland-csv")
    out = tmp_path / "reports"

    assert main(["report", "--out", str(out), "--date", "2021-04-01"]) == 0
    expected = at_least_one("2021-04-01", "2021-04-01")
    page = text_of((out / "2021-04-01" / site.REPORT_HTML).read_text(encoding="utf-8"))
    assert f"At least one dose, Maryland, 2021-04-01 {n(sum(expected.values()))}" in page
    assert f"of which not assigned to a county {n(expected[''])}" in page
    assert "from the data published 2021-04-03" in page
    record = json.loads((out / "2021-04-01" / site.REPORT_JSON).read_text())
    assert record["figures_date"] == "2021-04-01"
    assert record["published"] == "2021-04-03"
    assert record["as_of"] is None  # the newest data

    # The same data, as published on a day before it was: impossible, said clearly.
    err = refused(out, "2021-04-01", "2021-04-02", capsys)
    assert "no vintage was published on or before 2021-04-02" in err
    assert "the oldest archived vintage was published on 2021-04-03" in err


@pytest.fixture
def two_vintages(data_env, source_server):
    """The archive holds the 2021-03-23 and 2021-03-30 vintages (the cache: 2021-03-30)."""
    from mdvax.pipeline import update

    for day in ("2021-03-23", "2021-03-30"):
        source_server.set_snapshot(day)
        update(source="maryland-csv")
    return data_env


def test_as_of_gives_the_figures_as_first_published(two_vintages, tmp_path, capsys):
    day = "2021-03-16"  # neither the first nor the last day, revised by the 03-30 vintage
    old, new = at_least_one("2021-03-23", day), at_least_one("2021-03-30", day)
    assert sum(old.values()) != sum(new.values())  # the test can tell the two apart
    out = tmp_path / "reports"

    assert main(["report", "--out", str(out), "--date", day, "--as-of", "2021-03-23"]) == 0
    page = text_of((out / day / site.REPORT_HTML).read_text(encoding="utf-8"))
    assert f"At least one dose, Maryland, {day} {n(sum(old.values()))}" in page
    assert "Data as published on 2021-03-23" in page
    assert json.loads((out / day / site.REPORT_JSON).read_text())["published"] == "2021-03-23"

    assert main(["report", "--out", str(out), "--date", day]) == 0  # the newest data
    page = text_of((out / day / site.REPORT_HTML).read_text(encoding="utf-8"))
    assert f"At least one dose, Maryland, {day} {n(sum(new.values()))}" in page
    assert json.loads((out / day / site.REPORT_JSON).read_text())["published"] == "2021-03-30"

    # A day after the last day of the 03-23 data: impossible; nothing published is touched.
    err = refused(out, "2021-03-27", "2021-03-23", capsys)
    assert "report date 2021-03-27 is outside the data as published on 2021-03-23" in err
    assert "to 2021-03-23)" in err
    assert not (out / "2021-03-27").exists()
    assert "2021-03-27" not in site.read_status(out)
    assert site.report_dates(out) == [day]
