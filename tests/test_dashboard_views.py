"""The views beyond the county map: ZIP ranking, third-dose curve, demographic shares, ``view=``.

Expected figures are computed here with plain Python from the fixture rows and the reference
file read with the csv module, not with the functions under test.
"""

from __future__ import annotations

import csv
import html
import io
import lzma
import math
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from mdvax.dashboard import doses, groups, views, zips
from mdvax.dashboard import state as st
from mdvax.dashboard.lines import nice_max
from mdvax.dashboard.map import CountyMap
from mdvax.datasets import COLUMNS
from mdvax.reference import zips as reference_zips

XZ = Path(__file__).resolve().parents[1] / "mdvax" / "reference" / "md_zips.csv.xz"


def _population_2010() -> dict[str, int]:
    text = lzma.decompress(XZ.read_bytes()).decode("utf-8")
    rows = csv.DictReader(io.StringIO(text.split("\n", 1)[1]))
    return {r["zip"]: int(r["population_2010"]) for r in rows if r["population_2010"]}


# --- fixtures -------------------------------------------------------------------------------

ZIP_ROWS = [  # zip, first, second, single (at_least_one = first + single, fully = second + single)
    ("20850", 30_111, 25_002, 1_203),
    ("21620", 2_345, 2_001, 190),
    ("20610", 40, 31, 2),  # a ZIP without a population (a PO box, not a ZCTA)
    ("20588", 9, 8, 1),  # a Maryland ZIP outside the range the state's file uses for Maryland
    ("21205", 9_876, 8_000, 555),
    ("19901", 777, 700, 7),  # Delaware: not Maryland's range
    ("unassigned", 1_500, 1_200, 80),
]


def zip_table() -> pd.DataFrame:
    rows = [(z, f, s, j, f + j, s + j) for z, f, s, j in ZIP_ROWS]
    return pd.DataFrame(rows, columns=list(COLUMNS["zip"]))


def county_table() -> pd.DataFrame:
    days = pd.date_range("2021-09-13", periods=6)
    rows = []
    for name, scale in (("Kent", 1), ("Howard", 3), ("Unassigned", 0)):
        for i, day in enumerate(days):
            rows.append((day, name, 10 * scale + i, 5 * scale + 2 * i, scale + (i == 2)))
    cols = ["date", "county", "first_dose_daily", "second_dose_daily", "single_dose_daily"]
    return pd.DataFrame(rows, columns=cols)


