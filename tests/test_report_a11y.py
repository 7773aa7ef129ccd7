"""Reports and the report index meet WCAG 2.1 AA: axe-core, landmarks, SVG names, table alternatives.

A real report is built by ``mdvax report`` from a real update (source server on loopback) and
opened from disk in headless Chromium with the network blocked. axe-core is the npm package
``make a11y-deps`` installs (``tests/support/axe.py``). Expected figures come from the raw CSV
read with the csv module (``tests/support/raw_figures.py``), not from mdvax.
"""

from __future__ import annotations

import base64
import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from mdvax.cli import main
from mdvax.dashboard.map import PALETTES
from mdvax.report import figures, site
from tests.support.axe import describe, require_axe, run_axe
from tests.support.raw_figures import cumulative_by_label

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DAY = "2021-03-16"  # neither the first nor the last day of the 2021-03-30 snapshot
SVG_NS = "{http://www.w3.org/2000/svg}"

LANDMARKS_JS = """() => ({
    lang: document.documentElement.lang,
    main: document.querySelectorAll('main').length,
    header: document.querySelectorAll('body > header').length,
    footer: document.querySelectorAll('body > footer').length,
    nav: Array.from(document.querySelectorAll('nav')).map(n => n.getAttribute('aria-label')),
    headings: Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6')).map(h => +h.tagName[1]),
})"""

FOCUSED_JS = """() => {
    const el = document.activeElement, style = getComputedStyle(el);
    const by = el.getAttribute('aria-labelledby');
    return {
        name: (by ? document.getElementById(by).textContent : el.textContent).replace('¶', '').trim(),
        role: el.getAttribute('role'), table: el.closest('details')?.id,
        outline: style.outlineStyle, width: style.outlineWidth,
    };
}"""

FIGURES_JS = """() => Array.from(document.querySelectorAll('figure img')).map(img => {
    const described = document.getElementById(img.getAttribute('aria-describedby'));
    return {
        id: img.id, alt: img.alt, src: img.src,
        caption: described && described.tagName === 'FIGCAPTION' ? described.textContent : null,
        tables: img.closest('figure').querySelectorAll('details table caption').length,
    };
})"""


def table_rows(page, selector: str) -> list[list[str]]:
    """Text of every body row's cells (th and td) of the table at ``selector``."""
    return page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))",
    )


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def svg_of(src: str) -> ET.Element:
    """The SVG root of a ``data:image/svg+xml;base64,`` image."""
    assert src.startswith("data:image/svg+xml;base64,")
    return ET.fromstring(base64.b64decode(src.split(",", 1)[1]))


def compact_value(text: str) -> float:
    """``"350k"`` -> 350000, ``"1.2M"`` -> 1200000 (the legend's numbers)."""
    scale = {"k": 1e3, "M": 1e6}.get(text[-1], 1)
    return float(text.rstrip("kM")) * scale


def check_svg_names(root: ET.Element, alt: str) -> None:
    """The root is ``role="img"`` named by its own non-empty ``<title>`` and ``<desc>``."""
    assert root.get("role") == "img"
    ids = root.get("aria-labelledby", "").split()
    named = {el.get("id"): el for el in root.iter() if el.get("id") in ids}
    assert [named[i].tag for i in ids] == [f"{SVG_NS}title", f"{SVG_NS}desc"]
    assert named[ids[0]].text == alt
    assert len(named[ids[1]].text) > 40


def check_map_alternative(page, figure: dict) -> None:
    """The map's table has each county's raw figure and the class it is drawn in."""
    raw = cumulative_by_label("2021-03-30", DAY, "FirstDoseCumulative")
    counties = {k: v for k, v in raw.items() if k not in ("", "Unknown")}
    rows = table_rows(page, f"#{figures.MAP_ID}-table")
    assert {r[0]: int(r[1].replace(",", "")) for r in rows} == counties
    for name, _value, colour_class in rows:
        if colour_class.endswith(" or more"):
            low, high = colour_class.removesuffix(" or more"), "inf"
        else:
            low, high = colour_class.split(" to under ")
        assert compact_value(low) <= counties[name] < compact_value(high), (name, colour_class)
    top, bottom = max(counties, key=counties.get), min(counties, key=counties.get)
    caption = figure["caption"]
    assert f"Highest: {top} ({counties[top]:,})" in caption
    assert f"lowest: {bottom} ({counties[bottom]:,})" in caption
    desc = svg_of(figure["src"]).find(f"{SVG_NS}desc").text
    assert desc == caption
    ranked = {r[1]: r[2] for r in table_rows(page, "#mdvax-ranking")}
    assert all(ranked[r[0]] == r[1] for r in rows)  # the same figures as "Counties ranked"
    map_svg = base64.b64decode(figure["src"].split(",", 1)[1]).decode()
    assert f'stroke="{figures.OUTLINE}"' in map_svg


