"""The views beyond the county map in a real ``mdvax serve`` and Debian Chromium, 1280 and 390 px.

The session's read-only dashboard has the county table only (no dataset archived): a view
that names a dataset says so, and the page stays navigable by keyboard, keeps ``view=`` in its
link, and has no axe-core violation. With the datasets' archive reader on the branch, the same
views read ``api.load_table(dataset=...)`` (unit-tested in ``tests/test_dashboard_views.py``).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mdvax.dashboard.views import UNAVAILABLE
from tests import test_dashboard_browser as browser_tests
from tests.support.axe import describe, require_axe, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30_000
server = browser_tests.server
open_page = browser_tests.open_page
LINK = ".mdvax-link input"
SELECT = ".mdvax-view select"


@pytest.mark.parametrize("width", [1280, 390])
def test_zip_view_from_a_link_says_why_it_is_empty_and_meets_wcag(server, open_page, width):
    require_axe()
    page = open_page(
        server.url + "?view=zip&measure=fully_vaccinated", width=width, bypass_csp=True
    )
    expect(page.locator(SELECT)).to_have_value("ZIP codes", timeout=TIMEOUT)
    expect(page.locator(".mdvax-dataset-body")).to_contain_text(UNAVAILABLE[:40], timeout=TIMEOUT)
    expect(page.locator(".mdvax-body")).to_be_hidden()  # the county map is not shown
    link = page.locator(LINK).input_value()
    assert "view=zip" in link
    assert "measure=fully_vaccinated" in link
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    violations = run_axe(page)
    assert violations == [], describe(violations)
    browser_tests.shot(page, f"views-zip-{width}")


def test_keyboard_switches_views_and_back_to_the_map(server, open_page):
    page = open_page(server.url, width=1280)
    select = page.locator(SELECT)
    expect(select).to_have_value("Counties (map)", timeout=TIMEOUT)
    expect(page.locator(".mdvax-body")).to_be_visible(timeout=TIMEOUT)
    select.focus()
    page.keyboard.press("ArrowDown")  # the next view: ZIP codes
    expect(page.locator(".mdvax-body")).to_be_hidden(timeout=TIMEOUT)
    page.wait_for_function(
        "() => document.querySelector('.mdvax-link input').value.includes('view=zip')",
        timeout=TIMEOUT,
    )
    measure = page.locator(".mdvax-controls .widget-dropdown", has_text="Measure")
    expect(measure).to_be_visible()  # the ZIP view ranks by the measure
    page.keyboard.press("ArrowDown")  # third doses: no measure to choose
    expect(measure).to_be_hidden(timeout=TIMEOUT)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # back to the map: links have no view= again
    expect(page.locator(".mdvax-body")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_function(
        "() => !document.querySelector('.mdvax-link input').value.includes('view=')",
        timeout=TIMEOUT,
    )


def test_a_bad_view_in_a_link_is_named_and_the_map_shows(server, open_page):
    page = open_page(server.url + "?view=%3Cscript%3E", width=390)
    expect(page.locator(".mdvax-notes")).to_contain_text("view '<script>' is not one of")
    expect(page.locator(".mdvax-body")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(SELECT)).to_have_value("Counties (map)")
