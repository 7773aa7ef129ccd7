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
from mdvax.normalize.counties import JURISDICTIONS, STATE
from mdvax.provenance import Provenance

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
        col = stats.column(measure, daily)
        wide = self.table.pivot(index="date", columns="county", values=col)
        wide = wide.reindex(columns=list(JURISDICTIONS)).astype("float64")
        wide[STATE] = stats.state_totals(self.table)[col].astype("float64")
        if per_capita:
            wide = 100.0 * wide / self.population.reindex(wide.columns)
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
    vmin, vmax : float
        Colour range: 0 to the highest county figure over all days for this measure and mode.
    """

    counties: pd.DataFrame
    state: dict
    shown: pd.Series
    vmin: float
    vmax: float


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
    wide = data.matrix(view.measure, view.daily, view.per_capita)[list(JURISDICTIONS)]
    vmax = float(wide.to_numpy().max())
    return View(counties, state, shown, 0.0, vmax if vmax > 0 else 1.0)


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
