"""A small SVG line chart with a key, for the views beyond the county map.

Hand-made like the county panel's chart (:mod:`mdvax.dashboard.panel`): matplotlib would add
~30 MB to every visitor's kernel. Text is escaped by the template; the chart has a text name
(``role="img"`` + ``aria-label``) and the views put the same figures in a table beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd
from markupsafe import Markup

from mdvax import format as fmt
from mdvax.templates import render

#: Chart size in SVG user units (it scales to the page's width).
WIDTH, HEIGHT = 640, 240
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 70, 12, 10, 24
#: Line colours, each at least 3:1 against white (WCAG 1.4.11): Okabe-Ito's darker ones (told
#: apart with colour-blindness) then darker extras; grey is kept for the unknown share.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#000000", "#8c6d1f", "#7b3294", "#1b7837")
UNKNOWN_COLOUR = "#6b6b6b"


@dataclass(frozen=True)
class Line:
    """One series: its name, values (indexed by day), and whether it is the unknown share."""

    name: str
    values: pd.Series
    unknown: bool = False


def vintage_text(as_of: date | None) -> str:
    """Which vintage a view shows: the one in force on ``as_of``, or the newest."""
    return f"the vintage in force on {fmt.day(as_of)}" if as_of else "the newest vintage"


def nice_max(value: float) -> float:
    """A round top for the y axis at or above ``value``, whose quarters read well too."""
    if value <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    for k in (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10):
        if value <= k * scale * (1 + 1e-12):
            return round(k * scale, 10)
    return 10 * scale


def _axis_text(value: float, percent: bool) -> str:
    return f"{value:g}%" if percent else fmt.count(value)


def lines_svg(
    lines: list[Line], label: str, percent: bool = False, top: float | None = None
) -> Markup:
    """The series over time as one SVG chart and its key.

    Parameters
    ----------
    lines : list of Line
        Series sharing one date axis (their union); missing days are gaps.
    label : str
        The chart's accessible name.
    percent : bool
        Y values are percentages (axis reads ``%``).
    top : float, optional
        Top of the y axis (default: a round number above the largest value).
    """
    if not lines:
        return ""
    days = pd.DatetimeIndex(sorted(set().union(*(ln.values.index for ln in lines))))
    n = len(days)
    peak = max(float(ln.values.max()) for ln in lines if len(ln.values))
    top = top if top is not None else nice_max(peak)
    plot_w, plot_h = WIDTH - _PAD_L - _PAD_R, HEIGHT - _PAD_T - _PAD_B
    where = {day: i for i, day in enumerate(days)}

    def x(day: pd.Timestamp) -> float:
        return _PAD_L + plot_w * where[day] / max(n - 1, 1)

    def y(value: float) -> float:
        return _PAD_T + plot_h * (1 - value / top)

    paths, key = [], []
    for i, line in enumerate(lines):
        colour = UNKNOWN_COLOUR if line.unknown else PALETTE[i % len(PALETTE)]
        values = line.values.dropna()
        points = " L".join(f"{x(d):.1f},{y(float(v)):.1f}" for d, v in values.items())
        paths.append(("M" + points if points else "", colour, "5,3" if line.unknown else ""))
        key.append((colour, "dashed" if line.unknown else "solid", line.name))
    grid = [(y(top * k / 4), _axis_text(top * k / 4, percent)) for k in range(5)]
    ticks = [(x(days[0]), "start", fmt.day(days[0].date()))]
    if n > 1:
        ticks.append((x(days[-1]), "end", fmt.day(days[-1].date())))
    return Markup(render(
        "dashboard/lines.html.j2", label=label, width=WIDTH, height=HEIGHT, left=_PAD_L,
        right=WIDTH - _PAD_R, bottom=HEIGHT - 6, grid=grid, ticks=ticks, paths=paths, key=key,
    ))  # fmt: skip
