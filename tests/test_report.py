"""``mdvax report`` end to end: real source server, real update, papermill, nbconvert.

Expected figures are computed here from the raw CSVs in tests/data with the csv module, independently
of mdvax: a county's cumulative count on a day is its newest row on or before that day, and
blank + ``Unknown`` rows are the unassigned doses.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import nbformat
import papermill
import pytest

from mdvax.cli import main
from mdvax.errors import ReportError, UnknownMeasureError
from mdvax.report import notebook, report, site
from tests.support.raw_figures import cumulative_by_label
from tests.support.source_server import SourceServer, snapshot_path

pytestmark = pytest.mark.slow

POPULATION = 6_045_680  # Maryland, Census Vintage 2019 (tests/data/md_population_2019.csv.gz)
COLUMNS = {"first_dose": "FirstDoseCumulative", "single_dose": "SingleDoseCumulative"}
ARGS = ["--measure", "first_dose", "--counts"]


def cumulative(snapshot: str, day: str, measure: str = "first_dose") -> dict[str, int]:
    """County label -> cumulative count on ``day`` in ``snapshot``; ``""`` = blank + Unknown."""
    totals = cumulative_by_label(snapshot, day, COLUMNS[measure])
    totals[""] = totals.get("", 0) + totals.pop("Unknown", 0)
    return totals


def at_least_one(snapshot: str, day: str) -> dict[str, int]:
    first, single = cumulative(snapshot, day), cumulative(snapshot, day, "single_dose")
    return {k: first[k] + single.get(k, 0) for k in first}


def n(value: int) -> str:
    return f"{value:,}"


def tree_hashes(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in skip
    }


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Two daily runs as the scheduler makes them (``--as-of D``: the run of day D): the 03-23
    data, then an update to 03-30."""
    root = tmp_path_factory.mktemp("reports")
    out = root / "reports"
    with SourceServer("2021-03-23") as server, pytest.MonkeyPatch.context() as mp:
        for name, value in server.environment(root / "data").items():
            mp.setenv(name, value)
        for day in ("2021-03-23", "2021-03-30"):
            server.set_snapshot(day)
            assert main(["report", "--update", "--out", str(out), "--as-of", day, *ARGS]) == 0
        yield SimpleNamespace(out=out, server=server)


def page(out: Path, day: str) -> str:
    return (out / day / site.REPORT_HTML).read_text(encoding="utf-8")


def test_report_has_the_figures_of_the_snapshot(published):
    html = text_of(page(published.out, "2021-03-30"))
    now = cumulative("2021-03-30", "2021-03-30")
    week = cumulative("2021-03-30", "2021-03-23")
    counties = sum(v for k, v in now.items() if k)
    assert counties == 1_637_517
    assert now[""] == 82_839
    total = counties + now[""]
    assert f"First doses, Maryland, 2021-03-30 {n(total)}" in html
    assert f"of which assigned to the 24 counties {n(counties)}" in html
    assert f"of which not assigned to a county {n(now[''])}" in html
    assert f"share of the population (2019 estimate) {100 * total / POPULATION:.2f}%" in html
    assert f"change over 7 days {total - sum(week.values()):+,}" in html
    montgomery = now["Montgomery"]
    change = montgomery - week["Montgomery"]
    # --counts ranks by number of people: Montgomery has the most first doses.
    assert f"1 Montgomery {n(montgomery)} {100 * montgomery / 1_050_688:.2f}% {change:+,}" in html
    assert f"Unassigned {n(now[''])}" in html


def test_report_lists_revisions_since_the_previous_report(published):
    html = text_of(page(published.out, "2021-03-30"))
    before = cumulative("2021-03-23", "2021-03-23")["Anne Arundel"]
    after = cumulative("2021-03-30", "2021-03-23")["Anne Arundel"]
    assert before != after
    assert "Revisions since the previous report (2021-03-23, data published 2021-03-23)" in html
    assert f"Anne Arundel 2021-03-23 {n(before)} {n(after)} {after - before:+,}" in html
    first = text_of(page(published.out, "2021-03-23"))
    assert "Revisions: no earlier report to compare with." in first


