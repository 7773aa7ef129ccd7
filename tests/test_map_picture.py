"""One map picture (issue 19): the live map, the still picture and the report colour a view alike.

Each rendering is built for real from one cache filled by the real pipeline, and its colours
are read from what it outputs: the live map's colour stylesheet applied to its ipyleaflet layer's
county classes and its legend widget, the still picture's HTML, the report's map figure. The
expected colours come from the raw CSV read with the csv module (:mod:`tests.support.raw_views`):
the classes span 0 to the highest county figure on any day.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pandas as pd
import pytest

from mdvax import format as fmt
from mdvax.dashboard import build_app
from mdvax.dashboard.app import load_data
from mdvax.measures import label
from mdvax.normalize.counties import JURISDICTIONS
from mdvax.render import NO_DATA, Classes, MapView, map_picture
from mdvax.report import sections
from mdvax.report.inputs import gather
from mdvax.serve.static_view import StaticViews
from tests.support.raw_views import raw_view
from tests.support.source_server import SourceServer

RAW_DAY = "2021-03-30"
#: (day, measure, daily, per_capita): past days (neither the first nor the last), counts and
#: shares, cumulative and daily.
VIEWS = [
    (date(2021, 2, 15), "at_least_one", False, True),
    (date(2021, 3, 9), "fully_vaccinated", False, False),
    (date(2021, 3, 2), "first_dose", True, False),
    (date(2021, 3, 17), "first_dose", True, True),
]
DEFAULTS = {"date": None, "measure": "at_least_one", "per_capita": True, "county": None}
SVG_PATH = re.compile(r'<path data-fips="(\d{5})" class="mdvax-c\d{5}" fill="(#[0-9a-f]{6})"')
SVG_LEGEND = re.compile(r'<rect [^>]*fill="(#[0-9a-f]{6})"[^>]*/><text [^>]*>([^<]*)</text>')
SVG_LEGEND_TITLE = re.compile(r'<g class="mdvax-svg-legend"[^>]*><text [^>]*>([^<]*)</text>')


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A cache filled by a real update from the 2021-03-30 snapshot on a loopback server."""
    from mdvax.pipeline import update

    root = tmp_path_factory.mktemp("picture")
    with SourceServer(RAW_DAY) as server, pytest.MonkeyPatch.context() as patch:
        for name, value in server.environment(root / "data").items():
            patch.setenv(name, value)
        update(source="maryland-csv")
        yield root / "data"


def query(day: date, measure: str, daily: bool, per_capita: bool) -> str:
    return f"date={day}&measure={measure}&daily={int(daily)}&per_capita={int(per_capita)}"


def live_map(view: tuple) -> tuple[dict, list, str]:
    """Fills (FIPS -> colour), legend [(colour, text)] and legend title of the live map."""
    d = build_app(DEFAULTS, query=query(*view)).dashboard
    assert (d.state.date, d.state.measure, d.state.daily, d.state.per_capita) == view
    rules = dict(re.findall(r"\.(mdvax-c\d{5})\{fill:(#[0-9a-f]{6})\}", d.map.colours.value))
    # The stylesheet colours the layer's paths through the class each feature carries.
    fills = {
        str(f["id"]): rules[f["properties"]["style"]["className"]]
        for f in d.map.layer.data["features"]
    }
    legend = d.map.legend.value
    colours = re.findall(r'<i style="background:(#[0-9a-f]{6})"></i>', legend)
    names = re.search(r"Colour classes, light to dark: (.*)\.</p>", legend).group(1).split(", ")
    title = re.search(r'<div class="mdvax-legend-title">([^<]*)</div>', legend).group(1)
    return fills, list(zip(colours, map(unescape, names), strict=True)), unescape(title)


def svg_picture(svg: str) -> tuple[dict, list, str]:
    """Fills, legend and legend title of an SVG drawn by :func:`mdvax.render.choropleth_svg`."""
    fills = dict(SVG_PATH.findall(svg))
    legend = [(colour, unescape(text)) for colour, text in SVG_LEGEND.findall(svg)]
    return fills, legend, unescape(SVG_LEGEND_TITLE.search(svg).group(1))


def expected(view: tuple) -> tuple[dict, list]:
    """Fills and legend from the raw CSV: classes from 0 to the highest figure on any day."""
    day, measure, daily, per_capita = view
    raw = raw_view(RAW_DAY, day, measure, daily=daily, per_capita=per_capita)
    classes = Classes.for_range(raw.vmax)
    key = "pct" if per_capita else "value"
    fills = {JURISDICTIONS[name]: classes.colour(c[key]) for name, c in raw.counties.items()}
    names = classes.names(fmt.compact(per_capita))
    return fills, list(zip(classes.colours, names, strict=True))


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: "-".join(map(str, v)))
def test_the_same_view_has_the_same_classes_and_colours_everywhere(data_dir, view):
    day, measure, daily, per_capita = view
    fills, legend = expected(view)
    assert len(fills) == 24
    assert len(set(fills.values())) >= 2  # a picture, not one colour
    title = label(measure, daily, per_capita)
    assert live_map(view) == (fills, legend, title)

    still = StaticViews(loader=load_data).html(query(*view))
    assert f"{title} on {fmt.day(day)}" in still
    assert svg_picture(still) == (fills, legend, title)

    if daily:
        return  # the report has no daily measures (its parameters are cumulative ones)
    report = sections.choropleth(gather(day.isoformat(), data_dir, measure, per_capita))
    assert f"{title} on {day.isoformat()}" in report.data
    assert svg_picture(report.data) == (fills, legend, title)
    by_name = {row[0]: row[2] for row in report.metadata["table"]["rows"]}
    names = dict(legend)
    assert by_name == {name: names[fills[fips]] for name, fips in JURISDICTIONS.items()}


def test_picture_scales_to_the_highest_figure_of_any_day_and_greys_a_missing_one():
    names = list(JURISDICTIONS)
    figures = pd.DataFrame(
        [
            [float(i) for i in range(24)],
            [20.0 * i for i in range(24)],  # the view's day: 0, 20, ..., 460
            [470.0 if i == 5 else float("nan") for i in range(24)],  # the top, on a later day
        ],
        index=pd.date_range("2021-02-01", periods=3),
        columns=names,
    )
    figures.iloc[1, 7] = float("nan")  # no figure for one county on the view's day
    picture = map_picture(figures, MapView(date(2021, 2, 2), "first_dose", daily=True))
    assert picture.title == "First doses (daily)"
    assert picture.top == 470.0
    assert picture.classes.step == 100  # 470 / 9 rounded up to a round width
    assert picture.names == ("0 to under 100", "100 to under 200", "200 to under 300",
                             "300 to under 400", "400 or more")  # fmt: skip
    assert picture.bounds == ("0", "100", "200", "300", "400")
    for i, name in enumerate(names):
        fips = JURISDICTIONS[name]
        if i == 7:
            assert picture.fills[fips] == NO_DATA
            assert picture.class_name(fips) == "no data"
        else:
            assert picture.fills[fips] == picture.classes.colours[min(20 * i // 100, 4)]
            assert picture.class_name(fips) == picture.names[min(20 * i // 100, 4)]
    assert picture.legend == list(zip(picture.classes.colours, picture.names, strict=True))
