"""The dashboard's widgets and figures on real data (a cache filled by the real pipeline).

Expected figures are computed here straight from the raw CSV snapshot, not through mdvax.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mdvax.dashboard import build_app
from mdvax.dashboard.map import Classes
from mdvax.dashboard.model import DashboardData
from mdvax.dashboard.state import ViewState
from mdvax.normalize.counties import JURISDICTIONS
from tests.support.raw_figures import cumulative_by_label, raw_population
from tests.support.source_server import snapshot_path

RAW_DAY = "2021-03-30"
RAW = snapshot_path(RAW_DAY)
NOW = datetime(2021, 4, 1, tzinfo=UTC)
#: The notebook's parameters cell.
DEFAULTS = {"date": None, "measure": "at_least_one", "per_capita": True, "county": None}


def raw_at_least_one(day: str) -> dict[str, int]:
    """Source label (stripped; '' = blank) -> first + single cumulative doses on ``day``.

    A label without a row that day keeps its last earlier cumulative figure.
    """
    first = cumulative_by_label(RAW_DAY, day, "FirstDoseCumulative")
    single = cumulative_by_label(RAW_DAY, day, "SingleDoseCumulative")
    return {label: first[label] + single[label] for label in first}


@pytest.fixture
def app(filled_data_dir):
    """The page opened by a link that asks for counts (the page opens on shares otherwise)."""
    return build_app(DEFAULTS, query="per_capita=0")


def test_opens_on_the_last_day_with_state_totals_including_unassigned(app):
    d = app.dashboard
    assert d.state == ViewState(date(2021, 3, 30), per_capita=False)
    d.change({"measure": "first_dose"})
    # README figures: the 24 counties hold 1,637,517 first doses, blank + Unknown 82,839.
    assert '<span class="mdvax-big">1,720,356</span> first doses in Maryland on 30 Mar 2021' in (
        d.headline.value
    )
    assert "including 82,839 not yet assigned to a county" in d.headline.value
    assert "<td>82,839</td>" in d.panel.value
    assert "Data as of 30 Mar 2021" in d.provenance.value
    assert "The source stopped updating on 30 Mar 2021" in d.provenance.value


def test_clicking_montgomery_shows_its_figures_and_clicking_again_closes(app):
    d = app.dashboard
    d.click("24031")
    today, week_ago = raw_at_least_one("2021-03-30"), raw_at_least_one("2021-03-23")
    counties = {k: v for k, v in today.items() if k not in ("", "Unknown")}
    value = today["Montgomery"]
    assert value == 332_973
    rank = 1 + sum(v > value for v in counties.values())
    pct = 100 * value / raw_population("Montgomery")
    html = d.panel.value
    assert 'data-fips="24031"' in html
    assert "<h3>Montgomery, 30 Mar 2021</h3>" in html
    assert f"<td>{value:,}</td>" in html
    assert f"<td>{pct:.1f}%</td>" in html
    assert f"<td>{rank} of 24</td>" in html
    assert f"<td>+{value - week_ago['Montgomery']:,}</td>" in html
    assert '<svg class="mdvax-chart"' in d.chart.value
    assert '<line x1="330.0"' in d.marker.value  # the last day, at the right edge
    assert d.back.layout.display is None
    assert d.map.selected == "24031"  # outlined
    assert ".mdvax-c24031{stroke:#c2185b;stroke-width:3.5px}" in d.map.colours.value
    d.click("24031")
    assert d.state.county is None
    assert 'data-view="state"' in d.panel.value
    assert d.back.layout.display == "none"
    assert d.map.selected is None
    assert "stroke" not in d.map.colours.value


def test_per_capita_toggle_changes_legend_colours_rank_and_hover(app):
    d = app.dashboard
    d.click("24031")
    counts_fill = d.map.fills["24031"]
    d.controls.per_capita.value = True  # as a visitor would
    assert d.state.per_capita
    assert "At least one dose (% of population)" in d.map.legend.value
    assert "%</span>" in d.map.legend.value
    today = raw_at_least_one("2021-03-30")
    shares = {k: v / raw_population(k) for k, v in today.items() if k not in ("", "Unknown")}
    rank = 1 + sum(s > shares["Montgomery"] for s in shares.values())
    assert f"<td>{rank} of 24</td>" in d.panel.value
    assert "Rank among 24 (by % of population)" in d.panel.value
    classes = Classes.for_range(d.view.vmax)
    assert d.map.fills["24031"] == classes.colour(100 * shares["Montgomery"])
    assert d.map.fills["24031"] != counts_fill or classes.step < 1
    assert f".mdvax-c24031{{fill:{d.map.fills['24031']}}}" in d.map.colours.value
    assert d.describe("24031") == "Montgomery: 332,973 (31.7% of population)"


def test_moving_the_date_restyles_only_changed_counties_and_updates_figures(app):
    d = app.dashboard
    before = dict(d.map.fills)
    css, layer_style = d.map.colours.value, dict(d.map.layer.style)
    d.controls.slider.value = date(2021, 1, 15)
    assert d.state.date == date(2021, 1, 15)
    after = d.map.fills
    assert after != before
    assert d.map.colours.value != css
    assert d.map.layer.style == layer_style  # the shapes' layer is not touched
    classes = Classes.for_range(d.view.vmax)
    counties = {k: v for k, v in raw_at_least_one("2021-01-15").items() if k in JURISDICTIONS}
    assert len(counties) == 24
    for name, value in counties.items():
        fips = JURISDICTIONS[name]
        assert after[fips] == classes.colour(value)
        assert f".mdvax-c{fips}{{fill:{classes.colour(value)}}}" in d.map.colours.value
    expected = raw_at_least_one("2021-01-15")
    state_total = sum(expected.values())
    assert f'<span class="mdvax-big">{state_total:,}</span>' in d.headline.value
    assert d.map.restyle(dict(after), None) == 0  # nothing changed: nothing sent
    assert d.map.restyle(dict(after), "24031") == 1
    assert d.map.restyle({**after, "24001": "#000000"}, None) == 2


def test_measure_and_daily_switch_recompute_the_colour_range(app):
    d = app.dashboard
    cumulative_max = d.view.vmax
    d.controls.daily.value = True
    assert d.view.vmax < cumulative_max / 10
    assert "At least one dose (daily)" in d.map.legend.value
    d.controls.measure.value = "fully_vaccinated"
    assert d.state == ViewState(date(2021, 3, 30), "fully_vaccinated", daily=True, per_capita=False)


def test_reset_returns_to_the_opening_view(filled_data_dir):
    app = build_app(DEFAULTS, query="measure=second_dose&date=2021-02-01")
    d = app.dashboard
    d.controls.measure.value = "first_dose"
    d.controls.per_capita.value = False
    d.controls.slider.value = date(2021, 3, 1)
    d.click("24510")
    d.reset()
    assert d.state == ViewState(date(2021, 2, 1), "second_dose", per_capita=True)
    assert d.controls.measure.value == "second_dose"
    assert d.controls.per_capita.value is True
    assert d.controls.slider.value == date(2021, 2, 1)
    assert d.controls.play.value == d.controls.slider.index  # ▶ goes on from the reset day


def test_deep_link_opens_the_view_and_the_link_field_follows_controls(filled_data_dir):
    query = "date=2021-03-30&measure=fully_vaccinated&per_capita=1&county=24031"
    app = build_app(DEFAULTS, query=query, page_url="http://127.0.0.1:8866/")
    d = app.dashboard
    assert d.state == ViewState(date(2021, 3, 30), "fully_vaccinated", False, True, "24031")
    assert d.controls.per_capita.value is True
    fully = 166_054 + 13_277  # Montgomery second + single cumulative, raw CSV 2021-03-30
    assert f"<td>{fully:,}</td>" in d.panel.value
    assert 'value="http://127.0.0.1:8866/?date=2021-03-30&amp;measure=fully_vaccinated' in (
        d.share.value
    )
    d.controls.slider.value = date(2021, 3, 1)
    assert "date=2021-03-01" in d.share.value


def test_hostile_query_is_escaped_and_ignored(filled_data_dir):
    app = build_app(DEFAULTS, query="measure=%3Cscript%3Ealert(1)%3C%2Fscript%3E&county=%22%3E")
    d = app.dashboard
    assert d.state == ViewState(date(2021, 3, 30))  # the notebook's defaults
    assert "<script" not in d.notes.value
    assert "&lt;script&gt;" in d.notes.value


def test_download_is_the_current_view_as_csv(app):
    d = app.dashboard
    name, text = download(d)
    assert name == "mdvax_2021-03-30_at_least_one.csv"
    lines = text.splitlines()
    assert lines[0] == "date,measure,county,fips,value,pct,rank,change_7d"
    montgomery = next(line for line in lines if ",Montgomery," in line).split(",")
    assert montgomery[4] == "332973"
    assert lines[-1].startswith("2021-03-30,at_least_one,Maryland,,")
    assert len(lines) == 1 + 24 + 2
    d.controls.slider.value = date(2021, 3, 29)  # the link follows the view at once
    name, text = download(d)
    assert name == "mdvax_2021-03-29_at_least_one.csv"
    assert text.splitlines()[1].startswith("2021-03-29,at_least_one,")
    d.controls.per_capita.value = True
    assert download(d)[0] == "mdvax_2021-03-29_at_least_one_pct.csv"


def download(d) -> tuple[str, str]:
    """File name and text of the "Download CSV" link (a ``data:`` URL in the share widget)."""
    from html import unescape
    from urllib.parse import unquote

    anchor = d.share.value.split('<a class="mdvax-download"', 1)[1]
    name = unescape(anchor.split('download="', 1)[1].split('"', 1)[0])
    href = unescape(anchor.split('href="', 1)[1].split('"', 1)[0])
    prefix = "data:text/csv;charset=utf-8,"
    assert href.startswith(prefix)
    return name, unquote(href.removeprefix(prefix))


def test_widget_tree_has_the_map_with_24_counties(app):
    d = app.dashboard
    features = d.map.layer.data["features"]
    assert [f["properties"]["style"]["className"] for f in features] == [
        f"mdvax-c{fips}" for fips in sorted(JURISDICTIONS.values())
    ]
    assert d.map.map.layers == (d.map.layer,)  # one layer, no basemap tile layer
    assert d.map.colours in d.widget().children  # the colours reach the page
    assert app.widget.children[0] is not None


def test_data_is_loaded_once_per_session(filled_data_dir):
    data = DashboardData.load()
    assert (data.first_date, data.last_date) == (date(2020, 12, 14), date(2021, 3, 30))
    assert len(data.dates()) == 107
    assert data.matrix("at_least_one", False, False) is data.matrix("at_least_one", False, False)


def test_empty_state_fetches_from_the_source(data_env, monkeypatch):
    monkeypatch.setenv("MDVAX_EMBEDDED_SNAPSHOT", "off")  # else the packaged snapshot shows
    app = build_app(DEFAULTS, query="county=Howard")
    assert app.dashboard is None
    assert "fetching" in app.empty.status.value
    app.empty.thread.join(60)
    assert app.dashboard is not None
    assert app.dashboard.state.county == "24027"


def test_empty_state_offers_upload_when_the_source_is_unreachable(data_env, monkeypatch):
    monkeypatch.setenv("MDVAX_MARYLAND_CSV_URL", "http://127.0.0.1:9/none.csv")
    monkeypatch.setenv("MDVAX_MARYLAND_API_URL", "http://127.0.0.1:9/query")
    monkeypatch.setenv("MDVAX_MARYLAND_GITHUB_URL", "http://127.0.0.1:9/county.csv")
    monkeypatch.setenv("MDVAX_EMBEDDED_SNAPSHOT", "off")  # else the packaged snapshot shows
    app = build_app(DEFAULTS)
    app.empty.thread.join(60)
    assert app.dashboard is None
    assert "could not be fetched" in app.empty.status.value
    assert app.empty.upload.layout.display is None
    assert not Path(data_env.current_table_path).exists()
    bad = b"<html><body>maintenance</body></html>"
    app.empty.upload.value = (
        {
            "name": "x<b>.csv",
            "type": "text/csv",
            "size": len(bad),
            "content": memoryview(bad),
            "last_modified": NOW,
        },
    )
    assert "HTML/XML page" in app.empty.status.value
    assert "x&lt;b&gt;.csv" in app.empty.status.value
    good = RAW.read_bytes()
    app.empty.upload.value = (
        {
            "name": RAW.name,
            "type": "text/csv",
            "size": len(good),
            "content": memoryview(good),
            "last_modified": NOW,
        },
    )
    d = app.dashboard
    assert d is not None
    assert d.state.date == date(2021, 3, 30)
    assert "your uploaded file md_vax_county_2021-03-30.csv" in d.provenance.value
    assert not Path(data_env.current_table_path).exists()  # never written to the shared cache


def test_oversized_upload_is_refused(data_env):
    from mdvax.dashboard.upload import MAX_UPLOAD_BYTES, read_upload
    from mdvax.errors import MdvaxError

    limit = f"the limit is {MAX_UPLOAD_BYTES // 2**20} MB"  # mdvax.config (4 MB since issue 15)
    with pytest.raises(MdvaxError, match=limit):
        read_upload(b"a" * (MAX_UPLOAD_BYTES + 1), "big.csv")


def test_empty_state_waits_for_an_update_already_running(data_env, tmp_path, monkeypatch):
    """A visitor arriving during another process's update gets that update's data."""
    monkeypatch.setenv("MDVAX_EMBEDDED_SNAPSHOT", "off")  # else the packaged snapshot shows
    import dataclasses
    import shutil
    import time

    from mdvax.cache import Cache
    from mdvax.pipeline import update

    elsewhere = dataclasses.replace(data_env, data_dir=tmp_path / "elsewhere")
    update(source="maryland-csv", settings=elsewhere)
    with Cache(data_env).lock():  # "another update" holds the lock
        app = build_app(DEFAULTS)
        time.sleep(1.0)  # our visitor's own update has failed on the lock and is waiting
        assert app.dashboard is None
        assert app.empty.thread.is_alive()
        for name in ("current.arrow", "current.json"):  # the other update stores its table
            shutil.copy(elsewhere.data_dir / name, data_env.data_dir / name)
    app.empty.thread.join(60)
    assert app.dashboard is not None
    assert app.dashboard.state.date == date(2021, 3, 30)
