"""The "How this figure was revised" chart: labels inside the chart, its place, one vintage.

Text widths are measured with matplotlib's copy of DejaVu Sans (the widest common sans-serif,
and Chromium's here), independently of the estimate the chart uses; in the browser, Chromium
measures the drawn labels itself, at 1280 and 390 px. The dashboard tests read the vintages
imported from the replayed state repository (tests/test_dashboard_vintage.py's fixtures), and
their expected figures from the committed files with the csv module.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from importlib import resources

import pandas as pd
import pytest
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextPath

from mdvax.dashboard import build_app
from mdvax.dashboard.revisions import revisions_html
from mdvax.revisions import RevisionSeries
from tests import test_dashboard_vintage as vintage
from tests.test_dashboard_vintage import DAY, OTHER, SINCE, commits, raw_state, raw_value

#: The vintages imported from the replayed state repository, and a server reading them.
repo, history_env, data, server = vintage.repo, vintage.history_env, vintage.data, vintage.server

#: The dashboard's text size, which SVG text inherits unless the chart sets its own.
PAGE_FONT = float(
    re.search(
        r"\.mdvax-root, \.mdvax-app \{[^}]*font-size: (\d+)px",
        resources.files("mdvax.dashboard").joinpath("dashboard.css").read_text("utf-8"),
    ).group(1)
)
FONT = FontProperties(family="DejaVu Sans")


def revision_series(values: list[int], first: str = "2021-04-08") -> RevisionSeries:
    """A series of ``values`` published on consecutive days from ``first``."""
    published = pd.date_range(first, periods=len(values), freq="D")
    frame = pd.DataFrame(
        {
            "published": published,
            "vintage_id": range(1, len(values) + 1),
            "value": pd.Series(values, dtype="int64"),
            "change": pd.Series(values, dtype="Int64").diff(),
        }
    )
    return RevisionSeries("Howard", "first_dose", date(2021, 4, 5), frame)


def is_value(label: str) -> bool:
    """Whether a label is a value (the axis), not a day."""
    return re.fullmatch(r"-?[0-9,]+", label) is not None


def svg_of(html: str) -> ET.Element:
    return ET.fromstring(html[html.index("<svg") : html.index("</svg>") + len("</svg>")])


def ink_box(text: ET.Element, size: float) -> tuple[float, float, float, float]:
    """Left, top, right, bottom of a label's glyphs in SVG user units (DejaVu Sans)."""
    box = TextPath((0, 0), text.text, size=size, prop=FONT).get_extents()
    x = float(text.get("x"))
    start = {"start": x, "middle": x - box.x1 / 2, "end": x - box.x1}[text.get("text-anchor")]
    baseline = float(text.get("y")) + float(text.get("dy", 0))
    return start + box.x0, baseline - box.y1, start + box.x1, baseline - box.y0


@pytest.mark.parametrize(
    "values",
    [
        [5_041_870, 5_053_116, 5_049_112],  # Maryland: the "053,116"
        [125_527, 126_002, 126_781],  # a county
        [10_234_567, 10_240_001],
        [-1_234, 56, -310],  # a daily count revised below zero
    ],
    ids=["7 digits", "6 digits", "8 digits", "negative"],
)
def test_every_label_is_drawn_inside_the_chart(values):
    svg = svg_of(revisions_html(revision_series(values), "Maryland", "First doses"))
    size = float(svg.get("font-size", PAGE_FONT))
    _, _, width, height = map(float, svg.get("viewBox").split())
    plot_left = min(float(line.get("x1")) for line in svg.iter("line"))
    labels = list(svg.iter("text"))
    shown = {t.text for t in labels}
    assert {f"{max(values):,}", f"{min(values):,}", "8 Apr 2021"} <= shown
    for text in labels:
        left, top, right, bottom = ink_box(text, size)
        assert left >= 0, (text.text, left)
        assert right <= width, (text.text, right, width)
        assert top >= 0, (text.text, top)
        assert bottom <= height, (text.text, bottom, height)
        if is_value(text.text):  # left of the plot, not over it
            assert right <= plot_left, (text.text, right, plot_left)


def test_a_value_no_vintage_changed_gets_one_label():
    svg = svg_of(revisions_html(revision_series([126_002, 126_002, 126_002]), "Howard", "x"))
    assert [t.text for t in svg.iter("text")].count("126,002") == 1


def test_one_vintage_says_one_published_version_instead_of_a_chart():
    html = revisions_html(revision_series([125_527]), "Howard", "First doses")
    assert "How this figure was revised" in html
    assert "One published version: <strong>125,527</strong>, published 8 Apr 2021" in html
    assert "<svg" not in html
    assert "<circle" not in html


def side_html(dashboard) -> list[str]:
    """The side panel's widgets, top to bottom, as the HTML (or label) each shows."""
    body = next(w for w in dashboard.widget().children if "mdvax-body" in w._dom_classes)
    side = next(w for w in body.children if "mdvax-side" in w._dom_classes)
    shown = []
    for child in side.children:
        for widget in getattr(child, "children", (child,)):
            shown.append(getattr(widget, "value", None) or widget.description)
    return shown


