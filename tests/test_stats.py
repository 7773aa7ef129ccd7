"""State totals, per-capita shares, ranks and weekly change on the real 2021-03-30 snapshot."""

from __future__ import annotations

import pytest

from mdvax.api import county_view, load_table, population, state_view
from mdvax.errors import UnknownMeasureError
from mdvax.normalize.counties import JURISDICTIONS
from mdvax.stats import column, label, state_totals
from tests.support.raw_figures import cumulative_by_label


def cumulative_from_csv(county: str, column_name: str, day: str) -> int:
    """The county's last cumulative value on or before ``day`` in the 2021-03-30 snapshot."""
    return cumulative_by_label("2021-03-30", day, column_name).get(county, 0)


def test_state_totals_include_unassigned(filled_data_dir):
    table = load_table()
    totals = state_totals(table)
    assert totals.loc["2021-03-30", "first_dose"] == 1_637_517 + 82_839
    state = state_view(table, "2021-03-30", "first_dose", population())
    assert state["value"] == 1_720_356
    assert state["unassigned"] == 82_839
    assert state["pct"] == pytest.approx(100 * 1_720_356 / 6_045_680)
    assert state["change_7d"] == 1_720_356 - totals.loc["2021-03-23", "first_dose"]


def test_county_view_figures_match_the_source(filled_data_dir):
    table = load_table()
    view = county_view(table, "2021-03-30", "at_least_one", population())
    assert list(view.index) == list(JURISDICTIONS)
    first = cumulative_from_csv("Montgomery", "FirstDoseCumulative", "2021-03-30")
    single = cumulative_from_csv("Montgomery", "SingleDoseCumulative", "2021-03-30")
    montgomery = view.loc["Montgomery"]
    assert montgomery["value"] == first + single
    assert montgomery["pct"] == pytest.approx(100 * (first + single) / 1_050_688)
    week_before = cumulative_from_csv(
        "Montgomery", "FirstDoseCumulative", "2021-03-23"
    ) + cumulative_from_csv("Montgomery", "SingleDoseCumulative", "2021-03-23")
    assert montgomery["change_7d"] == first + single - week_before
    assert montgomery["rank"] == 1  # the most populous county has the most doses
    by_share = county_view(table, "2021-03-30", "at_least_one", population(), per_capita_rank=True)
    assert by_share["rank"].min() == 1
    assert by_share.loc[by_share["pct"].idxmax(), "rank"] == 1
    assert sorted(by_share["rank"]) == sorted(by_share["pct"].rank(ascending=False, method="min"))


def test_unknown_measure_and_missing_day(filled_data_dir):
    with pytest.raises(UnknownMeasureError, match="unknown measure 'boosters'"):
        column("boosters")
    with pytest.raises(KeyError, match="no data for 2022-01-01"):
        county_view(load_table(), "2022-01-01", "first_dose", population())
    assert (
        label("fully_vaccinated", daily=True, per_capita=True)
        == "Fully vaccinated (daily, % of population)"
    )
