"""The dashboard in Debian Chromium, served by a real ``mdvax serve`` on a free port.

One server per module (cache filled by the real pipeline from the local source server), plus
one with an empty cache and an unreachable source for the upload path. Screenshots go to
``test-artifacts/``. Expected figures are read from the raw CSV snapshot by the helpers of
``tests/test_dashboard_app.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from mdvax.serve.probe import (
    COUNTY_PATHS,
    FILLS_JS,
    county_fills,
    wait_for_map,
)
from tests.support.raw_figures import raw_population
from tests.support.source_server import snapshot_path
from tests.support.voila_server import dashboard_server
from tests.test_dashboard_app import raw_at_least_one

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PANEL = ".mdvax-panel"
TIMEOUT = 30_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with dashboard_server(tmp_path_factory.mktemp("dash") / "data") as running:
        yield running


@pytest.fixture
def open_page(browser):
    pages = []

    def opener(url: str, width: int = 1280, height: int = 1000):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(url)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.goto("about:blank")
        page.context.close()


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
    assert "At least one dose" in legend.inner_text()
    assert page.locator(".mdvax-swatch").count() >= 3
    assert page.locator("img.leaflet-tile").count() == 0  # no basemap: nothing to fail offline
    expect(page.locator(".mdvax-asof")).to_contain_text("Data as of 30 Mar 2021", timeout=TIMEOUT)
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
    value = raw_at_least_one("2021-03-30")["Montgomery"]
    text = page.inner_text(PANEL)
    assert "Montgomery, 30 Mar 2021" in text
    assert f"{value:,}" in text
    assert f"{100 * value / raw_population('Montgomery'):.1f}%" in text
    assert "1 of 24" in text
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


def test_per_capita_toggle_shows_percentages(server, open_page):
    page = open_page(server.url + "?county=Montgomery")
    wait_for_map(page)
    page.wait_for_selector(f"{PANEL}[data-fips='24031']", timeout=TIMEOUT)
    page.get_by_role("button", name="% of population").click()
    page.wait_for_function(
        "document.querySelector('.mdvax-legend-title').textContent.includes('% of population')",
        timeout=TIMEOUT,
    )
    swatches = page.locator(".mdvax-swatch").all_inner_texts()
    assert swatches
    assert all(s.endswith("%") for s in swatches)
    # The panel and the link are separate widgets: their updates may arrive after the legend's.
    expect(page.locator(PANEL)).to_contain_text(
        "Rank among 24 (by % of population)", timeout=TIMEOUT
    )
    expect(page.locator(".mdvax-link input")).to_have_value(
        re.compile("per_capita=1"), timeout=TIMEOUT
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
    shot(page, "deep_link_390")
    no_traceback(page)


def test_bad_link_parameters_show_a_note_not_a_traceback(server, open_page):
    page = open_page(server.url + "?date=2031-01-01&measure=%3Cb%3Ebold%3C/b%3E")
    wait_for_map(page)
    note = page.wait_for_selector(".mdvax-notes", timeout=TIMEOUT).inner_text()
    assert "date 2031-01-01 is outside the data" in note
    assert "<b>bold</b>" in note  # shown as text, not markup
    assert page.locator(".mdvax-notes b").count() == 0
    no_traceback(page)


def test_empty_cache_and_unreachable_source_offer_an_upload(tmp_path, browser):
    with dashboard_server(tmp_path / "data", filled=False) as empty:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            page.goto(empty.url)
            status = page.wait_for_selector(".mdvax-empty-failed", timeout=60_000)
            assert "could not be fetched" in status.inner_text()
            shot(page, "empty_state")
            with page.expect_file_chooser() as chooser:
                page.get_by_role("button", name="Upload CSV").click()
            chooser.value.set_files(str(snapshot_path("2021-03-30")))
            wait_for_map(page)
            expect(page.locator(".mdvax-asof")).to_contain_text(
                "your uploaded file", timeout=TIMEOUT
            )
            assert page.locator(COUNTY_PATHS).count() == 24
            no_traceback(page)
            assert not (tmp_path / "data" / "current.arrow").exists()
        finally:
            page.goto("about:blank")
            context.close()
