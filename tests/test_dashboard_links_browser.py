"""Deep links in Debian Chromium: the page opens on the day and view the link names.

Each link names a day that is neither the first nor the last, or the first day, and between them
they set every parameter (date, measure, per_capita, daily, county). What the page shows (the
slider, the map's colours, the headline, the side panel, the link field, the controls) is checked
against the raw CSV read with the csv module (:mod:`tests.support.raw_views`).
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from mdvax.dashboard.controls import NO_COUNTY
from mdvax.dashboard.map import Classes
from mdvax.normalize.counties import JURISDICTIONS
from tests import test_dashboard_browser as browser_tests
from tests.support.probe import wait_for_map
from tests.support.raw_views import raw_view
from tests.test_dashboard_browser import PANEL, TIMEOUT, no_traceback, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
#: Pages in fresh contexts; fails a test whose page sent a request off the machine.
open_page = browser_tests.open_page

RAW_DAY = "2021-03-30"
FIRST, LAST = date(2020, 12, 14), date(2021, 3, 30)
LABELS = {
    "first_dose": "First doses",
    "second_dose": "Second doses",
    "single_dose": "Single doses (J&J)",
    "at_least_one": "At least one dose",
    "fully_vaccinated": "Fully vaccinated",
}

#: (query, day, measure, daily, per_capita, county name or None)
LINKS = [
    # The link; per_capita is left out: the page's default (% of population).
    ("date=2021-03-15&measure=first_dose", date(2021, 3, 15), "first_dose", False, True, None),
    (
        "date=2021-02-10&measure=second_dose&per_capita=0&daily=1&county=Howard",
        date(2021, 2, 10),
        "second_dose",
        True,
        False,
        "Howard",
    ),
    (
        "date=2021-03-22&measure=single_dose&per_capita=1&daily=0&county=24510",
        date(2021, 3, 22),
        "single_dose",
        False,
        True,
        "Baltimore City",
    ),
    (
        "date=2020-12-14&measure=first_dose&per_capita=0&county=anne%20arundel",
        FIRST,
        "first_dose",
        False,
        False,
        "Anne Arundel",
    ),
    (
        "date=2020-12-14&measure=at_least_one&per_capita=1&daily=1",
        FIRST,
        "at_least_one",
        True,
        True,
        None,
    ),
]


@pytest.fixture
def server(shared_dashboard):
    return shared_dashboard  # read-only: pages are opened, nothing else


def day_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def share(value: float, daily: bool) -> str:
    return f"{value:.2f}%" if daily else f"{value:.1f}%"


def change(value: int) -> str:
    return f"{value:+,}" if value else "0"


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def figures(page) -> dict[str, str]:
    """The side panel's table: row heading -> value."""
    return dict(
        page.eval_on_selector_all(
            f"{PANEL} tr", "rows => rows.map(r => [r.cells[0].innerText, r.cells[1].innerText])"
        )
    )


@pytest.mark.parametrize(("query", "day", "measure", "daily", "per_capita", "county"), LINKS)
def test_link_opens_on_its_day_and_view(
    server, open_page, query, day, measure, daily, per_capita, county
):
    page = open_page(f"{server.url}?{query}")
    wait_for_map(page)
    expected = raw_view(RAW_DAY, day, measure, daily, per_capita)
    fips = JURISDICTIONS[county] if county else None
    panel = f"{PANEL}[data-fips='{fips}']" if county else f"{PANEL}[data-view='state']"
    page.wait_for_selector(panel, timeout=TIMEOUT)

    # The slider and the controls.
    expect(page.locator(".mdvax-date .widget-readout")).to_have_text(day_text(day))
    chosen = "s => s.options[s.selectedIndex].text.replaceAll('\xa0', ' ')"
    assert page.get_by_label("Measure", exact=True).evaluate(chosen) == LABELS[measure]
    # The county selector (the keyboard's way to a county) shows the link's county too.
    assert page.get_by_label("County", exact=True).evaluate(chosen) == (county or NO_COUNTY)
    active = page.locator(".mdvax-controls .widget-toggle-button.mod-active").all_inner_texts()
    assert sorted(active) == sorted(
        ["Daily" if daily else "Cumulative", "% of population" if per_capita else "Count"]
    )
    # The headline: Maryland on that day, unassigned doses included.
    headline = page.inner_text(".mdvax-headline")
    assert page.inner_text(".mdvax-big") == f"{expected.total:,}"
    assert f"in Maryland on {day_text(day)}" in headline
    assert f"({share(expected.pct, daily)} of the population)" in headline
    assert f"including {expected.unassigned:,} not yet assigned" in headline
    # The side panel.
    rows = figures(page)
    if county:
        mine = expected.counties[county]
        assert page.inner_text(f"{PANEL} h3") == f"{county}, {day_text(day)}"
        by = "% of population" if per_capita else "count"
        assert rows == {
            "Total": f"{mine['value']:,}",
            "% of population": share(mine["pct"], daily),
            f"Rank among 24 (by {by})": f"{mine['rank']} of 24",
            "Change over 7 days": change(mine["change_7d"]),
        }
    else:
        assert page.inner_text(f"{PANEL} h3") == f"Maryland, {day_text(day)}"
        assert rows == {
            "Total": f"{expected.total:,}",
            "% of population": share(expected.pct, daily),
            "Not yet assigned to a county": f"{expected.unassigned:,}",
            "Change over 7 days": change(expected.change_7d),
        }
    # The map: each county in the colour class of its figure that day.
    classes = Classes.for_range(expected.vmax)
    fills = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('path.leaflet-interactive')]"
        ".map(p => [[...p.classList].find(c => c.startsWith('mdvax-c')).slice(7),"
        " getComputedStyle(p).fill]))"
    )
    for name, mine in expected.counties.items():
        value = mine["pct"] if per_capita else mine["value"]
        assert fills[JURISDICTIONS[name]] == rgb(classes.colour(value)), name
    # The link field says the same view, every value explicit.
    link = parse_qs(urlsplit(page.locator(".mdvax-link input").input_value()).query)
    assert link["date"] == [day.isoformat()]
    assert link["measure"] == [measure]
    assert link["per_capita"] == [str(int(per_capita))]
    assert link.get("daily") == (["1"] if daily else None)
    assert link.get("county") == ([fips] if fips else None)
    if query == LINKS[0][0]:
        shot(page, "deep_link_1280")
    no_traceback(page)


def test_play_starts_from_the_linked_day(server, open_page):
    page = open_page(f"{server.url}?date=2021-03-15&measure=first_dose")
    wait_for_map(page)
    readout = page.locator(".mdvax-date .widget-readout")
    expect(readout).to_have_text("15 Mar 2021", timeout=TIMEOUT)
    page.locator(".widget-play button").first.click()  # ▶
    expect(readout).not_to_have_text("15 Mar 2021", timeout=TIMEOUT)
    page.locator(".widget-play button").first.click()  # pause
    shown = page.inner_text(".mdvax-date .widget-readout")
    day = datetime.strptime(shown, "%d %b %Y").date()
    assert date(2021, 3, 15) < day < LAST, shown  # from the link's day, not from the last one
    expect(page.locator(".mdvax-headline")).to_contain_text(shown, timeout=TIMEOUT)
