"""Static figures for the report, as SVG text that does not change between runs.

The figures are drawn with matplotlib's object API (no pyplot, no GUI backend) and saved as
SVG without the creation date and with a fixed id salt, so the same data gives the same
bytes. Each SVG's root group carries an ``id`` (``mdvax-map``, ``mdvax-timeseries``) that
tests and readers can find.
"""

from __future__ import annotations

import io

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

#: Fixed salt for the ids matplotlib writes into SVG (the default is random per process).
SVG_SALT = "mdvax-report"

MAP_ID = "mdvax-map"
TIMESERIES_ID = "mdvax-timeseries"


def to_svg(fig: Figure) -> str:
    """The figure as SVG text with no timestamp and stable element ids."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def _thousands(value: float, _pos: object = None) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 1_000:
        return f"{value / 1_000:.0f}k"
    return f"{value:.0f}"


def choropleth_svg(geometry: dict, values: pd.Series, label: str, title: str) -> str:
    """A map of Maryland's counties coloured by ``values``.

    Parameters
    ----------
    geometry : dict
        GeoJSON FeatureCollection of the counties, ``properties.name`` = county name.
    values : pandas.Series
        Value per county name (counties missing from it are drawn grey).
    label : str
        Colour bar label.
    title : str
        Title above the map.

    Returns
    -------
    str
        SVG text.
    """
    import geopandas as gpd

    frame = gpd.GeoDataFrame.from_features(geometry["features"], crs="EPSG:4326")
    frame["value"] = frame["name"].map(values).astype("float64")
    # Maryland State Plane (metres): shapes as on official maps, not stretched lat/lon.
    frame = frame.to_crs("EPSG:26985")
    fig = Figure(figsize=(9, 5.2), layout="constrained")
    fig.set_gid(MAP_ID)
    ax = fig.add_subplot()
    frame.plot(
        column="value",
        ax=ax,
        cmap="viridis",
        edgecolor="white",
        linewidth=0.6,
        legend=True,
        legend_kwds={"label": label, "shrink": 0.7, "format": FuncFormatter(_thousands)},
        missing_kwds={"color": "lightgrey", "label": "no data"},
    )
    ax.set_axis_off()
    ax.set_title(title)
    return to_svg(fig)


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
    for name in counties:
        bottom.plot(series.index, series[name], linewidth=1.4, label=name)
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
