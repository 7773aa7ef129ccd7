"""End to end: the dataset fixtures imported by ``mdvax history import``, served by ``mdvax serve``,
read in Debian Chromium at 1280 and 390 px: ZIP codes, third doses and race, with ``as_of``.

Expected figures come from each day's own raw file, read with the csv module
(``tests/support/dataset_repo.py`` replays the files as a git repository, one commit a day).
"""

from __future__ import annotations

import csv
import io
import lzma
import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from mdvax.dashboard.zips import legend
from mdvax.notebooks import notebook_path
from tests import test_dashboard_browser as browser_tests
from tests.support.axe import describe, require_axe, run_axe
from tests.support.dataset_repo import build_dataset_repo, files
from tests.support.process import ServeProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 60_000
open_page = browser_tests.open_page
ZIP_FILE = "Vax_ZIP_CODE_FirstSecondSingle_Totals_Raw.csv"
THIRD_FILE = "MD_COVID19_TotalVaccinationsSevenDayAverageFirstSecondSingleAddDose.csv"
RACE_FILE = "Vax_OpenData_Race_CRISP_Insights_FirstSecondSingle_Count_Pivot_Cumulative_Raw.csv"
REFERENCE = Path(__file__).resolve().parents[1] / "mdvax" / "reference" / "md_zips.csv.xz"
BODY = ".mdvax-dataset-body"


def raw_rows(day: str, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files(day)[name].decode("utf-8-sig"))))


def whole(text: str) -> int:
    return int(float(text)) if text.strip() else 0


def zip_rows(day: str) -> dict[str, int]:
    """At least one dose (first + single) of every ZIP in Maryland's range on ``day``."""
    return {
        r["ZIP_CODE"]: whole(r["FirstDose"]) + whole(r["SingleDose"])
        for r in raw_rows(day, ZIP_FILE)
        if "20600" <= r["ZIP_CODE"].zfill(5) <= "21999" and len(r["ZIP_CODE"]) == 5
    }


def reference_zips() -> set[str]:
    text = lzma.decompress(REFERENCE.read_bytes()).decode("utf-8").split("\n", 1)[1]
    return {row["zip"] for row in csv.DictReader(io.StringIO(text))}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``mdvax serve`` over an archive holding every dataset fixture's vintages."""
    root = tmp_path_factory.mktemp("views-e2e")
    repo = build_dataset_repo(root / "VaccineCSVs")
    env = {"MDVAX_DATA_DIR": str(root / "data"), "MDVAX_EMBEDDED_SNAPSHOT": "on"}
    command = [sys.executable, "-m", "mdvax", "history", "import", "--repo", str(repo), "--quiet"]
    subprocess.run(command, env={**os.environ, **env}, check=True, capture_output=True)
    args = ("--notebook", str(notebook_path("dashboard.ipynb")), "--pool-size", "1")
    with ServeProcess(*args, env=env, log_path=root / "serve.log") as served:
        yield served


def cells(page, zip_code: str) -> list[str]:
    return page.eval_on_selector(
        f"{BODY} tbody",
        "(body, z) => Array.from(body.rows).filter(r => r.cells[0].textContent.trim() === z)"
        ".map(r => Array.from(r.cells).map(c => c.textContent.trim()))[0] || []",
        zip_code,
    )


def check_page(page, width: int, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    violations = run_axe(page)
    assert violations == [], describe(violations)
    browser_tests.shot(page, name)


@pytest.mark.parametrize("width", [1280, 390])
def test_zip_view_ranks_the_newest_vintage_and_maps_its_zips(server, open_page, width):
    require_axe()
    page = open_page(server.url + "?view=zip", width=width, height=1000, bypass_csp=True)
    expect(page.locator(f"{BODY} caption")).to_contain_text("by ZIP code", timeout=TIMEOUT)
    newest = zip_rows("2022-03-07")
    assert cells(page, "21620")[3] == f"{newest['21620']:,}"
    assert cells(page, "20850")[3] == f"{newest['20850']:,}"
    unassigned = next(r for r in raw_rows("2022-03-07", ZIP_FILE) if r["ZIP_CODE"] == "0")
    without = whole(unassigned["FirstDose"]) + whole(unassigned["SingleDose"])
    expect(page.locator(BODY)).to_contain_text(f"{without:,} were recorded without a ZIP code")
    expect(page.locator(BODY)).to_contain_text("2010 Census")
    # One circle per ranked ZIP that has a centroid.
    dots = len([z for z in newest if z in reference_zips()])
    marks = ".mdvax-zip-map path.leaflet-interactive"
    page.wait_for_function(f"() => document.querySelectorAll('{marks}').length === {dots}")
    fills = page.eval_on_selector_all(
        marks, "ps => [...new Set(ps.map(p => p.getAttribute('fill')))]"
    )
    assert set(fills) <= {colour for colour, _ in legend()}, fills  # coloured by class
    assert len(fills) >= 3, fills
    check_page(page, width, f"views-e2e-zip-{width}")


def test_zip_view_as_of_reads_the_vintage_in_force(server, open_page):
    page = open_page(server.url + "?view=zip&as_of=2021-11-10", width=1280)
    expect(page.locator(f"{BODY} caption")).to_contain_text("in force on", timeout=TIMEOUT)
    assert cells(page, "21620")[3] == f"{zip_rows('2021-11-09')['21620']:,}"
    assert "as_of=2021-11-10" in page.locator(".mdvax-link input").input_value()
    # A day before the first vintage (2021-03-31): the page says so, and names the day.
    page = open_page(server.url + "?view=zip&as_of=2021-03-17", width=1280)
    expect(page.locator(BODY)).to_contain_text(
        "No version of this table was published on or before 17 Mar 2021.", timeout=TIMEOUT
    )


def test_third_dose_curve(server, open_page):
    require_axe()
    page = open_page(server.url + "?view=third_dose", width=1280, height=1000, bypass_csp=True)
    rows = [r for r in raw_rows("2022-03-07", THIRD_FILE) if r["ThrDose_AdminCum"].strip()]
    last = rows[-1]
    day = last["ReportDate"].split()[0]
    dom = int(day.split("/")[1])
    expected = f"{whole(last['ThrDose_AdminCum']):,} third and booster doses by {dom} "
    expect(page.locator(BODY)).to_contain_text(expected, timeout=TIMEOUT)
    assert page.locator(f"{BODY} svg[role=img]").count() == 3
    check_page(page, 1280, "views-e2e-third-dose-1280")


def test_race_view_as_of_shows_the_unknown_share(server, open_page):
    require_axe()
    url = server.url + "?view=race&as_of=2021-11-09"
    page = open_page(url, width=1280, height=1000, bypass_csp=True)
    expect(page.locator(BODY)).to_contain_text("Unknown (incl. federal entities)", timeout=TIMEOUT)
    running: dict[str, int] = {}
    for r in raw_rows("2021-11-09", RACE_FILE):  # the last running total of each race
        running[r["Race"].strip()] = whole(r["FirstDoseCumulative"]) + whole(
            r["SingleDoseCumulative"]
        )
    asian = page.eval_on_selector(
        f"{BODY} tbody",
        "b => Array.from(b.rows).find(r => r.cells[0].textContent.trim() === 'Asian')"
        ".cells[1].textContent.trim()",
    )
    assert asian == f"{running['ASIAN']:,}"
    check_page(page, 1280, "views-e2e-race-1280")