def third_table() -> pd.DataFrame:
    days = pd.date_range("2021-09-14", periods=5)
    daily = [0, 40, 7, 0, 13]
    cum = pd.Series(daily).cumsum()
    return pd.DataFrame(
        {"date": days, "third_dose": cum, "third_dose_daily": daily, "third_dose_7day": cum // 7}
    )


DEMO = {  # (day, group) -> first_dose (cumulative); others derived
    ("2021-05-01", "Female"): 100,
    ("2021-05-01", "Male"): 60,
    ("2021-05-01", "Unknown"): 30,
    ("2021-05-01", "Federal entities"): 10,
    ("2021-05-02", "Female"): 150,
    ("2021-05-02", "Male"): 90,
    ("2021-05-02", "Unknown"): 45,
    ("2021-05-02", "Federal entities"): 15,
}


def demo_table() -> pd.DataFrame:
    rows = [(pd.Timestamp(d), g, v, v // 2, 1, v + 1, v // 2 + 1) for (d, g), v in DEMO.items()]
    return pd.DataFrame(rows, columns=list(COLUMNS["gender"]))


# --- ZIP ------------------------------------------------------------------------------------


def test_zip_ranking_by_percent_of_2010_population():
    pop = _population_2010()
    rank = zips.ranking(zip_table(), reference_zips(), "fully_vaccinated")
    maryland = [r for r in ZIP_ROWS if "20600" <= r[0] <= "21999"]
    state_total = sum(s + j for z, _, s, j in maryland) + 1_200 + 80
    pct = {z: 100 * (s + j) / pop[z] for z, _, s, j in maryland if z in pop}
    expected_order = sorted(pct, key=lambda z: -pct[z]) + [z for z, *_ in maryland if z not in pop]
    assert list(rank.index) == expected_order
    assert list(rank["rank"]) == list(range(1, len(maryland) + 1))
    assert rank.loc["21620", "value"] == 2_001 + 190
    assert rank.loc["21620", "pct"] == pytest.approx(pct["21620"])
    assert rank.loc["21205", "share"] == pytest.approx(100 * (8_000 + 555) / state_total)
    assert pd.isna(rank.loc["20610", "pct"])
    assert zips.unassigned(zip_table(), "fully_vaccinated") == 1_200 + 80


def test_zip_ranking_by_count():
    rank = zips.ranking(zip_table(), reference_zips(), "first_dose", per_capita=False)
    assert list(rank.index) == ["20850", "21205", "21620", "20610"]


def test_zip_points_and_html():
    ref = reference_zips()
    rank = zips.ranking(zip_table(), ref, "at_least_one")
    geo = zips.points(rank, ref)
    by_zip = {f["id"]: f for f in geo["features"]}
    assert by_zip["20850"]["geometry"]["coordinates"] == [
        ref.loc["20850", "lng"],
        ref.loc["20850", "lat"],
    ]
    assert by_zip["20610"]["properties"]["style"]["fillColor"] == zips.NO_POPULATION
    html = zips.zip_html(rank, zips.unassigned(zip_table(), "at_least_one"), "at_least_one", None)
    assert "2010 Census" in html
    assert f"{1_500 + 80:,} were recorded without a ZIP code" in html
    assert html.count('<tr><th scope="row">') == 4


@pytest.mark.parametrize(
    ("pct", "index"), [(0.0, 0), (39.9, 0), (40.0, 1), (79.9, 2), (80.0, 3), (99.99, 3), (250.0, 4)]
)
def test_point_colour_classes(pct, index):
    assert zips.point_colour(pct) == zips.POINT_COLOURS[index]


def test_legend_names_every_class_and_the_grey():
    colours = [colour for colour, _ in zips.legend()]
    assert all(re.fullmatch("#[0-9a-f]{6}", c) for c in colours), colours
    assert len(set(colours)) == 6
    texts = [text for _, text in zips.legend()]
    assert texts == [
        "under 40%", "40% to 60%", "60% to 80%", "80% to 100%", "100% or more",
        "no 2010 population",
    ]  # fmt: skip


# --- third doses ----------------------------------------------------------------------------


def test_third_dose_curve_share_from_the_county_daily_sums():
    county, third = county_table(), third_table()
    frame = doses.curve(third, county)
    other = {}
    for row in county.itertuples():
        total = row.first_dose_daily + row.second_dose_daily + row.single_dose_daily
        other[row.date] = other.get(row.date, 0) + total
    day = pd.Timestamp("2021-09-16")  # third daily 7
    assert frame.loc[day, "other_daily"] == other[day]
    assert frame.loc[day, "share"] == pytest.approx(100 * 7 / (7 + other[day]))
    window = pd.date_range("2021-09-14", "2021-09-18")
    third_daily = dict(zip(third["date"], third["third_dose_daily"], strict=True))
    t = sum(third_daily[d] for d in window)
    expected = 100 * t / (t + sum(other[d] for d in window))
    assert frame.loc[pd.Timestamp("2021-09-18"), "share_7day"] == pytest.approx(expected)


def test_third_dose_html_names_the_first_day_and_total():
    html = doses.third_dose_html(doses.curve(third_table(), county_table()), date(2021, 9, 19))
    assert "60 third and booster doses by 18 Sep 2021" in html
    assert "first recorded on 15 Sep 2021" in html
    assert html.count('role="img"') == 3


# --- demographics ---------------------------------------------------------------------------


def test_group_shares_keep_unknown_apart():
    share = groups.shares(demo_table(), "first_dose")
    day2 = {g: v for (d, g), v in DEMO.items() if d == "2021-05-02"}
    total = sum(day2.values())
    row = share.loc[pd.Timestamp("2021-05-02")]
    assert list(share.columns) == ["Female", "Male", groups.UNKNOWN]
    assert row["Male"] == pytest.approx(100 * day2["Male"] / total)
    unknown = day2["Unknown"] + day2["Federal entities"]
    assert row[groups.UNKNOWN] == pytest.approx(100 * unknown / total)
    assert row.sum() == pytest.approx(100)


def test_groups_html_shows_the_unknown_share():
    html = groups.groups_html("gender", demo_table(), "first_dose", None)
    assert "Unknown (incl. federal entities)" in html
    assert "20.0%" in html  # (45 + 15) / 300
    assert "There is no breakdown by county." in html


# --- the view parameter ---------------------------------------------------------------------


def test_view_round_trips_through_the_link():
    state, notes = st.resolve(
        {}, "view=third_dose&measure=first_dose", date(2021, 1, 1), date(2021, 3, 1)
    )
    assert notes == []
    assert state.view == "third_dose"
    assert "view=third_dose" in st.to_query(state)
    again, _ = st.resolve({}, st.to_query(state), date(2021, 1, 1), date(2021, 3, 1))
    assert again == state


def test_county_view_links_do_not_change():
    state, _ = st.resolve({}, "", date(2021, 1, 1), date(2021, 3, 1))
    assert "view" not in st.to_query(state)


@pytest.mark.parametrize("bad", ["zips", "<script>", "county;drop", "x" * 300])
def test_bad_view_falls_back_with_a_note(bad):
    from urllib.parse import urlencode

    state, notes = st.resolve({}, urlencode({"view": bad}), date(2021, 1, 1), date(2021, 3, 1))
    assert state.view == "county"
    assert len(notes) == 1
    assert "is not one of county, zip" in notes[0]


# --- the widget with a loader of frames -----------------------------------------------------


def test_dataset_views_show_zip_points_and_hide_for_the_map():
    asked = []

    def loader(name, as_of):
        asked.append((name, as_of))
        return {"zip": zip_table(), "gender": demo_table()}[name]

    box = views.DatasetViews(loader)
    assert box.zipmap is None  # no map until the ZIP view is shown
    box.show("zip", date(2021, 6, 1), county_table(), "at_least_one")
    assert {f["id"] for f in box.zipmap.points.data["features"]} == {
        "20850",
        "21620",
        "20610",
        "21205",
    }
    assert box.mapbox.layout.display is None
    box.show("gender", date(2021, 6, 1), county_table(), "first_dose")
    assert box.mapbox.layout.display == "none"
    assert "By gender" in box.body.value
    box.show("zip", date(2021, 6, 1), county_table(), "first_dose")
    assert asked == [("zip", date(2021, 6, 1)), ("gender", date(2021, 6, 1))]  # read once
    box.show("county", None, county_table(), "first_dose")
    assert box.widget.layout.display == "none"


def mercator_span(zoom: float) -> tuple[float, float]:
    """Maryland's width and height in pixels at ``zoom`` (its extent written out here again)."""
    (south, west), (north, east) = (37.89, -79.49), (39.73, -75.04)

    def y(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    world = 256 * 2**zoom
    return world * (east - west) / 360, world * (y(north) - y(south)) / (2 * math.pi)


@pytest.mark.parametrize("which", ["county", "zip"])
def test_maps_fit_maryland_once_the_browser_reports_a_real_size(which):
    geometry = {"type": "FeatureCollection", "features": [{"id": "24031", "properties": {}}]}
    leaflet = views.ZipMap().map if which == "zip" else CountyMap(geometry, print, str).map
    leaflet.set_trait("pixel_bounds", ((3, 4), (9, 8)))  # not laid out yet: no zoom
    assert leaflet.zoom == 7
    leaflet.set_trait("pixel_bounds", ((100, 40), (780, 450)))  # 680 x 410 px
    fitted = leaflet.zoom
    width, height = mercator_span(fitted)
    assert width <= 680 - 24  # 12 px of margin on each side
    assert height <= 410 - 24
    width, height = mercator_span(fitted + 0.25)
    assert width > 680 - 24 or height > 410 - 24  # the next quarter step would not fit
    leaflet.set_trait("pixel_bounds", ((0, 0), (1900, 1200)))  # later resizes: the visitor's zoom
    assert leaflet.zoom == fitted


def test_dataset_views_say_when_a_dataset_is_missing():
    def loader(name, as_of):
        raise views.DatasetUnavailableError(f"no {name}")

    box = views.DatasetViews(loader)
    box.show("race", None, county_table(), "first_dose")
    assert views.UNAVAILABLE in html.unescape(box.body.value)
    assert box.mapbox.layout.display == "none"


def test_dataset_views_say_when_nothing_is_archived(tmp_path, monkeypatch):
    """The real loader on an empty data folder."""
    monkeypatch.setenv("MDVAX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MDVAX_EMBEDDED_SNAPSHOT", "on")
    box = views.DatasetViews()
    box.show("zip", date(2021, 3, 17), county_table(), "at_least_one")
    text = html.unescape(box.body.value)
    assert views.UNAVAILABLE in text


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1.0), (7, 8.0), (93.0, 100.0), (100, 100), (2_190_663, 2_400_000)]
)
def test_nice_max(value, top):
    assert nice_max(value) == top


@pytest.mark.parametrize(("view", "noted"), [("race", False), ("county", True)])
def test_as_of_the_county_table_lacks_is_noted_on_the_map_only(filled_data_dir, view, noted):
    from mdvax.dashboard import build_app

    app = build_app({}, query=f"view={view}&as_of=2021-11-09")
    state = app.dashboard.state
    assert (state.view, state.asked_as_of) == (view, date(2021, 11, 9))
    assert ("Ignored as_of 2021-11-09" in app.dashboard.notes.value) is noted
