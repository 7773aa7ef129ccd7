"""Deep links and the browser's side of the widgets, in the kernel (real data, no browser).

A ``jslink`` runs in the browser: when the page loads it copies its source's value over its
target, and from then on each side's changes to the other. The kernel never sees that copy
happen until the browser sends the result back, so these tests replay it: if both ends already
agree, the copy changes nothing and the page shows the day the link asked for.
"""

from __future__ import annotations

from datetime import date

import pytest

from mdvax.dashboard import build_app
from mdvax.dashboard.map import HOVER_PROMPT
from tests.support.raw_views import raw_view
from tests.test_dashboard_app import DEFAULTS, RAW_DAY

FIRST, MIDDLE, LAST = date(2020, 12, 14), date(2021, 3, 15), date(2021, 3, 30)


def browser_copies(link, direction: str = "source to target") -> None:
    """What the browser does with a ``jslink`` on page load, sent back to the kernel."""
    (source, source_name), (target, target_name) = link.source, link.target
    if direction != "source to target":
        (source, source_name), (target, target_name) = link.target, link.source
    setattr(target, target_name, getattr(source, source_name))


@pytest.mark.parametrize("day", [MIDDLE, FIRST, LAST])
@pytest.mark.parametrize("direction", ["source to target", "target to source"])
def test_page_load_keeps_the_linked_day(filled_data_dir, day, direction):
    d = build_app(DEFAULTS, query=f"date={day}&measure=first_dose").dashboard
    controls = d.controls
    index = controls.dates.index(day)
    assert (controls.slider.index, controls.play.value) == (index, index)
    browser_copies(controls.play_link, direction)
    assert d.state.date == day
    assert controls.slider.value == day
    assert f"{day.day} {day:%b %Y}" in d.headline.value
    expected = raw_view(RAW_DAY, day, "first_dose", daily=False, per_capita=True)
    assert f'<span class="mdvax-big">{expected.total:,}</span>' in d.headline.value


def test_play_goes_on_from_the_linked_day(filled_data_dir):
    d = build_app(DEFAULTS, query=f"date={MIDDLE}").dashboard
    controls = d.controls
    browser_copies(controls.play_link)
    controls.play.value += 1  # one tick of ▶; the browser's link moves the slider
    browser_copies(controls.play_link, "target to source")
    assert d.state.date == date(2021, 3, 16)


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
