"""Time travel in the dashboard: the "As published on" control, ``as_of`` links and the
"How this figure was revised" panel, on vintages imported from a real git repository.

The state's repository is rebuilt from the committed fast-export stream and a window of its
history (2021-04-08 to 2021-04-24) imported by the real code into a SQLite archive; the newest
vintage is the embedded 2022-03-07 snapshot. Every expected figure is read from the commit's
own file (``git show COMMIT:PATH``) with the csv module.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
import subprocess
import sys
from datetime import date
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from mdvax.dashboard import build_app, load_data
from mdvax.notebooks import notebook_path
from tests.support.state_repo import build_state_repo, file_at, git, raw_cumulative

#: Every test reads an archive `mdvax history import` filled from the whole history.
pytestmark = pytest.mark.slow

SINCE, UNTIL = "2021-04-08", "2021-04-24"
#: A day with no commit: ``as_of`` then names the vintage of the day before.
NO_COMMIT, ITS_VINTAGE = "2021-04-11", "2021-04-10"
OTHER = "2021-04-15"
DAY = "2021-04-05"
FIRST = "FirstDoseCumulative"
#: ipywidgets writes option labels with non-breaking spaces.
NBSP = "\xa0"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return build_state_repo(tmp_path_factory.mktemp("state") / "VaccineCSVs")


@pytest.fixture(scope="module")
def history_env(tmp_path_factory, repo):
    """Environment of a data folder whose archive holds the imported window (no cache)."""
    data = tmp_path_factory.mktemp("vintages") / "data"
    env = {"MDVAX_DATA_DIR": str(data), "MDVAX_EMBEDDED_SNAPSHOT": "on"}
    command = [sys.executable, "-m", "mdvax", "history", "import", "--repo", str(repo)]
    command += ["--since", SINCE, "--until", UNTIL, "--quiet"]
    subprocess.run(command, env={**os.environ, **env}, check=True, capture_output=True)
    return env


@pytest.fixture
def data(history_env, monkeypatch):
    for name, value in history_env.items():
        monkeypatch.setenv(name, value)
    return load_data()


def commits(repo) -> dict[str, str]:
    """Publication day (America/New_York) -> the day's last commit, from git itself."""
    out = git(repo, "log", "--reverse", "--format=%H %cd", "--date=format-local:%Y-%m-%d",
              env={"TZ": "America/New_York"})  # fmt: skip
    return dict(reversed(line.split()) for line in out.decode().splitlines())


def raw_value(repo, published: str, day: str, label: str = "Montgomery") -> int:
    """A county's first doses on ``day`` in the file committed on ``published``."""
    return raw_cumulative(file_at(repo, commits(repo)[published]), day, FIRST)[label]


def raw_state(repo, published: str, day: str) -> int:
    """Maryland's first doses on ``day`` (every label, unassigned included) in that file."""
    return sum(raw_cumulative(file_at(repo, commits(repo)[published]), day, FIRST).values())


def open_view(query: str):
    return build_app(query=query).dashboard


def test_as_of_link_opens_the_vintage_it_names(data, repo):
    shown = raw_value(repo, ITS_VINTAGE, DAY)
    assert shown != raw_value(repo, OTHER, DAY)  # the figure differs between the two vintages
    view = "&date=" + DAY + "&county=Montgomery&measure=first_dose&per_capita=0"
    d = open_view("as_of=" + NO_COMMIT + view)
    assert d.state.as_of == date.fromisoformat(ITS_VINTAGE)
    assert d.notes.value == ""
    assert f"<tr><th>Total</th><td>{shown:,}</td></tr>" in d.panel.value
    assert d.controls.as_of.value == date.fromisoformat(ITS_VINTAGE)
    # The link, the CSV and its file name name the vintage.
    field = html.unescape(d.share.value.split('value="', 1)[1].split('"', 1)[0])
    link = parse_qs(urlsplit(field).query)
    assert link["as_of"] == [ITS_VINTAGE]
    assert f"_as-published-{ITS_VINTAGE}.csv" in d.share.value
    csv_rows = unquote(d.share.value.split("charset=utf-8,", 1)[1].split('"', 1)[0]).splitlines()
    assert f"{DAY},first_dose,Montgomery,24031,{shown}," in "\n".join(csv_rows)
    total = raw_state(repo, ITS_VINTAGE, DAY)
    assert f'<span class="mdvax-big">{total:,}</span>' in d.headline.value
    # The other vintage, through the control: panel, totals and map follow.
    fills = dict(d.map.fills)
    d.change({"as_of": date.fromisoformat(OTHER)})
    assert d.state.as_of == date.fromisoformat(OTHER)
    assert d.state.date == date.fromisoformat(DAY)
    assert f"<td>{raw_value(repo, OTHER, DAY):,}</td>" in d.panel.value
    assert f'<span class="mdvax-big">{raw_state(repo, OTHER, DAY):,}</span>' in d.headline.value
    assert f"as_of={OTHER}" in d.share.value
    d.change({"as_of": None})  # the newest: the embedded 2022-03-07 snapshot
    assert d.map.fills != fills
    assert "as_of=2022-03-07" in d.share.value  # links always name the vintage


