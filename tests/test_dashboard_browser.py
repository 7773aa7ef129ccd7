"""The dashboard in Debian Chromium, served by a real ``mdvax serve`` on a free port.

One server per module (cache filled by the real pipeline from the local source server), plus
one with an empty cache and an unreachable source for the upload path. Screenshots go to
``test-artifacts/``. Expected figures are read from the raw CSV snapshot
(:mod:`tests.support.raw_views`). Every page must load from the machine alone: each test fails
if the page asked any other host for anything (a CDN's icon font, a tile server...).
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.support.probe import (
    COUNTY_PATHS,
    FILLS_JS,
    county_fills,
    wait_for_map,
)
from tests.support.raw_figures import raw_population
from tests.support.raw_views import raw_view
from tests.support.source_server import snapshot_path
from tests.support.voila_server import dashboard_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PANEL = ".mdvax-panel"
TIMEOUT = 30_000
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
#: JS: every control or sharing element whose text is cut short ("Cumulati…").
TRUNCATED_JS = """() => [...document.querySelectorAll(
    '.mdvax-controls *, .mdvax-share *, .mdvax-legend *, .mdvax-hover')]
  .filter(e => !e.closest('.mdvax-sr'))  // text for screen readers only: clipped on purpose
  .filter(e => e.clientWidth > 0 && e.textContent.trim() && e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.tagName}.${e.className}: "${e.textContent.trim()}" ${e.scrollWidth}>${e.clientWidth}`)
"""


@pytest.fixture
def server(shared_dashboard):
    return shared_dashboard  # read-only: pages are opened, nothing else


@pytest.fixture
def open_page(browser):
    """Opens a page in a fresh context; afterwards, fails if any request left the machine."""
    pages, requests = [], []

    def opener(url: str, width: int = 1280, height: int = 1000, **options):
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.goto(url)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.goto("about:blank")
        page.context.close()
    assert requests
    assert_local(requests)


def assert_local(urls: list[str]) -> None:
    """Every URL is on this machine (or data:/blob: content the page made itself)."""
    outside = [
        url
        for url in urls
        if urlsplit(url).scheme not in ("data", "blob", "about")
        and urlsplit(url).hostname not in LOCAL_HOSTS
    ]
    assert outside == [], f"requests left the machine: {outside}"


def truncated(page) -> list[str]:
    """Controls, links and map boxes whose text does not fit (should be none)."""
    return page.evaluate(TRUNCATED_JS)


def shot(page, name: str) -> None:
    """Screenshot of the whole page (Voila scrolls an inner panel, so grow the viewport)."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('.lm-BoxPanel-child, body')]"
        ".map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    page.wait_for_timeout(300)
    page.screenshot(path=ARTIFACTS / f"dashboard_{name}.png")
    page.set_viewport_size(size)


def no_traceback(page) -> None:
    text = page.inner_text("body")
    assert "Traceback" not in text
    assert "Error" not in text.replace("Errors", "")


def click_county(page, name: str) -> None:
    """Click a county's shape: the path whose hover text names it."""
    index = page.evaluate("() => [...document.querySelectorAll('path.leaflet-interactive')].length")
    assert index == 24
    for i in range(24):
        page.locator(COUNTY_PATHS).nth(i).hover(force=True)
        try:
            page.wait_for_function(
                "name => document.querySelector('.mdvax-hover').textContent.startsWith(name + ':')",
                arg=name,
                timeout=1500,
            )
        except PlaywrightTimeout:  # the hover text names another county
            continue
        page.locator(COUNTY_PATHS).nth(i).click(force=True)
        return
    raise AssertionError(f"no county path hovers as {name}")


def test_map_legend_slider_and_county_click(server, open_page):
    page = open_page(server.url)
    wait_for_map(page)
    assert page.locator(COUNTY_PATHS).count() == 24
    legend = page.wait_for_selector(".mdvax-legend", timeout=TIMEOUT)
    # The page opens on shares of the population: counts mostly show where people live.
    assert "At least one dose (% of population)" in legend.inner_text()
    assert page.locator(".mdvax-swatch").count() >= 3
    assert page.locator("img.leaflet-tile").count() == 0  # no basemap: nothing to fail offline
    expect(page.locator(".mdvax-asof")).to_contain_text("Data as of 30 Mar 2021", timeout=TIMEOUT)
    assert truncated(page) == []  # "Cumulative", "% of population"... fit at 1280 px
    icons_are_inline_svg(page)
    before = county_fills(page)
    assert len(set(before)) >= 3

    page.locator(".mdvax-date .noUi-handle").focus()
    page.keyboard.press("Home")  # first day: nobody vaccinated yet
    page.wait_for_function(
        f"before => JSON.stringify(({FILLS_JS})()) !== before",
        arg=json.dumps(before, separators=(",", ":")),
        timeout=TIMEOUT,
    )
    first_day = county_fills(page)
    assert first_day != before
    assert len(set(first_day)) == 1  # nobody vaccinated yet: every county in the lowest class
    swatches = page.eval_on_selector_all(
        ".mdvax-swatch i", "items => items.map(i => getComputedStyle(i).backgroundColor)"
    )
    assert first_day[0].split(" 0.9")[0] == swatches[0]
    assert {f.split(" 0.9")[0] for f in before} <= set(swatches)  # the legend's colours
    page.wait_for_function(
        "document.querySelector('.mdvax-headline').textContent.includes('14 Dec 2020')"
    )
    page.keyboard.press("End")
    page.wait_for_function(
        "document.querySelector('.mdvax-headline').textContent.includes('30 Mar 2021')"
    )

    click_county(page, "Montgomery")
    page.wait_for_selector(f"{PANEL}[data-fips='24031']", timeout=TIMEOUT)
    expected = raw_view("2021-03-30", date(2021, 3, 30), "at_least_one", False, True)
    montgomery = expected.counties["Montgomery"]
    text = page.inner_text(PANEL)
    assert "Montgomery, 30 Mar 2021" in text
    assert f"{montgomery['value']:,}" in text
    assert f"{100 * montgomery['value'] / raw_population('Montgomery'):.1f}%" in text
    assert f"{montgomery['rank']} of 24" in text  # ranked by share
    assert page.locator(".mdvax-chart path").count() == 2
    outlines = page.eval_on_selector_all(
        COUNTY_PATHS, "paths => paths.map(p => getComputedStyle(p).stroke)"
    )
    assert outlines.count("rgb(194, 24, 91)") == 1  # Montgomery outlined, and only it
    assert page.eval_on_selector(".mdvax-c24031", "p => getComputedStyle(p).stroke") == (
        "rgb(194, 24, 91)"
    )
    shot(page, "montgomery_1280")

    page.locator(".mdvax-panel + * button, button:has-text('Back to Maryland')").first.click()
    page.wait_for_selector(f"{PANEL}[data-view='state']", timeout=TIMEOUT)
    no_traceback(page)


def icons_are_inline_svg(page) -> None:
    """The Play widget's icons are the template's SVG masks, and no icon font is fetched."""
    icons = page.eval_on_selector_all(
        ".widget-play .fa",
        "items => items.map(i => [i.className, getComputedStyle(i, '::before').maskImage"
        " || getComputedStyle(i, '::before').webkitMaskImage, i.getBoundingClientRect().width])",
    )
    assert {name.split()[-1] for name, _, _ in icons} >= {"fa-play", "fa-stop", "fa-retweet"}
    for name, mask, width in icons:
        assert mask.startswith('url("data:image/svg+xml'), name
        assert width > 5, name  # drawn, not an empty box
    fonts = page.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert not [f for f in fonts if "awesome" in f.lower()]


def test_opens_on_share_of_population_and_toggles_to_counts(server, open_page):
    page = open_page(server.url + "?county=Montgomery")
    wait_for_map(page)
    page.wait_for_selector(f"{PANEL}[data-fips='24031']", timeout=TIMEOUT)
    expect(page.locator(".mdvax-legend-title")).to_have_text(
        "At least one dose (% of population)", timeout=TIMEOUT
    )
    assert all(s.endswith("%") for s in page.locator(".mdvax-swatch").all_inner_texts())
    assert "Rank among 24 (by % of population)" in page.inner_text(PANEL)
    page.get_by_role("button", name="Count").click()
    expect(page.locator(".mdvax-legend-title")).to_have_text("At least one dose", timeout=TIMEOUT)
    swatches = page.locator(".mdvax-swatch").all_inner_texts()
    assert swatches
    assert not any(s.endswith("%") for s in swatches)
    # The panel and the link are separate widgets: their updates may arrive after the legend's.
    expect(page.locator(PANEL)).to_contain_text("Rank among 24 (by count)", timeout=TIMEOUT)
    expect(page.locator(".mdvax-link input")).to_have_value(
        re.compile("per_capita=0"), timeout=TIMEOUT
    )
    no_traceback(page)


def test_deep_link_opens_that_view_at_phone_width(server, open_page):
    query = "?date=2021-03-30&measure=fully_vaccinated&per_capita=1&county=24031"
    page = open_page(server.url + query, width=390, height=844)
    wait_for_map(page)
    page.wait_for_selector(f"{PANEL}[data-fips='24031']", timeout=TIMEOUT)
    text = page.inner_text(PANEL)
    assert "Fully vaccinated" in text
    fully = 166_054 + 13_277  # Montgomery second + single cumulative on 2021-03-30 (raw CSV)
    assert f"{fully:,}" in text
    assert f"{100 * fully / raw_population('Montgomery'):.1f}%" in text
    assert page.locator(".mdvax-link input").input_value().endswith(query)
    assert page.locator(
        ".jupyter-widget-Dropdown select, .widget-dropdown select"
    ).first.input_value()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing sticks out sideways: the controls stack
    assert truncated(page) == []
    shot(page, "deep_link_390")
    no_traceback(page)


def test_hover_box_clears_and_csv_downloads_in_one_click(server, open_page):
    page = open_page(server.url + "?date=2021-02-10&measure=second_dose&per_capita=0")
    wait_for_map(page)
    hover = page.locator(".mdvax-hover")
    prompt = hover.inner_text()
    click_county(page, "Howard")
    expect(hover).to_contain_text("Howard: ", timeout=TIMEOUT)
    box = page.locator(".mdvax-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] + 60)  # below the map
    expect(hover).to_have_text(prompt, timeout=TIMEOUT)

    for day in (date(2021, 2, 10), date(2021, 2, 11)):
        expect(page.locator(".mdvax-headline")).to_contain_text(
            f"{day.day} {day:%b %Y}", timeout=TIMEOUT
        )
        expect(page.locator(PANEL)).to_contain_text("Howard", timeout=TIMEOUT)
        with page.expect_download() as waiting:
            page.get_by_role("link", name="Download CSV").click()  # one click, no "prepare"
        download = waiting.value
        assert download.suggested_filename == f"mdvax_{day}_second_dose.csv"
        rows = Path(download.path()).read_text("utf-8").splitlines()
        expected = raw_view("2021-03-30", day, "second_dose", False, False)
        assert rows[0] == "date,measure,county,fips,value,pct,rank,change_7d"
        assert len(rows) == 1 + 24 + 2
        by_county = {row.split(",")[2]: row.split(",") for row in rows[1:]}
        for name, figures in expected.counties.items():
            fields = by_county[name]
            assert fields[:2] == [day.isoformat(), "second_dose"]
            assert int(fields[4]) == figures["value"], name
            assert int(fields[6]) == figures["rank"], name
            assert int(fields[7]) == figures["change_7d"], name
        assert int(by_county["Unassigned"][4]) == expected.unassigned
        assert int(by_county["Maryland"][4]) == expected.total
        page.locator(".mdvax-date .noUi-handle").focus()
        page.keyboard.press("ArrowRight")  # the next day: the link follows the view
    no_traceback(page)


def test_bad_link_parameters_show_a_note_not_a_traceback(server, open_page):
    page = open_page(server.url + "?date=2031-01-01&measure=%3Cb%3Ebold%3C/b%3E")
    wait_for_map(page)
    note = page.wait_for_selector(".mdvax-notes", timeout=TIMEOUT).inner_text()
    assert "date 2031-01-01 is outside the data" in note
    assert "<b>bold</b>" in note  # shown as text, not markup
    assert page.locator(".mdvax-notes b").count() == 0
    no_traceback(page)


def test_empty_cache_and_unreachable_source_offer_an_upload(tmp_path, open_page):
    with dashboard_server(tmp_path / "data", filled=False) as empty:
        page = open_page(empty.url, height=900)
        try:
            status = page.wait_for_selector(".mdvax-empty-failed", timeout=60_000)
        except PlaywrightTimeout:  # say what the page and the server showed instead
            log = empty.log_path.read_text(encoding="utf-8")[-4000:]
            pytest.fail(f"no upload prompt; page: {page.inner_text('body')[:1500]!r}\nlog: {log}")
        assert "could not be fetched" in status.inner_text()
        shot(page, "empty_state")
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name="Upload CSV").click()
        chooser.value.set_files(str(snapshot_path("2021-03-30")))
        wait_for_map(page)
        expect(page.locator(".mdvax-asof")).to_contain_text("your uploaded file", timeout=TIMEOUT)
        assert page.locator(COUNTY_PATHS).count() == 24
        no_traceback(page)
        assert not (tmp_path / "data" / "current.arrow").exists()