def test_the_county_heading_sits_above_its_own_chart(data, repo):
    view = f"as_of={OTHER}&date={DAY}&county=Montgomery&measure=first_dose&per_capita=0"
    page = "\n".join(side_html(build_app(query=view).dashboard))
    heading = page.index("% of population: Montgomery vs Maryland")
    after = page[heading:]
    first_chart = re.search(r'<svg class="([^"]+)"', after)
    assert first_chart.group(1) == "mdvax-chart"  # the county and Maryland over time
    assert "How this figure was revised" not in after[: first_chart.start()]
    assert after.index("How this figure was revised") > first_chart.start()
    latest = raw_value(repo, OTHER, DAY)
    assert f"<th>As published on 15 Apr 2021</th><td>{latest:,}</td>" in after


def test_one_vintage_in_the_dashboard(data, repo):
    view = f"as_of={SINCE}&date={DAY}&county=Montgomery&measure=first_dose&per_capita=0"
    d = build_app(query=view).dashboard
    assert d.state.as_of == date.fromisoformat(SINCE)  # the first imported vintage
    first = raw_value(repo, SINCE, DAY)
    assert f"One published version: <strong>{first:,}</strong>, published 8 Apr 2021" in (
        d.revised.value
    )
    assert "<svg" not in d.revised.value


#: Every label of the revision chart against the chart's box and the plot's left edge (px).
LABELS_JS = """() => {
  const svg = document.querySelector("svg.mdvax-revchart");
  const box = svg.getBoundingClientRect();
  const plot = Math.min(...[...svg.querySelectorAll("line")].map(
    l => l.getBoundingClientRect().left));
  return [...svg.querySelectorAll("text")].map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, left: r.left - box.left, right: r.right - box.left,
            top: r.top - box.top, bottom: r.bottom - box.top, width: box.width,
            height: box.height, plot: plot - box.left};
  });
}"""

#: Top and bottom (px) of the county heading, the county's chart and the revision chart.
ORDER_JS = """() => {
  const heading = [...document.querySelectorAll(".mdvax-chart-title")]
    .find(e => e.textContent.includes("vs Maryland"));
  const rect = e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; };
  return {heading: rect(heading), chart: rect(document.querySelector("svg.mdvax-chart")),
          revisions: rect(document.querySelector("svg.mdvax-revchart"))};
}"""


def open_page(browser, running, width: int, query: str):
    from playwright.sync_api import expect

    from tests.support.probe import wait_for_map

    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{running.url}?{query}")
    wait_for_map(page)
    expect(page.locator(".mdvax-revisions")).to_be_visible(timeout=60_000)
    page.locator(".mdvax-revisions").scroll_into_view_if_needed()
    return page


def assert_labels_fit(page) -> list[str]:
    labels = page.evaluate(LABELS_JS)
    for label in labels:
        assert label["left"] >= -0.5, label
        assert label["right"] <= label["width"] + 0.5, label
        assert label["top"] >= -0.5, label
        assert label["bottom"] <= label["height"] + 0.5, label
        if is_value(label["text"]):
            assert label["right"] <= label["plot"] + 0.5, label
    return [label["text"] for label in labels]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_revision_chart_in_the_browser(server, browser, repo, width):
    from playwright.sync_api import expect

    base = f"date={DAY}&measure=first_dose&per_capita=0"
    # Maryland's figure (seven digits): every label whole, inside the chart.
    page = open_page(browser, server, width, f"as_of={OTHER}&{base}")
    shown = assert_labels_fit(page)
    state = [raw_state(repo, day, DAY) for day in commits(repo) if SINCE <= day <= OTHER]
    assert {f"{max(state):,}", f"{min(state):,}"} <= set(shown)
    assert min(state) >= 1_000_000
    page.close()
    # A county: its heading, then its chart, then how the figure was revised.
    page = open_page(browser, server, width, f"as_of={OTHER}&{base}&county=Montgomery")
    assert_labels_fit(page)
    order = page.evaluate(ORDER_JS)
    assert order["heading"][1] <= order["chart"][0] < order["chart"][1] <= order["revisions"][0]
    page.close()
    # One vintage: the figure and "One published version", no chart.
    page = open_page(browser, server, width, f"as_of={SINCE}&{base}&county=Montgomery")
    block = page.locator(".mdvax-revisions")
    first = raw_value(repo, SINCE, DAY)
    expect(block).to_contain_text(f"One published version: {first:,}, published 8 Apr 2021")
    assert page.locator("svg.mdvax-revchart").count() == 0
    page.close()


def test_without_vintages_to_compare_the_block_takes_no_room(filled_data_dir):
    d = build_app(query="county=Howard").dashboard
    assert d.revised.value == ""
    assert d.revised.layout.display == "none"
