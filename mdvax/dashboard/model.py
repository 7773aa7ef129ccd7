"""The figures behind one view: pure functions of the data and a :class:`ViewState`.

Every number the dashboard shows comes from :mod:`mdvax.stats` through here, so the unit tests
of this module check exactly what visitors read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from mdvax import stats
from mdvax.dashboard.state import NAME_BY_FIPS, ViewState
from mdvax.normalize.counties import STATE
from mdvax.provenance import Provenance
from mdvax.render.picture import Picture, county_figures, map_picture

__all__ = ["DashboardData", "Provenance", "View", "compute", "series", "table_csv"]


@dataclass
class DashboardData:
    """Everything a dashboard session reads once: table, population, geometry, provenance."""

    table: pd.DataFrame
    population: pd.Series
    geometry: dict
    provenance: Provenance
    #: The vintages to choose from (:class:`mdvax.dashboard.vintages.Vintages`), if known.
    vintages: object = field(default=None, repr=False)
    _matrices: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, settings=None) -> DashboardData:
        """The cached data (raises :class:`mdvax.errors.CacheError` when there is none)."""
        from mdvax import api
        from mdvax.config import get_settings
        from mdvax.dashboard import shared

        settings = settings or get_settings()
        kept = shared.take(settings)  # loaded by the fork server's template, if unchanged
        if kept is not None:
            return kept
        table = api.load_table(settings=settings)
        provenance = Provenance.from_cache(api.load_metadata(settings=settings))
        return cls(table, api.population(), api.geometry(), provenance)

    @classmethod
    def from_table(cls, table: pd.DataFrame, provenance: Provenance) -> DashboardData:
        """Data of a visitor's upload (population and geometry from the package)."""
        from mdvax import api

        return cls(table, api.population(), api.geometry(), provenance)

    @property
    def first_date(self) -> date:
        return self.table["date"].min().date()

    @property
    def last_date(self) -> date:
        return self.table["date"].max().date()

    def dates(self) -> list[date]:
        """Every day of the data, oldest first."""
        return [d.date() for d in pd.DatetimeIndex(self.table["date"].unique()).sort_values()]

    def matrix(self, measure: str, daily: bool, per_capita: bool) -> pd.DataFrame:
        """Dates x the 24 counties, plus ``Maryland`` (all rows incl. Unassigned); memoized."""
        key = (measure, daily, per_capita)
        if key not in self._matrices:
            self._matrices[key] = self._matrix(*key)
        return self._matrices[key]

    def _matrix(self, measure: str, daily: bool, per_capita: bool) -> pd.DataFrame:
        wide = county_figures(self.table, self.population, measure, daily, per_capita)
        state = stats.state_totals(self.table)[stats.column(measure, daily)].astype("float64")
        wide[STATE] = 100.0 * state / self.population[STATE] if per_capita else state
        return wide


@dataclass(frozen=True)
class View:
    """The figures of one :class:`ViewState`.

    Attributes
    ----------
    counties : DataFrame
        :func:`mdvax.stats.county_view`: by county name, ``fips, value, pct, rank, change_7d``.
    state : dict
        :func:`mdvax.stats.state_view`: ``value, unassigned, pct, change_7d, change_28d``.
    shown : Series
        The coloured quantity (``value`` or ``pct``) by FIPS code.
    picture : Picture
        The map: colour classes, each county's fill and the legend
        (:func:`mdvax.render.map_picture`, as the still picture and the report draw it).
    """

    counties: pd.DataFrame
    state: dict
    shown: pd.Series
    picture: Picture

    @property
    def vmax(self) -> float:
        """Top of the colour scale: the highest county figure over all days (measure and mode)."""
        return self.picture.top


def compute(data: DashboardData, view: ViewState) -> View:
    """Figures for ``view`` (its date must be within the data)."""
    day = pd.Timestamp(view.date)
    counties = stats.county_view(
        data.table,
        day,
        view.measure,
        data.population,
        daily=view.daily,
        per_capita_rank=view.per_capita,
    )
    state = stats.state_view(data.table, day, view.measure, data.population, daily=view.daily)
    shown = counties.set_index("fips")["pct" if view.per_capita else "value"].astype("float64")
    picture = map_picture(data.matrix(view.measure, view.daily, view.per_capita), view)
    return View(counties, state, shown, picture)


def series(data: DashboardData, fips: str, measure: str, daily: bool) -> pd.DataFrame:
    """A county and the state over time, as % of population: columns ``county``, ``state``."""
    wide = data.matrix(measure, daily, True)
    return pd.DataFrame({"county": wide[NAME_BY_FIPS[fips]], "state": wide[STATE]})


def table_csv(view: View, state: ViewState) -> str:
    """The current view as CSV: one row per county, then the unassigned doses and the state."""
    rows = view.counties.reset_index()[["county", "fips", "value", "pct", "rank", "change_7d"]]
    extra = pd.DataFrame(
        [
            {"county": "Unassigned", "value": view.state["unassigned"]},
            {
                "county": STATE,
                "value": view.state["value"],
                "pct": view.state["pct"],
                "change_7d": view.state["change_7d"],
            },
        ]
    )
    out = pd.concat([rows, extra], ignore_index=True)
    out.insert(0, "date", state.date.isoformat())
    out.insert(1, "measure", stats.column(state.measure, state.daily))
    out["pct"] = out["pct"].round(3)
    # Whole numbers stay whole ("869", not "869.0") where the extra rows leave gaps.
    out[["value", "rank", "change_7d"]] = out[["value", "rank", "change_7d"]].astype("Int64")
    return out.to_csv(index=False, lineterminator="\n")
