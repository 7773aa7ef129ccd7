"""HTML of the side panel (state totals or one county) and its time-series chart, as strings.

The chart is a small hand-made SVG: matplotlib would add ~30 MB and half a second to every
visitor's kernel for two lines. Every piece of data-derived text is escaped here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from html import escape

import pandas as pd

from mdvax import stats
from mdvax.config import MARYLAND_DATASET_PAGE
from mdvax.dashboard.model import Provenance, View, fmt_change, fmt_count, fmt_pct
from mdvax.dashboard.state import NAME_BY_FIPS, ViewState

#: Chart size in SVG user units (it scales to the panel's width).
CHART_W, CHART_H = 340, 170
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 38, 10, 10, 24
COUNTY_COLOUR, STATE_COLOUR = "#225ea8", "#6b6b6b"


def day_text(day: date) -> str:
    """``30 Mar 2021``."""
    return f"{day.day} {day:%b %Y}"


def _row(label: str, value: str) -> str:
    return f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"


def state_html(view: View, state: ViewState) -> str:
    """Maryland's totals on the day (unassigned doses included)."""
    s = view.state
    rows = [
        _row("Total", fmt_count(s["value"])),
        _row("% of population", fmt_pct(s["pct"], state.daily)),
        _row("Not yet assigned to a county", fmt_count(s["unassigned"])),
        _row("Change over 7 days", fmt_change(s["change_7d"])),
    ]
    title = stats.label(state.measure, state.daily)
    return (
        '<div class="mdvax-panel" data-view="state">'
        f"<h3>Maryland, {escape(day_text(state.date))}</h3>"
        f'<div class="mdvax-sub">{escape(title)}</div>'
        f'<table class="mdvax-figures">{"".join(rows)}</table>'
        '<p class="mdvax-hint">Click a county on the map for its figures and trend.</p></div>'
    )


def county_html(view: View, state: ViewState) -> str:
    """One county's figures on the day (its chart is :func:`chart_svg`)."""
    fips = state.county
    name = NAME_BY_FIPS[fips]
    row = view.counties.loc[name]
    by = "% of population" if state.per_capita else "count"
    rows = [
        _row("Total", fmt_count(row["value"])),
        _row("% of population", fmt_pct(row["pct"], state.daily)),
        _row(f"Rank among 24 (by {by})", f"{int(row['rank'])} of 24"),
        _row("Change over 7 days", fmt_change(row["change_7d"])),
    ]
    title = stats.label(state.measure, state.daily)
    return (
        f'<div class="mdvax-panel" data-view="county" data-fips="{escape(fips)}">'
        f"<h3>{escape(name)}, {escape(day_text(state.date))}</h3>"
        f'<div class="mdvax-sub">{escape(title)}</div>'
        f'<table class="mdvax-figures">{"".join(rows)}</table>'
        f'<div class="mdvax-chart-title">% of population: {escape(name)} vs Maryland</div></div>'
    )


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 25, 50, 100):
        if value <= step * 4:
            return step * 4
    return value


def _x(index: int, count: int) -> float:
    return _PAD_L + (CHART_W - _PAD_L - _PAD_R) * index / max(count - 1, 1)


def _svg(cls: str, body: str, label: str = "") -> str:
    aria = f' role="img" aria-label="{escape(label)}"' if label else ' aria-hidden="true"'
    return f'<svg class="{cls}" viewBox="0 0 {CHART_W} {CHART_H}"{aria}>{body}</svg>'


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

    parts = []
    for k in range(5):
        v = top * k / 4
        parts.append(
            f'<line x1="{_PAD_L}" x2="{CHART_W - _PAD_R}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#e3e3e3"/><text x="{_PAD_L - 4}" y="{y(v) + 3:.1f}" text-anchor="end">'
            f"{v:g}%</text>"
        )
    for i, anchor in ((0, "start"), (n - 1, "end")):
        parts.append(
            f'<text x="{_x(i, n):.1f}" y="{CHART_H - 6}" text-anchor="{anchor}">'
            f"{escape(day_text(dates[i].date()))}</text>"
        )
    for column, colour, dash in (
        ("state", STATE_COLOUR, ' stroke-dasharray="5,3"'),
        ("county", COUNTY_COLOUR, ""),
    ):
        points = "M" + " L".join(
            f"{_x(i, n):.1f},{y(float(v)):.1f}" for i, v in enumerate(series[column].to_numpy())
        )
        parts.append(f'<path d="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
    key = (
        f'<div class="mdvax-chart-key"><span style="color:{COUNTY_COLOUR}">━ {escape(name)}</span>'
        f'<span style="color:{STATE_COLOUR}">╍ Maryland</span></div>'
    )
    label = f"{name} and Maryland, % of population over time"
    return _svg("mdvax-chart", "".join(parts), label) + key


def marker_svg(series: pd.DataFrame, day: date) -> str:
    """The selected day as a vertical line, drawn over :func:`chart_svg` (same geometry)."""
    dates = pd.DatetimeIndex(series.index)
    where = dates.get_indexer([pd.Timestamp(day)])[0]
    if where < 0:
        return ""
    x = _x(where, len(dates))
    line = (
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_PAD_T}" y2="{CHART_H - _PAD_B}" '
        'stroke="#c2185b" stroke-width="1.5" stroke-dasharray="3,2"/>'
    )
    return _svg("mdvax-chart mdvax-marker-svg", line)


def provenance_html(prov: Provenance, today: date | None = None) -> str:
    """The "data as of" banner: last day in the source, when it was fetched, from where."""
    today = today or datetime.now().date()
    stale_days = (today - prov.last_date).days
    fetched = (
        f", fetched {prov.fetched_at:%Y-%m-%d %H:%M} UTC" if prov.fetched_at is not None else ""
    )
    if prov.source.startswith("maryland"):
        source = (
            f'<a href="{escape(MARYLAND_DATASET_PAGE, quote=True)}" target="_blank" '
            'rel="noopener noreferrer">Maryland Department of Health open data</a>'
        )
    else:
        source = escape(prov.source)
    stale = ""
    if stale_days > 2:
        stale = (
            '<div class="mdvax-stale">The source stopped updating on '
            f"{escape(day_text(prov.last_date))}: nothing newer exists.</div>"
        )
    return (
        '<div class="mdvax-asof">'
        f"<b>Data as of {escape(day_text(prov.last_date))}</b> (last day in the source{fetched}). "
        f"Source: {source}.{stale}</div>"
    )


def notes_html(notes: list[str]) -> str:
    """Visible notes (escaped), e.g. link parameters that were ignored."""
    if not notes:
        return ""
    items = "".join(f"<li>{escape(n)}</li>" for n in notes)
    return f'<div class="mdvax-notes" role="status"><ul>{items}</ul></div>'


def compact(per_capita: bool) -> Callable[[float], str]:
    """Short legend numbers: ``45%``, ``0.5%``, ``350k``, ``1.2M``."""

    def fmt(value: float) -> str:
        if per_capita:
            return f"{value:g}%"
        for size, suffix in ((1e6, "M"), (1e3, "k")):
            if abs(value) >= size:
                return f"{value / size:g}{suffix}"
        return f"{value:g}"

    return fmt


def link_html(page_url: str, query: str) -> str:
    """The "link to this view" field (absolute if the address is known) and a relative link."""
    full = f"{page_url}?{query}" if page_url else f"?{query}"
    return (
        '<div class="mdvax-link"><label>Link to this view '
        f'<input type="text" readonly value="{escape(full, quote=True)}"></label> '
        f'<a href="?{escape(query, quote=True)}" target="_blank">open</a></div>'
    )
