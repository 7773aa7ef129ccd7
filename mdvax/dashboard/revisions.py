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
``dashboard/revisions.html.j2`` (autoescape) with ``<title>``/``<desc>`` for screen readers. Its
labels have a size of their own (:data:`FONT_SIZE`) and its left margin widens to the longest
value label, so "5,053,116" is never cut. A figure only one vintage published has nothing to
chart: the block says "One published version" with the figure instead.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from mdvax import format as fmt
from mdvax import measures
from mdvax.dashboard.state import NAME_BY_FIPS, ViewState
from mdvax.measures import check_column
from mdvax.normalize.counties import STATE, canonical_county
from mdvax.revisions import RevisionSeries, published_series
from mdvax.templates import render

#: Chart size in SVG user units, and its margins (the left one at least; it widens to the labels).
WIDTH, HEIGHT = 340, 110
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 8, 8, 20
#: Size of the labels in SVG user units, set on the ``<svg>``: the page's own text is larger.
FONT_SIZE = 10
#: Space between a value label and the plot, and left of the longest label (SVG user units).
_GAP, _PAD = 4, 2
#: Advance of a character as a share of the font size, rounded up from DejaVu Sans (the widest
#: common sans-serif, Chromium's on Linux): digits 0.636, "," and "." 0.318, "-" 0.361.
_DIGIT, _ADVANCE, _OTHER = 0.64, {",": 0.33, ".": 0.33, "-": 0.37}, 1.0


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


def label_width(text: str, size: float = FONT_SIZE) -> float:
    """Width of ``text`` at ``size`` in SVG user units, erring wide (see :data:`_ADVANCE`)."""
    return size * sum(_DIGIT if c.isdigit() else _ADVANCE.get(c, _OTHER) for c in text)


def chart_context(found: RevisionSeries) -> dict:
    """Geometry of the step chart: path, dots, value and day labels (SVG user units).

    The value labels (highest and lowest; one when every vintage published the same value)
    sit left of the plot, whose left edge leaves room for the longest of them.
    """
    when = found.values["published"].to_numpy(dtype="datetime64[D]").astype("int64")
    value = found.values["value"].to_numpy(dtype="float64")
    texts = dict.fromkeys(fmt.count(v) for v in (value.max(), value.min()))
    left = max(_LEFT, math.ceil(_PAD + max(map(label_width, texts)) + _GAP))
    xs = _scale(when.astype("float64"), left, WIDTH - _RIGHT)
    ys = _scale(value, HEIGHT - _BOTTOM, _TOP)
    path = f"M{xs[0]:.1f},{ys[0]:.1f}" + "".join(
        f" H{x:.1f} V{y:.1f}" for x, y in zip(xs[1:], ys[1:], strict=True)
    )
    first, last = found.values["published"].iloc[[0, -1]]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "font_size": FONT_SIZE,
        "left": left,
        "label_x": left - _GAP,
        "right": WIDTH - _RIGHT,
        "path": path,
        "dots": [(f"{x:.1f}", f"{y:.1f}") for x, y in zip(xs, ys, strict=True)],
        "grid": [(f"{y:.1f}", text) for y, text in zip((ys.min(), ys.max()), texts, strict=False)],
        "ticks": [
            (left, "start", fmt.day(first.date())),
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
    """The side panel's "How this figure was revised" block ("" without an archive).

    A chart and its figures when two vintages or more published the value; "One published
    version" and the figure when one did; a hint when none did.
    """
    if found is None:
        return ""
    context = {"name": name, "what": what, "day": fmt.day(found.day)}
    context |= {"figures": None, "single": None}
    if len(found.values) == 1:  # nothing to chart: a flat line between two equal days
        context["single"] = summary(found)
    elif len(found.values):
        context |= {"figures": summary(found), "chart": chart_context(found)}
    return render("dashboard/revisions.html.j2", **context)


def revised_line_html(found: RevisionSeries | None) -> str:
    """The compact line under the headline: Maryland's figure first published vs now."""
    if found is None or len(found.values) < 2:
        return ""
    return render("dashboard/revisions_line.html.j2", **summary(found))