def link_query(d) -> str:
    """The query string of the "Link to this view" field."""
    return urlsplit(html.unescape(d.share.value.split('value="', 1)[1].split('"', 1)[0])).query


def test_the_link_reopens_a_middle_vintage_chosen_by_link_or_control(data, repo):
    view = f"&date={DAY}&county=Montgomery&measure=first_dose&per_capita=0"
    d = open_view("as_of=" + NO_COMMIT + view)
    again = open_view(link_query(d))  # the link field, opened
    assert again.state == d.state
    assert again.state.as_of == date.fromisoformat(ITS_VINTAGE)  # neither first nor last
    assert again.panel.value == d.panel.value
    assert f"<td>{raw_value(repo, ITS_VINTAGE, DAY):,}</td>" in again.panel.value
    d.change({"as_of": date.fromisoformat(OTHER)})  # the vintage control
    again = open_view(link_query(d))
    assert again.state == d.state
    assert parse_qs(link_query(again))["as_of"] == [OTHER]
    assert f"<td>{raw_value(repo, OTHER, DAY):,}</td>" in again.panel.value


def test_the_link_keeps_an_as_of_no_archived_vintage_can_show_yet(data):
    # Before the first archived vintage: the newest is shown with a note, and the link still
    # asks for that day, so it shows it once older history is imported.
    d = open_view(f"as_of=2021-04-01&date={DAY}&county=Howard")
    assert d.state.as_of is None
    assert "before the first archived vintage" in d.notes.value
    assert parse_qs(link_query(d))["as_of"] == ["2021-04-01"]
    again = open_view(link_query(d))
    assert (again.state, again.notes.value) == (d.state, d.notes.value)
    assert link_query(again) == link_query(d)
    # Choosing a vintage with the control replaces it.
    d.change({"as_of": date.fromisoformat(OTHER)})
    assert parse_qs(link_query(d))["as_of"] == [OTHER]


def test_an_archived_vintage_names_its_commit_and_day_not_a_bare_hash(data, repo):
    sha = commits(repo)[ITS_VINTAGE]
    d = open_view(f"as_of={ITS_VINTAGE}")
    banner = html.unescape(d.provenance.value)
    assert f"the state's git repository, commit {sha[:7]} of 10 Apr 2021" in banner
    assert sha not in banner
    assert "git:" not in banner


def test_panel_shows_how_the_figure_was_revised(data, repo):
    days = [day for day in commits(repo) if max(DAY, SINCE) <= day <= OTHER]  # imported
    expected = [raw_value(repo, day, DAY) for day in days]
    assert len(set(expected)) > 2  # revised more than once
    d = open_view(f"as_of={OTHER}&date={DAY}&county=Montgomery&measure=first_dose&per_capita=0")
    found = d.revisions.get("Montgomery", "first_dose", date.fromisoformat(DAY), d.state.as_of)
    assert list(found.values["published"].dt.strftime("%Y-%m-%d")) == days
    assert list(found.values["value"]) == expected
    html = d.revised.value
    assert "How this figure was revised" in html
    assert '<svg class="mdvax-revchart"' in html
    assert 'role="img"' in html
    assert "<title id=" in html
    assert "<desc id=" in html
    assert html.count("<circle ") == len(days)
    first_day = date.fromisoformat(days[0])
    assert f"<th>First published ({first_day.day} Apr 2021)</th><td>{expected[0]:,}</td>" in html
    assert f"<th>As published on 15 Apr 2021</th><td>{expected[-1]:,}</td>" in html
    assert f"<th>Change</th><td>{expected[-1] - expected[0]:+,}</td>" in html
    revised = sum(a != b for a, b in itertools.pairwise(expected))
    assert f"<td>{revised} of {len(days)}</td>" in html
    # The state line under the headline: Maryland's figure, first published vs this vintage.
    state = [raw_state(repo, day, DAY) for day in days]
    line = d.headline.value
    assert f"first published as {state[0]:,}" in line
    assert f"{state[-1]:,} as published on 15 Apr 2021 ({state[-1] - state[0]:+,};" in line
    # The same series as `mdvax revisions --county --measure --date --as-of`.
    out = subprocess.run(
        [sys.executable, "-m", "mdvax", "revisions", "--county", "Montgomery", "--measure",
         "first_dose", "--date", DAY, "--as-of", OTHER, "--csv"],
        capture_output=True, text=True, check=True, env=os.environ,
    ).stdout  # fmt: skip
    assert [int(line.split(",")[2]) for line in out.splitlines()[1:]] == expected
    # Maryland's line is the series `mdvax revisions --county Maryland` prints.
    from mdvax.revisions import series

    assert list(series("Maryland", "first_dose", DAY, as_of=OTHER).values["value"]) == state


