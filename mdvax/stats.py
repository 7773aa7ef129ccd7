"""Figures people look at: state totals, per-capita shares, county ranks and weekly change.

Pure functions of the canonical table (see :mod:`mdvax.normalize`) and the population.
"""

from __future__ import annotations

from datetime import date as Date  # noqa: N812

import pandas as pd

from mdvax.measures import LABELS, column, label
from mdvax.normalize.counties import JURISDICTIONS, STATE, UNASSIGNED

#: The measures, with the labels people read (see :mod:`mdvax.measures`).
MEASURES = LABELS

__all__ = [
    "MEASURES",
    "column",
    "county_view",
    "label",
    "per_capita",
    "state_totals",
    "state_view",
]


def state_totals(table: pd.DataFrame) -> pd.DataFrame:
    """Per date, the sum of every row, Unassigned doses included (indexed by ``date``)."""
    numeric = [c for c in table.columns if c not in ("date", "county", "fips")]
    return table.groupby("date")[numeric].sum()


def per_capita(values: pd.Series, population: pd.Series) -> pd.Series:
    """Percent of population, for values indexed by county (or ``Maryland``)."""
    return 100.0 * values / population.reindex(values.index)


def _on(table: pd.DataFrame, day: Date | pd.Timestamp, col: str) -> pd.Series:
    """Values of one column on one day, indexed by county (0 before the data starts)."""
    rows = table[table["date"] == pd.Timestamp(day)]
    return rows.set_index("county")[col].astype("int64")


def county_view(
    table: pd.DataFrame,
    day: Date | pd.Timestamp,
    measure: str,
    population: pd.Series,
    daily: bool = False,
    per_capita_rank: bool = False,
) -> pd.DataFrame:
    """The 24 jurisdictions on one day.

    Parameters
    ----------
    table : DataFrame
        Canonical table.
    day : date
        Must be within the table's range.
    measure : str
        One of :data:`MEASURES`.
    population : Series
        By county (:func:`mdvax.reference.population`).
    daily : bool
        Daily counts instead of cumulative ones.
    per_capita_rank : bool
        Rank by share of population instead of by count.

    Returns
    -------
    DataFrame
        Indexed by county: ``fips``, ``value``, ``pct`` (of population), ``rank`` (1 = highest),
        ``change_7d`` (value minus the value seven days earlier; 0 before the data starts).
    """
    col = column(measure, daily)
    counties = list(JURISDICTIONS)
    value = _on(table, day, col).reindex(counties)
    if value.isna().any():
        raise KeyError(f"no data for {pd.Timestamp(day):%Y-%m-%d}")
    earlier = _on(table, pd.Timestamp(day) - pd.Timedelta(days=7), col).reindex(counties).fillna(0)
    view = pd.DataFrame({"fips": pd.Series(JURISDICTIONS), "value": value.astype("int64")})
    view["pct"] = per_capita(view["value"], population)
    ranked = view["pct"] if per_capita_rank else view["value"]
    view["rank"] = ranked.rank(ascending=False, method="min").astype("int64")
    view["change_7d"] = (value - earlier).astype("int64")
    view.index.name = "county"
    return view


def state_view(
    table: pd.DataFrame,
    day: Date | pd.Timestamp,
    measure: str,
    population: pd.Series,
    daily: bool = False,
) -> dict[str, float]:
    """State figures on one day.

    Returns the total (Unassigned included), the unassigned part, % of population, and the
    change over 7 and 28 days.
    """
    col = column(measure, daily)
    totals = table.groupby("date")[col].sum()  # one column: this runs on every slider step
    day = pd.Timestamp(day)

    def at(offset: int) -> int:
        return int(totals.get(day - pd.Timedelta(days=offset), 0))

    unassigned = _on(table, day, col).get(UNASSIGNED, 0)
    return {
        "value": at(0),
        "unassigned": int(unassigned),
        "pct": 100.0 * at(0) / float(population[STATE]),
        "change_7d": at(0) - at(7),
        "change_28d": at(0) - at(28),
    }