def check_chart_alternative(page) -> None:
    """The chart's table: every 7th day back from the report's day, the state and Montgomery."""
    chart = {r[0]: r for r in table_rows(page, f"#{figures.TIMESERIES_ID}-table")}
    header = page.eval_on_selector_all(
        f"#{figures.TIMESERIES_ID}-table thead th", "cells => cells.map(c => c.textContent)"
    )
    assert header[:2] == ["Day", "Maryland"]
    assert "Montgomery" in header
    assert list(chart)[:3] == [DAY, "2021-03-09", "2021-03-02"]
    week = cumulative_by_label("2021-03-30", "2021-03-09", "FirstDoseCumulative")
    assert chart["2021-03-09"][1] == f"{sum(week.values()):,}"
    assert chart["2021-03-09"][header.index("Montgomery")] == f"{week['Montgomery']:,}"


def check_keyboard(page) -> None:
    """Tab stops: the way back to every report, the state totals, the map; Enter opens its table."""
    stops = []
    for _ in range(4):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED_JS))
    assert [s["name"] for s in stops] == [
        "All reports", "State totals", "Map of the counties", "The map as a table"
    ]  # fmt: skip
    assert [s["role"] for s in stops[1:3]] == ["region", "region"]
    focused = stops[-1]
    assert focused["table"] == f"{figures.MAP_ID}-table"
    assert focused["outline"] != "none"
    assert float(focused["width"].removesuffix("px")) >= 2
    page.keyboard.press("Enter")
    assert page.locator(f"#{figures.MAP_ID}-table").get_attribute("open") is not None


def reflows(page, width: int = 320) -> bool:
    """Whether the page fits ``width`` CSS pixels without scrolling sideways (WCAG 1.4.10)."""
    page.set_viewport_size({"width": width, "height": 800})
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_outline_stands_out_from_page_and_lightest_class():
    """1.4.11: county outlines reach 3:1 against white and every map class, lightest included;
    the chart's lines reach 3:1 against white and differ by dash, not only colour (1.4.1)."""
    for colours in PALETTES.values():
        lightest = "#" + "".join(f"{round(255 * c):02x}" for c in colours[0][:3])
        assert contrast(lightest, "#ffffff") < 3  # why the outline is needed
        assert contrast(figures.OUTLINE, lightest) >= 3
    assert contrast(figures.OUTLINE, "#ffffff") >= 3
    for colour, _dash in figures.LINES:
        assert contrast(colour, "#ffffff") >= 3  # the chart's county lines
    assert len({dash for _colour, dash in figures.LINES}) == len(figures.LINES)
    assert contrast(figures.OUTLINE, figures.NO_DATA) >= 3


def test_axe_finds_violations_on_a_bad_page(browser):
    """The harness can fail: a page without lang, alt text or contrast has violations."""
    require_axe()
    page = browser.new_page()
    page.set_content('<img src="x.png"><p style="color:#ddd;background:#fff">faint</p>')
    found = {v["id"] for v in run_axe(page)}
    page.close()
    assert {"html-has-lang", "image-alt", "color-contrast"} <= found


def test_report_and_index_meet_wcag_aa(filled_data_dir, tmp_path, browser):
    require_axe()
    out = tmp_path / "reports"
    assert main(["report", "--out", str(out), "--date", DAY, "--measure", "first_dose",
                 "--counts"]) == 0  # fmt: skip
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    attempts: list[str] = []
    context.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith("file:")
            else (attempts.append(r.request.url), r.abort())
        ),
    )
    page = context.new_page()

    for path in (out / DAY / site.REPORT_HTML, out / site.INDEX_HTML):
        page.goto(path.resolve().as_uri(), wait_until="load")
        violations = run_axe(page)
        assert violations == [], f"{path.name}:\n{describe(violations)}"
        marks = page.evaluate(LANDMARKS_JS)
        assert marks["lang"] == "en"
        assert (marks["main"], marks["header"], marks["footer"]) == (1, 1, 1)
        assert marks["nav"] == ["Reports"]
        levels = marks["headings"]
        assert levels[0] == 1
        assert levels.count(1) == 1
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
        assert reflows(page)
        narrow = run_axe(page)  # tables scroll in their own keyboard-reachable regions
        assert narrow == [], f"{path.name} at 320 px:\n{describe(narrow)}"
        page.set_viewport_size({"width": 1200, "height": 900})
    assert page.locator("table caption").inner_text() == "Every report, newest first"
    assert page.locator("nav a").get_attribute("href").endswith("report.html")

    page.goto((out / DAY / site.REPORT_HTML).resolve().as_uri(), wait_until="load")
    check_keyboard(page)
    shown = {f["id"]: f for f in page.evaluate(FIGURES_JS)}
    assert set(shown) == {figures.MAP_ID, figures.TIMESERIES_ID}
    for figure in shown.values():
        check_svg_names(svg_of(figure["src"]), figure["alt"])
        assert figure["caption"]
        assert figure["tables"] == 1

    check_map_alternative(page, shown[figures.MAP_ID])
    check_chart_alternative(page)
    assert re.fullmatch(r"Chart over time: .+", shown[figures.TIMESERIES_ID]["alt"])
    assert attempts == []
    context.close()