@pytest.mark.parametrize(
    ("as_of", "note"),
    [
        ("2021-13-01", "as_of '2021-13-01' is not a YYYY-MM-DD date"),
        ("2021-04-01", "as_of 2021-04-01 is before the first archived vintage (2021-04-08)"),
        ("2999-01-01", "as_of 2999-01-01 is in the future"),
        ("<b>x</b>", "as_of '<b>x</b>' is not a YYYY-MM-DD date"),
    ],
)
def test_bad_as_of_shows_the_newest_with_a_note(data, as_of, note):
    d = open_view(f"as_of={as_of}&date=2021-04-05")
    assert d.state.as_of is None
    assert note in html.unescape(d.notes.value)
    assert "&lt;b&gt;" in d.notes.value or "<b>" not in as_of  # escaped
    assert "showing the newest vintage instead" in d.notes.value
    assert d.controls.as_of.value == ""  # the newest: "", so the browser shows it selected
    assert d.controls.as_of.index == 0
    assert "Data as of 6 Mar 2022" in d.provenance.value


def test_a_day_the_vintage_had_not_published_falls_back_to_its_last(data):
    d = open_view("as_of=2021-04-10&date=2021-05-20")
    assert d.state.date == date(2021, 4, 9)  # the state commits day D with data through D-1
    assert "date 2021-05-20 is outside the data (2020-12-14 to 2021-04-09)" in d.notes.value
    assert d.controls.slider.value == date(2021, 4, 9)
    assert d.controls.dates[-1] == date(2021, 4, 9)


def test_without_an_archive_the_control_is_hidden_and_the_link_keeps_as_of(filled_data_dir):
    d = build_app(query="as_of=2021-03-27&date=2021-03-25").dashboard
    assert d.controls.as_of.layout.display == "none"
    assert "no archived vintages to choose from" in d.notes.value
    # A server that cannot show the vintage yet (no archive, or one not read yet) keeps the
    # visitor's as_of in the link: the link shows that vintage where it is archived.
    assert parse_qs(link_query(d))["as_of"] == ["2021-03-27"]
    assert build_app(query=link_query(d)).dashboard.state == d.state
    # A bad as_of is not kept.
    assert "as_of" not in link_query(build_app(query="as_of=2999-01-01").dashboard)


def test_notebook_has_an_as_of_parameter():
    assert "as_of = None" in notebook_path("dashboard.ipynb").read_text()


@pytest.fixture(scope="module")
def server(history_env, tmp_path_factory):
    """A real ``mdvax serve`` on the dashboard, reading the imported archive."""
    from tests.support.process import ServeProcess

    log = tmp_path_factory.mktemp("serve") / "serve.log"
    dashboard = str(notebook_path("dashboard.ipynb"))
    args = ("--notebook", dashboard, "--pool-size", "1")
    with ServeProcess(*args, env=history_env, log_path=log) as running:
        yield running


