"""The dashboard meets WCAG 2.1 AA: axe-core on four views, the table of the view, and the
keyboard alone (no mouse event at all) through a real ``mdvax serve`` in Debian Chromium.

axe-core is the npm package ``make a11y-deps`` installs (``tests/support/axe.py``); it is
injected into the page, so these pages are opened with ``bypass_csp`` (the server's CSP refuses
any script without the page's nonce, which is the point of it). Expected figures come from the
raw CSV with the csv module (:mod:`tests.support.raw_views`), never from mdvax.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from mdvax.dashboard.controls import NO_COUNTY
from tests import test_dashboard_browser as browser_tests
from tests.support.axe import describe, require_axe, run_axe
from tests.support.probe import COUNTY_PATHS, wait_for_map
from tests.support.raw_views import raw_view

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30_000
SNAPSHOT = "2021-03-30"
PANEL = ".mdvax-panel"
HEADLINE = ".mdvax-headline"
#: Views checked by axe: (name, query, width); the county view also shows its table.
VIEWS = (
    ("default", "", 1280),
    ("% of population, Montgomery's panel", "?date=2021-03-16&per_capita=1&county=24031", 1280),
    ("daily", "?daily=1&measure=first_dose&date=2021-03-02", 1280),
    ("phone", "", 390),
)
#: JS: what the focused element is called and how its focus shows.
FOCUSED_JS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return {name: 'BODY', outline: 'none', width: 0};
    const by = el.getAttribute('aria-labelledby');
    const label = el.id && document.querySelector(`label[for="${el.id}"]`);
    const name = el.getAttribute('aria-label') || (by && document.getElementById(by).textContent)
        || (label && label.textContent) || el.textContent || el.value || '';
    const style = getComputedStyle(el);
    return {name: name.trim().slice(0, 60), tag: el.tagName,
            outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""
#: JS run before any page script: records every mouse, pointer, touch and wheel event.
MOUSE_SPY_JS = """
window.__mouse = [];
for (const type of ['mousedown', 'mouseup', 'mousemove', 'mouseover', 'pointerdown',
                    'pointermove', 'touchstart', 'wheel', 'contextmenu', 'dblclick']) {
    window.addEventListener(type, e => window.__mouse.push(type), true);
}
window.addEventListener('click', e => { if (e.detail > 0) window.__mouse.push('click'); }, true);
"""


#: The module's ``mdvax serve``, and pages in fresh contexts (a test fails if its page sent a
#: request off the machine).
server = browser_tests.server
open_page = browser_tests.open_page


def new_page(open_page, url: str, width: int):
    """The dashboard at ``url`` with its map drawn, CSP bypassed for axe-core."""
    page = open_page(url, width=width, height=900, bypass_csp=True)
    wait_for_map(page)
    return page


def table_rows(page) -> dict[str, list[str]]:
    """The table of the view: county -> [value, % of population, rank]."""
    rows = page.eval_on_selector_all(
        ".mdvax-county-table tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))",
    )
    return {row[0]: row[1:] for row in rows}


def check_table(page, day: date, measure: str, daily: bool, per_capita: bool) -> None:
    """Every county's row matches the raw CSV's figures for the view."""
    caption = page.locator(".mdvax-county-table caption")
    expect(caption).to_contain_text(f"{day.day} {day:%b %Y}", timeout=TIMEOUT)
    expected = raw_view(SNAPSHOT, day, measure, daily, per_capita).counties
    rows = table_rows(page)
    assert set(rows) == set(expected)
    for name, figures in expected.items():
        assert rows[name] == [
            f"{figures['value']:,}",
            f"{figures['pct']:.{2 if daily else 1}f}%",
            str(figures["rank"]),
        ], name


def test_views_meet_wcag_aa_and_the_table_follows_the_map(server, open_page):
    require_axe()
    for name, query, width in VIEWS:
        page = new_page(open_page, server.url + query, width)
        expect(page.locator(".mdvax-legend-title")).to_be_visible(timeout=TIMEOUT)
        if "county" in query:
            page.wait_for_selector(f"{PANEL}[data-fips='24031']", timeout=TIMEOUT)
            page.get_by_role("button", name="Show as table").click()
            check_table(page, date(2021, 3, 16), "at_least_one", False, True)
            # Kept in step with the map: the next day by the slider's keys.
            page.locator(".mdvax-date .noUi-handle").focus()
            page.keyboard.press("ArrowRight")
            check_table(page, date(2021, 3, 17), "at_least_one", False, True)
            expect(page.locator(".mdvax-table-toggle")).to_have_attribute("aria-pressed", "true")
        violations = run_axe(page)
        assert violations == [], f"{name}:\n{describe(violations)}"
        if width == 390:
            # Reflow (1.4.10) at 320 CSS px, and 200 % zoom of a 1280 px window (640 CSS px).
            for narrow in (320, 640):
                page.set_viewport_size({"width": narrow, "height": 700})
                page.wait_for_timeout(300)
                assert page.evaluate("document.documentElement.scrollWidth") <= narrow, narrow
                assert browser_tests.truncated(page) == []  # the date's readout included
                assert run_axe(page) == [], narrow
    # Names and live region on the last page (the phone view).
    assert page.get_attribute(".mdvax-live", "aria-live") == "polite"
    assert page.locator(".mdvax-live").get_attribute("role") == "status"
    assert "Map of Maryland's counties" in page.get_attribute(
        ".mdvax-map .leaflet-container, .mdvax-map.leaflet-container", "aria-label"
    )
    legend_text = page.locator(".mdvax-legend .mdvax-sr").inner_text()
    assert legend_text.startswith("Colour classes, light to dark: 0% to under ")
    assert legend_text.endswith(" or more.")
    # 1.4.11: the counties and the legend's swatches are outlined in dark grey.
    strokes = page.eval_on_selector_all(
        COUNTY_PATHS, "ps => ps.map(p => getComputedStyle(p).stroke)"
    )
    assert set(strokes) == {"rgb(77, 77, 77)"}
    borders = page.eval_on_selector_all(
        ".mdvax-swatch i", "items => items.map(i => getComputedStyle(i).borderTopColor)"
    )
    assert set(borders) == {"rgb(77, 77, 77)"}
    footer = page.get_by_role("link", name="Accessibility statement")
    assert footer.get_attribute("href").endswith("/docs/accessibility.md")


def test_keyboard_alone_chooses_a_view_opens_and_closes_montgomery(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.add_init_script(MOUSE_SPY_JS)
    page = context.new_page()
    page.goto(server.url + "?per_capita=0")
    wait_for_map(page)
    expect(page.locator(".mdvax-legend-title")).to_have_text("At least one dose", timeout=TIMEOUT)
    keys = page.keyboard

    # Tab order: every control once, in reading order, each with a visible outline; no trap.
    stops = []
    for _ in range(40):
        keys.press("Tab")
        stops.append(page.evaluate(FOCUSED_JS))
        if stops[-1]["name"].startswith("Accessibility statement"):
            break
    names = [s["name"] for s in stops]
    order = ["Measure", "Cumulative", "Daily", "% of population", "Count", "County",
             "Play the days", "Date", "Reset", "Map of Maryland's counties", "Show as table",
             "Download CSV", "Accessibility statement"]  # fmt: skip
    found = [next(i for i, n in enumerate(names) if n.startswith(o)) for o in order]
    assert found == sorted(found), names
    for stop in stops:
        assert stop["outline"] != "none", stop
        assert stop["width"] >= 2, stop
    keys.press("Tab")  # past the last control the page lets go (Chromium's own UI is next)
    assert page.evaluate(FOCUSED_JS)["name"] != "Accessibility statement"

    def tab_to(prefix: str, back: bool = False) -> None:
        for _ in range(40):
            if page.evaluate(FOCUSED_JS)["name"].startswith(prefix):
                return
            keys.press("Shift+Tab" if back else "Tab")
        raise AssertionError(f"no tab stop named {prefix!r}")

    tab_to("Measure")
    keys.type("Fully")  # a closed <select> takes type-ahead
    expect(page.locator(".mdvax-legend-title")).to_have_text("Fully vaccinated", timeout=TIMEOUT)
    tab_to("% of population")
    keys.press("Space")
    expect(page.locator(".mdvax-legend-title")).to_have_text(
        "Fully vaccinated (% of population)", timeout=TIMEOUT
    )
    assert page.get_attribute("button:text-is('% of population')", "aria-pressed") == "true"
    tab_to("Date")
    day = date(2021, 3, 30) - timedelta(30)
    for _ in range(30):
        keys.press("ArrowLeft")
    expect(page.locator(HEADLINE)).to_contain_text(f"{day.day} {day:%b %Y}", timeout=TIMEOUT)
    handle = page.locator(".mdvax-date .noUi-handle")
    expect(handle).to_have_attribute(
        "aria-valuetext", re.compile(rf"{day.day}\s{day:%b}\s{day:%Y}")
    )

    tab_to("County", back=True)
    keys.type("Montgomery")
    page.wait_for_selector(f"{PANEL}[data-fips='24031']", timeout=TIMEOUT)
    expected = raw_view(SNAPSHOT, day, "fully_vaccinated", False, True).counties["Montgomery"]
    text = page.inner_text(PANEL)
    assert f"Montgomery, {day.day} {day:%b %Y}" in text
    assert f"{expected['value']:,}" in text
    assert f"{expected['pct']:.1f}%" in text
    assert f"{expected['rank']} of 24" in text
    keys.press("Escape")
    page.wait_for_selector(f"{PANEL}[data-view='state']", timeout=TIMEOUT)
    assert page.evaluate(FOCUSED_JS)["name"].startswith("County")  # focus kept, not lost
    page.wait_for_function(  # the selector's update may arrive after the panel's
        "name => { const s = document.querySelector('.mdvax-county select');"
        " return s.options[s.selectedIndex].text.replaceAll('\\xa0', ' ') === name; }",
        arg=NO_COUNTY,
        timeout=TIMEOUT,
    )

    # Play and Pause from the keyboard (reduced motion: the hidden box is ticked).
    assert page.locator(".mdvax-reduced-motion input").is_checked()
    tab_to("Play the days")
    keys.press("Space")
    later = day + timedelta(1)
    expect(page.locator(HEADLINE)).to_contain_text(f"{later.day} {later:%b %Y}", timeout=TIMEOUT)
    expect(page.locator(".widget-play button").first).to_have_attribute(
        "aria-label", "Pause the days"
    )
    keys.press("Space")
    expect(page.locator(".widget-play button").first).to_have_attribute(
        "aria-label", "Play the days"
    )
    stopped = page.inner_text(HEADLINE)
    page.wait_for_timeout(2_000)  # longer than a step, even with reduced motion
    assert page.inner_text(HEADLINE) == stopped
    assert page.evaluate("window.__mouse") == []
    context.close()
