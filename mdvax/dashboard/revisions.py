"""How this figure was revised: one value as each archived vintage published it.

A county's series and the state's (the same steps summed over every county) come from the
archive's :meth:`~mdvax.archive.Archive.revision_reader`, the steps behind
``mdvax revisions --county --measure --date`` (so the panel and the command line agree), cut by
:func:`mdvax.revisions.published_series`. Both are read once per county and measure shown as
:class:`mdvax.archive.steps.Steps` (two int64 arrays of the value changes per day and vintage:
about 16 bytes a revision, no strings, nothing per vintage x day), so a slider step or a vintage
switch reads nothing. Both series stop at the vintage shown: a view "as published on"
a day reveals nothing later.

The archive code (and SQLAlchemy) is imported on first use: a kernel without an archive never
loads it.

The chart is a small step chart drawn here (x: publication day, y: value), rendered through
``dashboard/revisions.html.j2`` (autoescape) with ``<title>``/``<desc>`` for screen readers.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from mdvax import format as fmt
from mdvax import measures
from mdvax.dashboard.state import NAME_BY_FIPS, ViewState
from mdvax.measures import check_column
from mdvax.normalize.counties import STATE, canonical_county
from mdvax.revisions import RevisionSeries, published_series
from mdvax.templates import render

#: Chart size in SVG user units, and its margins.
WIDTH, HEIGHT = 340, 110
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 8, 8, 20


class Revisions:
    """The revision series a dashboard session shows.

    Parameters
    ----------
    archive : callable
        Returns the open :class:`mdvax.archive.Archive`, or None when there is none.
    """

    def __init__(self, archive) -> None:
        self._archive = archive
        self._reader = None

    def get(
        self, county: str | None, column: str, day: date, as_of: date | None
    ) -> RevisionSeries | None:
        """``county``'s (None: Maryland's) series up to ``as_of``; None without an archive."""
        if self._reader is None:
            archive = self._archive()
            if archive is None:
                return None
            self._reader = archive.revision_reader()  # steps read once per county shown
        check_column(column)
        name = STATE if county is None else canonical_county(county)
        frame = self._reader.frame(None if county is None else name, column, day)
        return published_series(name, column, day, frame, as_of)

    def html(self, state: ViewState, published: date) -> tuple[str, str]:
        """The line under the headline (Maryland) and the side panel's block for ``state``.

        The block is the open county's, else Maryland's; both are "" without an archive.
        """
        column = measures.column(state.measure, state.daily)
        what = measures.label(state.measure, state.daily)
        found = self.get(None, column, state.date, published)
        line = revised_line_html(found)
        if state.county:
            name = NAME_BY_FIPS[state.county]
            return line, revisions_html(self.get(name, column, state.date, published), name, what)
        return line, revisions_html(found, "Maryland", what)


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