@pytest.mark.browser
def test_switching_the_vintage_in_the_browser_changes_map_and_figures(server, browser, repo):
    from playwright.sync_api import expect

    from tests.support.probe import FILLS_JS, county_fills, wait_for_map

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    view = f"date={DAY}&county=Montgomery&measure=first_dose&per_capita=0"
    page.goto(f"{server.url}?as_of={ITS_VINTAGE}&{view}")
    wait_for_map(page)
    total, control = _shows_its_vintage(page, repo)
    before = county_fills(page)
    # An older figure of the same day, through the control.
    control.select_option(label="15 Apr 2021".replace(" ", NBSP))
    expect(total).to_have_text(f"{raw_value(repo, OTHER, DAY):,}", timeout=30_000)
    big = f"{raw_state(repo, OTHER, DAY):,}"
    expect(page.locator(".mdvax-big")).to_have_text(big, timeout=30_000)
    expect(page.locator(".mdvax-revfigures")).to_contain_text("As published on 15 Apr 2021")
    # The newest vintage (the 2022 snapshot): another colour scale, so the map changes too.
    control.select_option(label="7 Mar 2022 (newest)".replace(" ", NBSP))
    page.wait_for_function(f"before => JSON.stringify(({FILLS_JS})()) !== before",
                           arg=json.dumps(before), timeout=30_000)  # fmt: skip
    assert county_fills(page) != before
    link = page.locator(".mdvax-link input")
    expect(link).to_have_value(re.compile(r"[?&]as_of=2022-03-07(&|$)"), timeout=30_000)
    expect(page.locator(".mdvax-asof")).to_contain_text("Data as of 6 Mar 2022")
    page.close()


@pytest.mark.browser
@pytest.mark.slow
def test_the_link_field_reopens_the_middle_vintage_in_the_browser(server, browser, repo):
    from playwright.sync_api import expect

    from tests.support.probe import wait_for_map

    view = f"date={DAY}&county=Montgomery&measure=first_dose&per_capita=0"
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{server.url}?as_of={NO_COMMIT}&{view}")
    wait_for_map(page)
    link = page.locator(".mdvax-link input")
    expect(link).to_have_value(re.compile(rf"[?&]as_of={ITS_VINTAGE}(&|$)"), timeout=30_000)
    query = urlsplit(link.input_value()).query
    page.close()
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{server.url}?{query}")
    wait_for_map(page)
    _shows_its_vintage(page, repo)
    # What the page says of its data: a commit and its day, one date, no shell command.
    sha = commits(repo)[ITS_VINTAGE]
    banner = page.locator(".mdvax-asof")
    expect(banner).to_contain_text(f"commit {sha[:7]} of 10 Apr 2021")
    expect(page.locator(".mdvax-about")).to_contain_text("stopped updating on 6 Mar 2022")
    body = page.inner_text("body")
    assert "git:" not in body
    assert "mdvax update" not in body
    assert "stopped updating in 2021" not in body
    page.close()


def test_as_of_resolves_to_the_latest_vintage_published_by_then():
    from mdvax.dashboard import state as st

    vintages = [
        st.Vintage(date(2021, 4, 8), date(2020, 12, 14), date(2021, 4, 7)),
        st.Vintage(date(2021, 4, 10), date(2020, 12, 14), date(2021, 4, 9)),
        st.Vintage(date(2022, 3, 7), date(2020, 12, 14), date(2022, 3, 6)),
    ]
    first, last = date(2020, 12, 14), date(2022, 3, 6)
    view, notes = st.resolve({}, "as_of=2021-04-09&county=Howard", first, last, vintages)
    assert view.as_of == date(2021, 4, 8)
    assert view.date == date(2021, 4, 7)  # the vintage's last day
    assert notes == []
    assert "as_of=2021-04-08" in st.to_query(view)
    newest, _ = st.resolve({"as_of": "2022-03-08"}, "", first, last, vintages)
    assert newest.as_of is None  # the newest is the default
    assert "as_of" not in st.to_query(newest)
    ignored, notes = st.resolve({}, "as_of=2021-04-09", first, last, ())
    assert ignored.as_of is None
    assert notes == [
        "Ignored as_of 2021-04-09: no archived vintages to choose from; "
        "showing the newest vintage instead."
    ]


def _shows_its_vintage(page, repo):
    """Check ``page`` shows the 10 Apr 2021 vintage: Montgomery's figure and the control's choice.

    Returns the figure's cell and the control, for what the test does next.
    """
    from playwright.sync_api import expect

    total = page.locator(".mdvax-panel[data-fips='24031'] tr").first.locator("td")
    expect(total).to_have_text(f"{raw_value(repo, ITS_VINTAGE, DAY):,}", timeout=30_000)
    control = page.locator(".mdvax-asof-control select")
    shown = control.evaluate("s => s.options[s.selectedIndex].text")
    assert shown.replace(NBSP, " ") == "10 Apr 2021"
    return total, control
