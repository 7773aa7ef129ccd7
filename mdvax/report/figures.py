"""Static figures for the report, as SVG text that does not change between runs.

The figures are drawn with matplotlib's object API (no pyplot, no GUI backend) and saved as
SVG without the creation date and with a fixed id salt, so the same data gives the same
bytes. Each SVG's root group carries an ``id`` (``mdvax-map``, ``mdvax-timeseries``) that
tests and readers can find.

Accessibility (WCAG 2.1 AA): :func:`accessible` gives each SVG a ``<title>`` and ``<desc>`` that
its root names with ``role="img"`` and ``aria-labelledby``; the map's counties are outlined in
:data:`OUTLINE` so even the lightest colour class stands out 3:1 from the white page (1.4.11),
and its legend lists the classes as text. The report shows the figures again as tables.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Mapping
from html import escape

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from mdvax.render import NO_DATA, OUTLINE
from mdvax.render import choropleth_svg as choropleth_svg_

__all__ = ["NO_DATA", "OUTLINE", "accessible", "choropleth_svg", "timeseries_svg", "to_svg"]

#: Fixed salt for the ids matplotlib writes into SVG (the default is random per process).
SVG_SALT = "mdvax-report"

MAP_ID = "mdvax-map"
TIMESERIES_ID = "mdvax-timeseries"

#: Colour and dash of the county lines: each 3:1 or more against white (WCAG 1.4.11), and told
#: apart by dash as well as by colour (1.4.1).
LINES = (
    ("#0072b2", "-"),
    ("#d55e00", "--"),
    ("#009e73", ":"),
    ("#7b3294", "-."),
    ("#8c510a", (0, (6, 2, 1, 2, 1, 2))),
)


def to_svg(fig: Figure) -> str:
    """The figure as SVG text with no timestamp and stable element ids."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def accessible(svg: str, element_id: str, title: str, description: str) -> str:
    """``svg`` with a ``<title>`` and ``<desc>`` first in its root, which names them.

    The root gets ``role="img"`` and ``aria-labelledby`` pointing at both, so a screen reader
    reads the title and description of the SVG file opened on its own.
    """
    start = svg.index("<svg ")
    end = svg.index(">", start)
    ids = f"{element_id}-title {element_id}-desc"
    return (
        f'{svg[:end]} role="img" aria-labelledby="{ids}">'
        f'\n <title id="{element_id}-title">{escape(title, quote=False)}</title>'
        f'\n <desc id="{element_id}-desc">{escape(description, quote=False)}</desc>'
        f"{svg[end + 1 :]}"
    )


def _thousands(value: float, _pos: object = None) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 1_000:
        return f"{value / 1_000:.0f}k"
    return f"{value:.0f}"


def choropleth_svg(
    geometry: dict, fills: Mapping[str, str], legend: list[tuple[str, str]], label: str, title: str
) -> str:
    """A map of Maryland's counties in colour classes, outlined, with the classes as text.

    Drawn by :func:`mdvax.render.choropleth_svg`, the renderer of the server's still picture of
    the dashboard: one map renderer for both.

    Parameters
    ----------
    geometry : dict
        GeoJSON FeatureCollection of the counties (feature ``id`` = FIPS, ``properties.name``).
    fills : mapping
        FIPS -> fill colour (hex), e.g. :attr:`mdvax.render.Picture.fills` (counties missing
        from it are drawn grey).
    legend : list of (str, str)
        The classes, lowest first: colour and text (``"50k to under 100k"``).
    label : str
        Legend title.
    title : str
        Title above the map.

    Returns
    -------
    str
        SVG text.
    """
    return choropleth_svg_(
        geometry,
        fills,
        legend=legend,
        legend_title=label,
        heading=title,
        element_id=MAP_ID,
        standalone=True,
    )


def timeseries_svg(series: pd.DataFrame, label: str, title: str) -> str:
    """Lines over time: the state in the upper panel, counties in the lower one.

    Parameters
    ----------
    series : pandas.DataFrame
        Indexed by date; the first column is the state, the others counties.
    label : str
        Y axis label.
    title : str
        Title above the chart.

    Returns
    -------
    str
        SVG text.
    """
    fig = Figure(figsize=(9, 6), layout="constrained")
    fig.set_gid(TIMESERIES_ID)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 3])
    state, counties = series.columns[0], series.columns[1:]
    top.plot(series.index, series[state], color="black", linewidth=2, label=state)
    for name, (colour, dash) in zip(counties, itertools.cycle(LINES), strict=False):
        bottom.plot(
            series.index, series[name], color=colour, linestyle=dash, linewidth=1.6, label=name
        )
    for ax in (top, bottom):
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_ylim(bottom=0)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize="small")
    top.set_title(title)
    for tick in bottom.get_xticklabels():
        tick.set_rotation(30)
        tick.set_horizontalalignment("right")
    return to_svg(fig)
