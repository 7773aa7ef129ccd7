"""The one map picture: from the data and a view to colour classes, county fills and legend.

The live map (:mod:`mdvax.dashboard.session`), the server's still picture
(:mod:`mdvax.serve.static_view`) and the report's map (:mod:`mdvax.report.sections`) all take
their colours from :func:`map_picture`, so the same view has the same classes everywhere.

The rule: the classes span 0 to the highest county figure on *any* day of the data for the
view's measure and mode (cumulative or daily, count or % of population), not that day's
highest. Moving through the days (the dashboard's slider, a report of a past day) then keeps
one scale, on which counties fill in; a new scale comes only with another measure or mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np
import pandas as pd

from mdvax import format as fmt
from mdvax.measures import column, label
from mdvax.normalize.counties import JURISDICTIONS
from mdvax.render.classes import Classes

__all__ = ["MapView", "Picture", "county_figures", "map_picture"]

#: Class text of a county with no figure.
NO_DATA_TEXT = "no data"
_NAMES, _FIPS = list(JURISDICTIONS), list(JURISDICTIONS.values())


class ViewLike(Protocol):
    """What a picture needs of a view (a dashboard ``ViewState`` has it too)."""

    date: date
    measure: str
    daily: bool
    per_capita: bool


@dataclass(frozen=True)
class MapView:
    """A view of the map: its day, measure, daily or cumulative, count or % of population."""

    date: date
    measure: str
    daily: bool = False
    per_capita: bool = False


@dataclass(frozen=True)
class Picture:
    """Everything a map shows of one view, whoever draws it.

    Attributes
    ----------
    title : str
        The legend's title, e.g. ``"Fully vaccinated (daily, % of population)"``.
    classes : Classes
        The colour classes (:class:`~mdvax.render.classes.Classes`).
    top : float
        The top of the scale: the highest county figure on any day (1 when there is none).
    values : mapping
        FIPS -> the coloured figure on the view's day (NaN: none).
    fills : mapping
        FIPS -> fill colour (hex).
    bounds : tuple of str
        Each class's lower bound as text, lowest first (the live legend's swatches).
    names : tuple of str
        Each class as text, lowest first (``"50k to under 100k"``, ..., ``"400k or more"``).
    """

    title: str
    classes: Classes
    top: float
    values: Mapping[str, float]
    fills: Mapping[str, str]
    bounds: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def build(cls, values: Mapping[str, float], top: float, title: str, per_capita: bool):
        """The picture of ``values`` (FIPS -> figure) on the scale 0 to ``top``."""
        top = top if top > 0 else 1.0
        classes = Classes.for_range(top)
        number = fmt.compact(per_capita)
        return cls(
            title=title,
            classes=classes,
            top=top,
            values=dict(values),
            fills={fips: classes.colour(value) for fips, value in values.items()},
            bounds=tuple(classes.labels(number)),
            names=tuple(classes.names(number)),
        )

    @property
    def legend(self) -> list[tuple[str, str]]:
        """The classes, lowest first: (colour, text)."""
        return list(zip(self.classes.colours, self.names, strict=True))

    def class_name(self, fips: str) -> str:
        """The class of a county as text (:data:`NO_DATA_TEXT` when it has no figure)."""
        index = self.classes.index(self.values.get(fips, float("nan")))
        return NO_DATA_TEXT if index is None else self.names[index]


def county_figures(
    table: pd.DataFrame, population: pd.Series, measure: str, daily: bool, per_capita: bool
) -> pd.DataFrame:
    """The coloured figure of every day and county: dates x the 24 counties (by name).

    Parameters
    ----------
    table : DataFrame
        The canonical table.
    population : Series
        By county (:func:`mdvax.reference.population`).
    measure, daily, per_capita
        The view's measure and mode: a count, or % of the county's population.
    """
    wide = table.pivot(index="date", columns="county", values=column(measure, daily))
    wide = wide.reindex(columns=list(JURISDICTIONS)).astype("float64")
    if per_capita:
        wide = 100.0 * wide / population.reindex(wide.columns)
    return wide


def map_picture(figures: pd.DataFrame, view: ViewLike) -> Picture:
    """The picture of ``view``: classes, each county's fill and the legend.

    Parameters
    ----------
    figures : DataFrame
        :func:`county_figures` of the data for the view's measure and mode (the dashboard
        keeps them per measure and mode); the 24 counties' columns are read, others ignored.
    view : MapView or ViewState
        The day, measure, daily and per_capita shown.

    Returns
    -------
    Picture
        On the scale 0 to the highest figure of ``figures`` on any day.
    """
    # NumPy, not pandas: this runs on every step of the dashboard's slider.
    columns = figures.columns.get_indexer(_NAMES)
    if (columns < 0).any():
        raise KeyError("the figures lack a county's column: make them with county_figures()")
    grid = figures.to_numpy()[:, columns]
    on_day = grid[figures.index.get_loc(pd.Timestamp(view.date))]
    values = dict(zip(_FIPS, on_day.tolist(), strict=True))
    top = float(np.fmax.reduce(grid, axis=None))  # missing figures skipped; NaN if all are
    title = label(view.measure, view.daily, view.per_capita)
    return Picture.build(values, top if top == top else 1.0, title, view.per_capita)
