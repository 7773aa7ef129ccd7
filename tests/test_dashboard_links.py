"""Deep links and the browser's side of the widgets, in the kernel (real data, no browser).

A ``jslink`` runs in the browser: when the page loads it copies its source's value over its
target. The dashboard once linked the Play widget (on the last day) to the date slider that way,
so every deep link opened on the last day. These tests check that the controls agree with the
link's day from the start, and replay in the kernel what the browser does with any browser-side
link, so the page shows the day the link asked for.
"""

from __future__ import annotations

from datetime import date

import pytest
from ipywidgets.widgets.widget_link import Link as BrowserLink

from mdvax.dashboard import build_app
from mdvax.dashboard.map import HOVER_PROMPT
from tests.support.raw_views import raw_view
from tests.test_dashboard_app import DEFAULTS, RAW_DAY

FIRST, MIDDLE, LAST = date(2020, 12, 14), date(2021, 3, 15), date(2021, 3, 30)


def page_load(controls) -> None:
    """What the browser does on page load with each browser-side link of the controls."""
    for link in vars(controls).values():
        if isinstance(link, BrowserLink):  # jslink / jsdlink: source copied over target
            (source, source_name), (target, target_name) = link.source, link.target
            setattr(target, target_name, getattr(source, source_name))


@pytest.mark.parametrize("day", [MIDDLE, FIRST, LAST])
def test_page_opens_on_the_linked_day_and_play_starts_there(filled_data_dir, day):
    d = build_app(DEFAULTS, query=f"date={day}&measure=first_dose").dashboard
    controls = d.controls
    index = controls.dates.index(day)
    assert (controls.slider.index, controls.play.value) == (index, index)
    page_load(controls)
    assert d.state.date == day
    assert controls.slider.value == day
    assert f"{day.day} {day:%b %Y}" in d.headline.value
    expected = raw_view(RAW_DAY, day, "first_dose", daily=False, per_capita=True)
    assert f'<span class="mdvax-big">{expected.total:,}</span>' in d.headline.value


def test_play_and_slider_follow_each_other(filled_data_dir):
    d = build_app(DEFAULTS, query=f"date={MIDDLE}").dashboard
    controls = d.controls
    controls.play.value += 1  # one tick of ▶, as the browser sends it
    assert d.state.date == date(2021, 3, 16)
    assert controls.slider.value == date(2021, 3, 16)
    controls.slider.value = date(2021, 1, 4)  # the visitor drags the slider...
    assert controls.play.value == controls.dates.index(date(2021, 1, 4))  # ...▶ goes on from there
    d.reset()
    assert (d.state.date, controls.play.value) == (MIDDLE, controls.dates.index(MIDDLE))


def test_hover_box_names_the_county_under_the_pointer_and_clears_when_it_leaves(
    filled_data_dir,
):
    d = build_app(DEFAULTS, query=f"date={MIDDLE}&measure=second_dose").dashboard
    layer, hover = d.map.layer, d.map.hover
    assert hover.value == HOVER_PROMPT

    def browser_sends(content: dict) -> None:  # as the GeoJSON layer's browser view does
        layer._handle_msg(
            {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
        )

    browser_sends({"event": "mouseover", "id": "24027", "properties": {"fips": "24027"}})
    howard = raw_view(RAW_DAY, MIDDLE, "second_dose", False, True).counties["Howard"]
    assert f"Howard: {howard['value']:,} ({howard['pct']:.1f}% of population)" in hover.value
    browser_sends({"event": "interaction", "type": "mouseover", "coordinates": [39.2, -76.9]})
    assert "Howard" in hover.value
    browser_sends({"event": "interaction", "type": "mouseout", "coordinates": [39.2, -77.2]})
    assert hover.value == HOVER_PROMPT
