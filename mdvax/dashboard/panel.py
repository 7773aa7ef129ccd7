"""HTML of the side panel (state totals or one county), its chart, and the page's banners.

The HTML comes from Jinja templates with autoescape (``mdvax/templates/dashboard/``): text
derived from the data is escaped by construction. The chart is a small hand-made SVG:
matplotlib would add ~30 MB and half a second to every visitor's kernel for two lines.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from mdvax import format as fmt
from mdvax import measures
from mdvax.config import MARYLAND_DATASET_PAGE
from mdvax.dashboard.model import View
from mdvax.dashboard.state import NAME_BY_FIPS, ViewState
from mdvax.provenance import Provenance, fetched_text, source_text, stopped_on
from mdvax.templates import render

#: Chart size in SVG user units (it scales to the panel's width).
CHART_W, CHART_H = 340, 170
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 38, 10, 10, 24
COUNTY_COLOUR, STATE_COLOUR = "#225ea8", "#6b6b6b"


def state_html(view: View, state: ViewState) -> str:
    """Maryland's totals on the day (unassigned doses included)."""
    s = view.state
    rows = [
        ("Total", fmt.count(s["value"])),
        ("% of population", fmt.share(s["pct"], state.daily)),
        ("Not yet assigned to a county", fmt.count(s["unassigned"])),
        ("Change over 7 days", fmt.change(s["change_7d"])),
    ]
    title = measures.label(state.measure, state.daily)
    return render(
        "dashboard/panel.html.j2", fips=None, name="Maryland", day=state.date, title=title,
        rows=rows,
    )  # fmt: skip


def county_html(view: View, state: ViewState) -> str:
    """One county's figures on the day (its chart is :func:`chart_svg`)."""
    fips = state.county
    name = NAME_BY_FIPS[fips]
    row = view.counties.loc[name]
    by = "% of population" if state.per_capita else "count"
    rows = [
        ("Total", fmt.count(row["value"])),
        ("% of population", fmt.share(row["pct"], state.daily)),
        (f"Rank among 24 (by {by})", f"{int(row['rank'])} of 24"),
        ("Change over 7 days", fmt.change(row["change_7d"])),
    ]
    title = measures.label(state.measure, state.daily)
    return render(
        "dashboard/panel.html.j2", fips=fips, name=name, day=state.date, title=title, rows=rows
    )


def headline_html(view: View, state: ViewState) -> str:
    """One sentence over the map: the state's total, its share and the unassigned part."""
    v = view.state
    return render(
        "dashboard/headline.html.j2", value=v["value"], pct=v["pct"], unassigned=v["unassigned"],
        what=measures.label(state.measure, state.daily).lower(), day=state.date,
        daily=state.daily,
    )  # fmt: skip


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 25, 50, 100):
        if value <= step * 4:
            return step * 4
    return value


def _x(index: int, count: int) -> float:
    return _PAD_L + (CHART_W - _PAD_L - _PAD_R) * index / max(count - 1, 1)


def _svg(cls: str, label: str = "", **parts: object) -> str:
    """The chart template: grid, ticks, lines, marker, key (every part optional)."""
    context = {"grid": (), "ticks": (), "lines": (), "marker": None, "name": ""} | parts
    return render(
        "dashboard/chart.html.j2", cls=cls, label=label, width=CHART_W, height=CHART_H,
        left=_PAD_L, right=CHART_W - _PAD_R, top=_PAD_T, bottom=CHART_H - _PAD_B,
        county_colour=COUNTY_COLOUR, state_colour=STATE_COLOUR, **context,
    )  # fmt: skip


def chart_svg(series: pd.DataFrame, name: str) -> str:
    """Two lines over time, county and state (% of population); an inline SVG and its key.

    The selected day is drawn by :func:`marker_svg` on top, so a date step re-sends only that.
    """
    dates = pd.DatetimeIndex(series.index)
    n = len(dates)
    top = _nice_max(float(series.to_numpy().max()))
    plot_h = CHART_H - _PAD_T - _PAD_B

    def y(v: float) -> float:
        return _PAD_T + plot_h * (1 - v / top)

    grid = [(y(top * k / 4), f"{top * k / 4:g}%") for k in range(5)]
    ticks = [
        (_x(i, n), CHART_H - 6, anchor, fmt.day(dates[i].date()))
        for i, anchor in ((0, "start"), (n - 1, "end"))
    ]
    lines = [
        (
            "M" + " L".join(f"{_x(i, n):.1f},{y(float(v)):.1f}" for i, v in enumerate(values)),
            colour,
            dash,
        )
        for values, colour, dash in (
            (series["state"].to_numpy(), STATE_COLOUR, "5,3"),
            (series["county"].to_numpy(), COUNTY_COLOUR, ""),
        )
    ]
    label = f"{name} and Maryland, % of population over time"
    return _svg("mdvax-chart", label, grid=grid, ticks=ticks, lines=lines, name=name)


def marker_svg(series: pd.DataFrame, day: date) -> str:
    """The selected day as a vertical line, drawn over :func:`chart_svg` (same geometry)."""
    dates = pd.DatetimeIndex(series.index)
    where = dates.get_indexer([pd.Timestamp(day)])[0]
    if where < 0:
        return ""
    return _svg("mdvax-chart mdvax-marker-svg", marker=f"{_x(where, len(dates)):.1f}")


def provenance_html(prov: Provenance, today: date | None = None) -> str:
    """The "data as of" banner: last day in the source, when it was fetched, from where."""
    return render(
        "dashboard/provenance.html.j2",
        prov=prov,
        source=source_text(prov),
        fetched=fetched_text(prov),
        dataset_page=MARYLAND_DATASET_PAGE if prov.source.startswith("maryland") else "",
        stopped=stopped_on(prov, today),
    )


def about_html(newest: Provenance, today: date | None = None) -> str:
    """The "About the data" section: what the figures are, and the day the source stopped.

    ``newest`` is the newest vintage's provenance, whichever vintage is shown.
    """
    return render("dashboard/about.html.j2", stopped=stopped_on(newest, today))


def notes_html(notes: list[str]) -> str:
    """Visible notes (escaped), e.g. link parameters that were ignored."""
    return render("dashboard/notes.html.j2", notes=notes) if notes else ""


def link_html(page_url: str, query: str) -> str:
    """The "link to this view" field (absolute if the address is known) and a relative link."""
    full = f"{page_url}?{query}" if page_url else f"?{query}"
    return render("dashboard/link.html.j2", full=full, query=query)


def download_html(name: str, href: str) -> str:
    """The link that saves the current view's CSV (``href`` is a ``data:`` URL)."""
    return render("dashboard/download.html.j2", name=name, href=href)
