"""Pure view state: parameters, URL queries (untrusted), transitions, the link to a view."""

from __future__ import annotations

from datetime import date

import pytest

from mdvax.dashboard import state as st
from mdvax.errors import UnknownMeasureError

FIRST, LAST = date(2020, 12, 14), date(2021, 3, 30)
#: The notebook's parameters cell (tests/test_dashboard_notebook.py checks they agree).
DEFAULTS = {"date": None, "measure": "at_least_one", "per_capita": True, "county": None}


def resolve(query: str = "", **params):
    return st.resolve({**DEFAULTS, **params}, query, FIRST, LAST)


def test_defaults_are_the_last_day_at_least_one_dose_share_of_population_no_county():
    view, notes = resolve()
    assert view == st.ViewState(date=LAST, measure="at_least_one", per_capita=True)
    assert notes == []
    # Without the parameters cell (a bare ``build_app()``) the state's own default agrees.
    assert st.resolve({}, "", FIRST, LAST)[0] == view


@pytest.mark.parametrize(
    ("query", "per_capita"),
    [("per_capita=0", False), ("per_capita=false", False), ("per_capita=1", True), ("", True)],
)
def test_links_keep_their_explicit_per_capita(query, per_capita):
    view, notes = resolve(f"date=2021-02-01&{query}")
    assert (view.per_capita, notes) == (per_capita, [])
    assert f"per_capita={int(per_capita)}" in st.to_query(view)  # links always say which


def test_the_issue_deep_link_opens_exactly_that_view():
    query = "date=2021-03-30&measure=fully_vaccinated&per_capita=1&county=24031"
    view, notes = resolve(query)
    assert view == st.ViewState(date(2021, 3, 30), "fully_vaccinated", False, True, "24031")
    assert notes == []
    assert st.to_query(view) == query


def test_query_overrides_notebook_parameters():
    view, _ = resolve("measure=first_dose", measure="second_dose", county="Howard")
    assert (view.measure, view.county) == ("first_dose", "24027")


@pytest.mark.parametrize(
    ("county", "fips"),
    [
        ("24031", "24031"),
        ("Montgomery", "24031"),
        ("prince george's", "24033"),
        ("Baltimore City", "24510"),
        ("Baltimore", "24005"),
        ("Kent County", "24029"),
    ],
)
def test_county_by_fips_or_name(county, fips):
    assert st.parse_county(county) == fips


@pytest.mark.parametrize(
    ("query", "field", "needle"),
    [
        ("date=2021-04-01", "date", "outside the data (2020-12-14 to 2021-03-30)"),
        ("date=2020-12-13", "date", "outside the data"),
        ("date=yesterday", "date", "'yesterday' is not a YYYY-MM-DD date"),
        ("date=2021-03-01%3Cscript%3E", "date", "'2021-03-01<script>' is not a YYYY-MM-DD"),
        ("measure=boosters", "measure", "unknown measure 'boosters': choose one of first_dose"),
        ("per_capita=maybe", "per_capita", "per_capita 'maybe' is not 1/0"),
        ("county=99999", "county", "'99999' is not a Maryland FIPS code"),
        ("county=Fairfax", "county", "'Fairfax'"),
    ],
)
def test_bad_values_fall_back_to_defaults_with_a_note(query, field, needle):
    view, notes = resolve(query)
    default, _ = resolve()
    assert getattr(view, field) == getattr(default, field)
    assert len(notes) == 1
    assert needle in notes[0]
    assert "showing the default" in notes[0]


def test_one_bad_value_keeps_the_good_ones():
    view, notes = resolve("date=2021-02-01&measure=nope&per_capita=0")
    assert (view.date, view.measure, view.per_capita) == (date(2021, 2, 1), "at_least_one", False)
    assert len(notes) == 1


def test_hostile_values_are_truncated_in_notes_and_unknown_keys_reported():
    evil = "<script>alert(1)</script>" * 20
    view, notes = resolve(f"measure={evil}&foo=1&bar=2")
    assert view.measure == "at_least_one"
    assert notes[0] == "Ignored unknown link parameter(s) 'bar', 'foo'."
    assert len(notes[1]) < 200  # quoted value capped at 40 characters
    assert "…" in notes[1]


def test_overlong_query_is_ignored_whole():
    view, notes = resolve("measure=first_dose&" + "x" * 3000)
    assert view.measure == "at_least_one"
    assert notes == ["Ignored the link's query: longer than 2000 characters."]


def test_too_many_fields_do_not_raise():
    view, notes = resolve("&".join(f"k{i}=1" for i in range(200)))
    assert view.measure == "at_least_one"
    assert notes == ["Ignored the link's query: more than 50 parameters."]


def test_bad_notebook_parameter_is_reported_too():
    view, notes = resolve(measure="all", date="2021-01-05")
    assert (view.measure, view.date) == ("at_least_one", date(2021, 1, 5))
    assert "measure 'all'" in notes[0]


def test_daily_flag_and_blank_county():
    view, notes = resolve("daily=true&county=")
    assert (view.daily, view.county, notes) == (True, None, [])
    assert st.to_query(view) == "date=2021-03-30&measure=at_least_one&per_capita=1&daily=1"


def test_transitions():
    start, _ = resolve()
    opened = st.click_county(start, "24031")
    assert opened.county == "24031"
    assert st.click_county(opened, "24031").county is None  # click again: state view
    assert st.click_county(opened, "24005").county == "24005"
    moved = st.update(opened, measure="fully_vaccinated", per_capita=False, date=date(2021, 1, 1))
    assert moved == st.ViewState(date(2021, 1, 1), "fully_vaccinated", False, False, "24031")
    assert st.reset(moved, start) == start
    with pytest.raises(UnknownMeasureError, match="unknown measure 'boosters'"):
        st.update(start, measure="boosters")


def test_link_replaces_the_page_query():
    view = st.ViewState(date(2021, 3, 1), "first_dose", per_capita=False, county="24510")
    assert st.link("http://x:8866/?date=2021-01-01#top", view) == (
        "http://x:8866/?date=2021-03-01&measure=first_dose&per_capita=0&county=24510"
    )


def test_query_string_and_page_url_from_voila_environment(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "county=24031")
    monkeypatch.setenv("SERVER_NAME", "127.0.0.1")
    monkeypatch.setenv("SERVER_PORT", "8866")
    monkeypatch.setenv("SCRIPT_NAME", "/")
    assert st.query_string() == "county=24031"
    assert st.page_url() == "http://127.0.0.1:8866/"
    monkeypatch.delenv("SERVER_NAME")
    assert st.page_url() == ""
