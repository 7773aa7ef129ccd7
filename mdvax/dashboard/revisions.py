"""How this figure was revised: one value as each archived vintage published it.

A county's series comes from :func:`mdvax.revisions.series`, the function behind
``mdvax revisions --county --measure --date`` (so the panel and the command line agree); the
state's from one grouped query over every county's stored versions (:func:`state_series`). Both
stop at the vintage shown: a view "as published on" a day reveals nothing published later.

The chart is a small step chart drawn here (x: publication day, y: value), rendered through
``dashboard/revisions.html.j2`` (autoescape) with ``<title>``/``<desc>`` for screen readers.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from mdvax import format as fmt
from mdvax import measures
from mdvax.archive.frames import DATE_DTYPE
from mdvax.archive.schema import series as series_table
from mdvax.archive.schema import value_versions, vintages
from mdvax.dashboard.state import NAME_BY_FIPS, ViewState
from mdvax.normalize.counties import STATE
from mdvax.revisions import RevisionSeries
from mdvax.revisions import series as county_series
from mdvax.templates import render

#: Chart size in SVG user units, and its margins.
WIDTH, HEIGHT = 340, 110
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 8, 8, 20
#: Series kept per session (a slider session asks for one per day).
MEMO_SIZE = 32


def state_series(archive, column: str, day: date, as_of: date | None = None) -> RevisionSeries:
    """Maryland's ``column`` on ``day`` (every county and the unassigned doses) per vintage.

    The stored daily doses that make up ``column`` are summed in the database, grouped by the
    vintage range each version was valid for; each vintage's total is then the sum of the
    groups valid in it.
    """
    column = measures.check_column(column)
    base = column.removesuffix("_daily")
    parts = {"at_least_one": ("first_dose", "single_dose")}
    parts["fully_vaccinated"] = ("second_dose", "single_dose")
    stored = [f"{dose}_daily" for dose in parts.get(base, (base,))]
    on_day = (
        value_versions.c.day == day if column.endswith("_daily") else value_versions.c.day <= day
    )
    query = (
        select(
            value_versions.c.valid_from, value_versions.c.valid_to, func.sum(value_versions.c.value)
        )
        .join(series_table, series_table.c.id == value_versions.c.series_id)
        .where(series_table.c.measure.in_(stored), on_day)
        .group_by(value_versions.c.valid_from, value_versions.c.valid_to)
    )
    listed = select(vintages.c.id, vintages.c.published, vintages.c.last_date).order_by(
        vintages.c.id
    )
    if as_of is not None:
        listed = listed.where(vintages.c.published <= as_of)
    with archive.engine.connect() as conn:
        groups = conn.execute(query).all()
        rows = conn.execute(listed).all()
    ids = np.array([r.id for r in rows], dtype="int64")
    delta = np.zeros(len(ids) + 1, dtype="int64")
    for start, end, total in groups:  # each group counts from its first vintage to its last
        delta[np.searchsorted(ids, start)] += int(total)
        delta[np.searchsorted(ids, end if end is not None else 2**62)] -= int(total)
    totals = np.cumsum(delta)[:-1]
    covers = np.array([r.last_date >= day for r in rows], dtype=bool)
    values = pd.DataFrame({
        "published": pd.to_datetime([r.published for r in rows]).astype(DATE_DTYPE),
        "vintage_id": ids,
        "value": totals.astype("int64"),
    })[covers].reset_index(drop=True)  # fmt: skip
    values["change"] = values["value"].diff().astype("Int64")
    return RevisionSeries(STATE, column, day, values)


class Revisions:
    """The revision series a dashboard session shows, memoized (the last :data:`MEMO_SIZE`).

    Parameters
    ----------
    archive : callable
        Returns the open :class:`mdvax.archive.Archive`, or None when there is none.
    """

    def __init__(self, archive) -> None:
        self._archive = archive
        self._memo: OrderedDict[tuple, RevisionSeries | None] = OrderedDict()

    def get(
        self, county: str | None, column: str, day: date, as_of: date | None
    ) -> RevisionSeries | None:
        """``county``'s (None: Maryland's) series up to ``as_of``; None without an archive.

        The whole series is read once per county, column and day and cut at ``as_of`` here,
        so switching vintage asks the database nothing.
        """
        key = (county, column, day)
        if key not in self._memo:
            archive = self._archive()
            if archive is None:
                return None
            if county is None:
                found = state_series(archive, column, day)
            else:
                found = county_series(county, column, day, archive=archive)
            self._memo[key] = found
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        self._memo.move_to_end(key)
        return up_to(self._memo[key], as_of)

    def html(self, state: ViewState, published: date) -> tuple[str, str]:
        """The line under the headline (Maryland) and the side panel's block for ``state``.

        The block is the open county's, else Maryland's; both are "" without an archive.
        """
        column, what = (
            measures.column(state.measure, state.daily),
            measures.label(state.measure, state.daily),
        )
        found = self.get(None, column, state.date, published)
        line = revised_line_html(found)
        if state.county:
            name = NAME_BY_FIPS[state.county]
            return line, revisions_html(self.get(name, column, state.date, published), name, what)
        return line, revisions_html(found, "Maryland", what)


def up_to(found: RevisionSeries, as_of: date | None) -> RevisionSeries:
    """``found`` without the vintages published after ``as_of`` (None: all of them)."""
    if as_of is None:
        return found
    values = found.values[found.values["published"] <= pd.Timestamp(as_of)]
    return dataclasses.replace(found, values=values.reset_index(drop=True))


def _scale(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """``values`` mapped onto ``[low, high]`` (the middle when they are all equal)."""
    lo, hi = float(values.min()), float(values.max())
    if hi == lo:
        return np.full(len(values), (low + high) / 2)
    return low + (values - lo) / (hi - lo) * (high - low)


def chart_context(found: RevisionSeries) -> dict:
    """Geometry of the step chart: path, dots, axis labels (SVG user units)."""
    when = found.values["published"].to_numpy(dtype="datetime64[D]").astype("int64")
    value = found.values["value"].to_numpy(dtype="float64")
    xs = _scale(when.astype("float64"), _LEFT, WIDTH - _RIGHT)
    ys = _scale(value, HEIGHT - _BOTTOM, _TOP)
    if len(xs) == 1:
        xs = np.array([WIDTH - _RIGHT])
    path = f"M{xs[0]:.1f},{ys[0]:.1f}" + "".join(
        f" H{x:.1f} V{y:.1f}" for x, y in zip(xs[1:], ys[1:], strict=True)
    )
    first, last = found.values["published"].iloc[[0, -1]]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": _LEFT,
        "right": WIDTH - _RIGHT,
        "top": _TOP,
        "bottom": HEIGHT - _BOTTOM,
        "path": path,
        "dots": [(f"{x:.1f}", f"{y:.1f}") for x, y in zip(xs, ys, strict=True)],
        "high": (f"{ys.min():.1f}", fmt.count(value.max())),
        "low": (f"{ys.max():.1f}", fmt.count(value.min())),
        "ticks": [
            (_LEFT, "start", fmt.day(first.date())),
            (WIDTH - _RIGHT, "end", fmt.day(last.date())),
        ],
    }


def summary(found: RevisionSeries) -> dict:
    """The figures beside the chart: first and latest published value, change, revisions."""
    published = found.values["published"]
    return {
        "first": fmt.count(found.first),
        "first_day": fmt.day(published.iloc[0].date()),
        "latest": fmt.count(found.latest),
        "latest_day": fmt.day(published.iloc[-1].date()),
        "change": fmt.change(found.change),
        "revised": found.n_revised,
        "vintages": len(found.values),
    }


def revisions_html(found: RevisionSeries | None, name: str, what: str) -> str:
    """The panel's "How this figure was revised" block ("" without an archive)."""
    if found is None:
        return ""
    context = {"name": name, "what": what, "day": fmt.day(found.day), "figures": None}
    if len(found.values):
        context |= {"figures": summary(found), "chart": chart_context(found)}
    return render("dashboard/revisions.html.j2", **context)


def revised_line_html(found: RevisionSeries | None) -> str:
    """The compact line under the headline: Maryland's figure first published vs now."""
    if found is None or len(found.values) < 2:
        return ""
    return render("dashboard/revisions_line.html.j2", **summary(found))
