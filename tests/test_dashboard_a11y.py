"""The dashboard's accessibility parts in the kernel: county selector, table of the view,
legend classes as text, outline contrast, reduced motion, footer (no browser).

Expected figures come from the raw CSV snapshot with the csv module (:mod:`tests.support.raw_views`).
The browser side is ``tests/test_dashboard_a11y_browser.py``.
"""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest

from mdvax.dashboard import access, build_app
from mdvax.dashboard import map as dmap
from mdvax.dashboard.controls import NO_COUNTY, PLAY_INTERVAL_MS, REDUCED_INTERVAL_MS
from tests.support.raw_views import raw_view
from tests.test_report_a11y import contrast

DEFAULTS = {"date": None, "measure": "at_least_one", "per_capita": True, "county": None}
#: The map's background (dashboard.css, ``.mdvax-map``).
MAP_BACKGROUND = "#eef2f5"


class Cells(HTMLParser):
    """Text of every table row's cells, and the caption."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.caption = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th", "caption"):
            self._in = tag
            if tag != "caption":
                self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th", "caption"):
            self._in = None

    def handle_data(self, data):
        if self._in == "caption":
            self.caption += data
        elif self._in:
            self.rows[-1][-1] += data


def parse(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells


def test_outline_reaches_3_to_1_against_background_and_every_class():
    """1.4.11: the counties' outline against the map's background, the lightest class of every
    palette (which alone would not reach 3:1 against the background) and no-data grey."""
    assert dmap.BASE_STYLE["color"] == dmap.OUTLINE
    for colours in dmap.PALETTES.values():
        lightest = "#" + "".join(f"{round(255 * c):02x}" for c in colours[0][:3])
        assert contrast(lightest, MAP_BACKGROUND) < 3  # why the outline is needed
        assert contrast(dmap.OUTLINE, lightest) >= 3
    for other in (MAP_BACKGROUND, "#ffffff", dmap.NO_DATA):
        assert contrast(dmap.OUTLINE, other) >= 3
    assert contrast(dmap.SELECTED_STYLE["color"], MAP_BACKGROUND) >= 3


def test_legend_gives_the_classes_as_text():
    classes = dmap.Classes.for_range(47.0)  # 10 % steps: 5 classes
    assert classes.names(lambda v: f"{v:g}%") == [
        "0% to under 10%", "10% to under 20%", "20% to under 30%", "30% to under 40%",
        "40% or more",
    ]  # fmt: skip
    picture = dmap.Picture.build({}, 47.0, "Fully vaccinated", per_capita=True)
    assert picture.classes == classes
    legend = dmap.legend_html(picture)
    assert 'class="mdvax-swatches" aria-hidden="true"' in legend
    assert "light to dark: 0% to under 10%, 10% to under 20%," in legend


@pytest.fixture
def dashboard(filled_data_dir):
    return build_app(DEFAULTS, query="date=2021-03-09&per_capita=0").dashboard


def test_county_selector_opens_and_closes_the_panel_and_follows_clicks(dashboard):
    d = dashboard
    county = d.controls.county
    assert county.options[0] == (NO_COUNTY, "")
    assert [label for label, _ in county.options[1:]] == sorted(
        label for label, _ in county.options[1:]
    )
    assert len(county.options) == 25
    county.value = "24031"  # what the browser sends when Montgomery is chosen
    assert d.state.county == "24031"
    assert 'data-fips="24031"' in d.panel.value
    d.click("24031")  # clicking it on the map closes the panel: the selector follows
    assert d.state.county is None
    assert county.value == ""
    d.click("24005")
    assert county.value == "24005"
    county.value = ""  # back to Maryland from the selector
    assert d.state.county is None
    d.reset()
    assert county.value == ""


def test_table_of_the_view_is_sent_only_while_shown_and_matches_the_raw_csv(dashboard):
    d = dashboard
    assert d.table.table.value == ""  # hidden: nothing sent on a step
    d.change({"date": date(2021, 3, 2)})
    assert d.table.table.value == ""
    d.table.toggle.value = True
    for day, measure, daily, per_capita in (
        (date(2021, 3, 2), "at_least_one", False, False),
        (date(2021, 2, 17), "second_dose", True, True),
    ):
        d.change({"date": day, "measure": measure, "daily": daily, "per_capita": per_capita})
        cells = parse(d.table.table.value)
        assert cells.rows[0] == ["County", "Value", "% of population", "Rank"]
        by = "% of population" if per_capita else "count"
        assert cells.caption.endswith(f"{day.day} {day:%b %Y} (rank by {by})")
        expected = raw_view("2021-03-30", day, measure, daily, per_capita).counties
        got = {row[0]: row[1:] for row in cells.rows[1:]}
        assert list(got) == sorted(expected)
        for name, figures in expected.items():
            pct = f"{figures['pct']:.{2 if daily else 1}f}%"
            assert got[name] == [f"{figures['value']:,}", pct, str(figures["rank"])], name
    d.table.toggle.value = False
    assert d.table.table.value == ""
    assert d.table.table.layout.display == "none"


def test_reduced_motion_slows_play(dashboard):
    controls = dashboard.controls
    assert controls.play.interval == PLAY_INTERVAL_MS
    controls.reduced_motion.value = True  # ticked by a11y.js under prefers-reduced-motion
    assert controls.play.interval == REDUCED_INTERVAL_MS >= 1000
    controls.reduced_motion.value = False
    assert controls.play.interval == PLAY_INTERVAL_MS


def test_every_control_has_a_label_and_the_footer_links_the_statement(dashboard):
    c = dashboard.controls
    for widget in (c.measure, c.daily, c.per_capita, c.as_of, c.county, c.slider, c.play):
        assert widget.description.strip(), widget
    assert "mdvax-live" in dashboard.headline._dom_classes
    footer = access.footer_html()
    assert re.search(r'href="https://[^"]+/docs/accessibility\.md"', footer)
    assert "Accessibility statement" in footer