def test_a_dataset_with_no_archived_vintage_says_so_in_one_line(published):
    html = page(published.out, "2021-03-30")
    for title in ("ZIP codes", "Third doses", "By age", "By race", "By ethnicity", "By gender"):
        heading = html.index(f">{title}</h2>")
        line = html[heading:].split("<p>", 1)[1].split("</p>", 1)[0]
        assert line.startswith(f"{title}: no vintage in force on 2021-03-30: ")
        assert "\n" not in line
        assert "<table" not in html[heading:].split("<h2", 1)[0]


def test_report_states_its_provenance(published):
    html = page(published.out, "2021-03-30")
    sha = hashlib.sha256(snapshot_path("2021-03-30").read_bytes()).hexdigest()
    assert f"<code>{sha}</code>" in html
    assert published.server.csv_url in html
    assert "2020-12-14 to 2021-03-30" in html
    assert "Data as published on 2021-03-30" in text_of(html)
    assert "Figures of 2021-03-30, from the data published 2021-03-30" in text_of(html)
    assert 'id="mdvax-stale"' not in html
    assert "The source is current: its newest day is 2021-03-30" in html
    assert "Quarantined rows: none" in html
    record = json.loads((published.out / "2021-03-30" / site.REPORT_JSON).read_text())
    assert record["sha256"] == sha
    assert record["published"] == "2021-03-30"


def test_report_is_self_contained_and_small(published):
    html = page(published.out, "2021-03-30")
    assert len(html.encode()) < 2 * 1024 * 1024
    for needle in (
        "require.js",
        "MathJax.js",
        "mathjax@",
        "cdnjs",
        "unpkg",
        "jsdelivr",
        "<script src",
    ):
        assert needle not in html
    # The map, the chart over time, and the chart of the last 28 days' revisions.
    assert html.count('src="data:image/svg+xml;base64,') == 3
    assert 'id="mdvax-map"' in html
    assert 'id="mdvax-timeseries"' in html
    assert 'id="mdvax-revision-counts"' in html
    assert "sections.headline(data)" not in html
    assert "from mdvax" not in html
    assert "Prince George's" in html


def test_index_and_latest(published):
    index = (published.out / site.INDEX_HTML).read_text()
    assert index.index("2021-03-30") < index.index("2021-03-23")
    assert index.count("<td>ok</td>") == 2
    assert "First doses: 1,720,356 on 2021-03-30" in index
    latest = published.out / site.LATEST / site.REPORT_HTML
    assert latest.read_bytes() == (published.out / "2021-03-30" / site.REPORT_HTML).read_bytes()


def test_same_date_twice_gives_the_same_report(published):
    before = tree_hashes(published.out)
    assert main(["report", "--out", str(published.out), "--as-of", "2021-03-30", *ARGS]) == 0
    assert tree_hashes(published.out) == before


def test_source_down_leaves_reports_untouched(published, capsys):
    before = tree_hashes(published.out, skip=(site.INDEX_HTML, site.STATUS_JSON))
    published.server.fault = "http500"
    try:
        code = main(["report", "--update", "--out", str(published.out)])
    finally:
        published.server.fault = None
    assert code == 3  # SourceError
    assert "mdvax report: error:" in capsys.readouterr().err
    assert tree_hashes(published.out, skip=(site.INDEX_HTML, site.STATUS_JSON)) == before
    statuses = site.read_status(published.out)
    failed = {d: s for d, s in statuses.items() if s["status"] == "failed"}
    assert len(failed) == 1
    ((day, status),) = failed.items()
    assert "SourceError" in status["message"]
    assert "500" in status["message"]
    assert f"<td>{day}</td><td>failed</td>" in (published.out / site.INDEX_HTML).read_text()


def test_cell_error_keeps_the_published_report_of_that_date(published, tmp_path, monkeypatch):
    failing = nbformat.read(notebook.REPORT_NOTEBOOK, as_version=4)
    failing.cells.append(nbformat.v4.new_code_cell('raise RuntimeError("cell failed on purpose")'))
    copy = tmp_path / "report.ipynb"
    nbformat.write(failing, copy)
    monkeypatch.setattr(notebook, "REPORT_NOTEBOOK", copy)
    before = tree_hashes(published.out, skip=(site.INDEX_HTML, site.STATUS_JSON))
    with pytest.raises(ReportError, match="cell failed on purpose"):
        report(published.out, day="2021-03-30")
    assert tree_hashes(published.out, skip=(site.INDEX_HTML, site.STATUS_JSON)) == before
    index = (published.out / site.INDEX_HTML).read_text()
    assert "<td>2021-03-30</td><td>failed</td>" in index
    assert "cell failed on purpose" in index
    assert "the report shown is from the last successful run" in index
    assert not list(published.out.glob(f"{site.TMP_PREFIX}*"))


def test_unknown_measure_fails_before_anything_is_written(published, capsys):
    before = tree_hashes(published.out)
    with pytest.raises(UnknownMeasureError, match="unknown measure 'bogus': choose one of"):
        report(published.out, day="2021-03-30", measure="bogus")
    code = main(["report", "--out", str(published.out), "--measure", "bogus"])
    assert code == UnknownMeasureError.exit_code == 2
    assert "mdvax report: error: unknown measure 'bogus': choose one of first_dose" in (
        capsys.readouterr().err
    )
    assert tree_hashes(published.out) == before


def test_as_of_before_the_archive_fails_clearly(published, capsys):
    before = tree_hashes(published.out)
    code = main(["report", "--out", str(published.out), "--as-of", "2021-03-01"])
    assert code == 7
    err = capsys.readouterr().err
    assert "no vintage was published on or before 2021-03-01" in err
    assert "the oldest archived vintage was published on 2021-03-23" in err
    assert tree_hashes(published.out) == before  # refused: no "failed" row either


def test_papermill_runs_the_notebook_with_parameters(published, tmp_path):
    """The notebook alone, as a researcher runs it (no mdvax report wrapper)."""
    output = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(notebook.REPORT_NOTEBOOK),
        str(output),
        parameters={"report_date": "2021-03-23", "measure": "at_least_one", "per_capita": True},
        **notebook.kernel_options(),
    )
    summary = notebook.read_summary(output)
    expected = at_least_one("2021-03-30", "2021-03-23")
    assert summary["figures_date"] == "2021-03-23"
    assert summary["value"] == sum(expected.values())
    assert summary["unassigned"] == expected[""]
    html = "".join(
        out.get("data", {}).get("text/html", "")
        for cell in nbformat.read(output, as_version=4).cells
        for out in cell.get("outputs", [])
    )
    assert f"At least one dose, Maryland, 2021-03-23</th><td>{n(sum(expected.values()))}" in html


def test_help_notebook_explains_the_parameters():
    params = papermill.inspect_notebook(str(notebook.REPORT_NOTEBOOK))
    assert set(params) == {
        "report_date",
        "data_dir",
        "measure",
        "per_capita",
        "as_of",
        "previous_as_of",
    }
    assert all(p["help"] for p in params.values())
    assert "newest day in the data" in params["report_date"]["help"]


def test_report_of_today_warns_that_the_source_has_not_moved(published):
    assert main(["report", "--out", str(published.out), *ARGS]) == 0
    today = datetime.now(UTC).date()
    html = text_of(page(published.out, today.isoformat()))
    behind = (today - date(2021, 3, 30)).days
    assert (
        f"Stale data: the source's newest day is 2021-03-30, {behind} days before {today}" in html
    )
    assert f"First doses, Maryland, 2021-03-30 {n(1_720_356)}" in html
    latest = (published.out / site.LATEST / site.REPORT_HTML).read_text()
    assert f"report of {today}" in latest
