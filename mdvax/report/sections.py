"""The report's sections as HTML fragments, from :class:`mdvax.report.inputs.ReportInputs`.

The data quality section (quarantine, revisions) is in :mod:`mdvax.report.quality`, the
sections of the other datasets in :mod:`mdvax.report.dataset_sections`.

The HTML comes from Jinja templates with autoescape (``mdvax/templates/report/``): text from
the data (county names, source names, messages) is escaped by construction and never writes
markup. Numbers read as on the dashboard (:mod:`mdvax.format`).
"""

from __future__ import annotations

import pandas as pd
from IPython.display import SVG

from mdvax import format as fmt
from mdvax.measures import LABELS
from mdvax.normalize.counties import STATE, UNASSIGNED
from mdvax.provenance import fetched_text, source_text
from mdvax.render import MapView, Picture, county_figures
from mdvax.render import map_picture as render_picture
from mdvax.report import figures
from mdvax.report.inputs import STALE_AFTER_DAYS, ReportInputs
from mdvax.report.quality import quality as quality
from mdvax.stats import county_view, state_totals, state_view
from mdvax.templates import Markup, render

#: Counties drawn beside the state in the time-series chart (largest by population).
TOP_COUNTIES = 5


def _table(rows: list, header: tuple = (), element_id: str = "", headings: bool = False) -> str:
    """An HTML table of text cells (escaped); ``headings``: the first cell of a row is a th."""
    return render(
        "report/table.html.j2", rows=rows, header=header, id=element_id, headings=headings
    )


def title(data: ReportInputs) -> str:
    """The report's heading: its day (figures asked for, else the as-of day, else the newest)."""
    day = data.report_day or data.provenance.as_of or data.day
    return f"Maryland COVID-19 vaccinations: report of {day:%Y-%m-%d}"


def heading(data: ReportInputs) -> str:
    """The heading and one line saying which day the figures are of and when they came out."""
    p = data.provenance
    return render(
        "report/heading.html.j2", title=title(data), day=data.day, p=p,
        fetched=fetched_text(p), source=source_text(p),
    )  # fmt: skip


def summary(data: ReportInputs) -> dict:
    """Headline figures as plain values (stored with the report, shown in the index)."""
    state = state_view(data.table, data.day, data.measure, data.population)
    return {
        "figures_date": f"{data.day:%Y-%m-%d}",
        "measure": data.measure,
        "value": state["value"],
        "unassigned": state["unassigned"],
        "change_7d": state["change_7d"],
        "change_28d": state["change_28d"],
        "sha256": data.provenance.sha256,
        "fetched_at": data.provenance.fetched_at.isoformat(),
        "source_last_date": data.provenance.last_date.isoformat(),
        "published": data.provenance.published.isoformat(),
        "stale": data.provenance.stale,
        "revisions": len(data.revisions.changes),
    }


def headline(data: ReportInputs) -> str:
    """State total on the report day, its counties/unassigned split, and 7/28-day change."""
    state = state_view(data.table, data.day, data.measure, data.population)
    counties = state["value"] - state["unassigned"]
    rows = [
        (f"{LABELS[data.measure]}, {STATE}, {fmt.iso(data.day)}", fmt.count(state["value"])),
        ("of which assigned to the 24 counties", fmt.count(counties)),
        ("of which not assigned to a county", fmt.count(state["unassigned"])),
        ("share of the population (2019 estimate)", fmt.percent(state["pct"], 2)),
        ("change over 7 days", fmt.change(state["change_7d"])),
        ("change over 28 days", fmt.change(state["change_28d"])),
    ]
    return _table(rows, element_id="mdvax-headline", headings=True)


def ranking(data: ReportInputs) -> str:
    """The 24 counties ranked (by share of population when ``per_capita``), then Unassigned."""
    view = county_view(
        data.table, data.day, data.measure, data.population, per_capita_rank=data.per_capita
    )
    view = view.sort_values(["rank", "value"], ascending=[True, False])
    rows = [
        (
            str(r.rank),
            str(r.Index),
            fmt.count(r.value),
            fmt.percent(r.pct, 2),
            fmt.change(r.change_7d),
        )
        for r in view.itertuples()
    ]
    state = state_view(data.table, data.day, data.measure, data.population)
    unassigned = data.table[data.table["county"] == UNASSIGNED].set_index("date")[data.measure]
    week_before = unassigned.get(data.day - pd.Timedelta(days=7), 0)
    rows += [
        ("", UNASSIGNED, fmt.count(state["unassigned"]), "",
         fmt.change(unassigned.get(data.day, 0) - week_before)),
        ("", STATE, fmt.count(state["value"]), fmt.percent(state["pct"], 2),
         fmt.change(state["change_7d"])),
    ]  # fmt: skip
    header = ("Rank", "County", LABELS[data.measure], "% of population", "Change over 7 days")
    return _table(rows, header, "mdvax-ranking")


def _figure(svg: str, element_id: str, alt: str, caption: str, table: dict | None = None) -> SVG:
    """An SVG display object with its ``id``, description, caption and table alternative.

    The page shows it as a figure (``mdvax_report`` template): the image with ``alt``, the
    caption, and ``table`` (``summary``, ``header``, ``rows``, all text) in a ``<details>``.
    """
    svg = figures.accessible(svg, element_id, alt, caption)
    meta = {"id": element_id, "alt": alt, "caption": caption}
    if table:
        meta["table"] = table
    return SVG(data=svg, metadata=meta)


def map_picture(data: ReportInputs) -> Picture:
    """The map's classes, fills and legend: the dashboard's for the same view.

    :func:`mdvax.render.map_picture` scales them from 0 to the highest county figure on any day
    of the data, so a report of a past day is coloured as the dashboard is on that day.
    """
    view = MapView(data.day.date(), data.measure, daily=False, per_capita=data.per_capita)
    figures = county_figures(data.table, data.population, data.measure, False, data.per_capita)
    return render_picture(figures, view)


def choropleth(data: ReportInputs) -> SVG:
    """Map of the measure by county (share of population when ``per_capita``)."""
    view = county_view(data.table, data.day, data.measure, data.population)
    column = "pct" if data.per_capita else "value"
    picture = map_picture(data)
    text, names = picture.title, picture.names
    title = f"{text} on {fmt.iso(data.day)}"
    svg = figures.choropleth_svg(data.geometry, picture.fills, picture.legend, text, title)
    shown = view[column].dropna().sort_values(ascending=False)

    def number(value: float) -> str:
        if pd.isna(value):
            return "no data"
        return fmt.percent(value, 2) if data.per_capita else fmt.count(value)

    caption = (
        f"Colour classes, lightest to darkest: {'; '.join(names)}. "
        f"Highest: {shown.index[0]} ({number(shown.iloc[0])}); "
        f"lowest: {shown.index[-1]} ({number(shown.iloc[-1])}). "
        'Every county\'s figures are in the table below and in "Counties ranked".'
    )
    rows = [
        (name, number(value), picture.class_name(view.at[name, "fips"]))
        for name, value in view[column].sort_index().items()
    ]
    table = {"summary": "The map as a table", "header": ("County", text, "Colour class"),
             "rows": rows}  # fmt: skip
    return _figure(svg, figures.MAP_ID, f"Map of Maryland's counties: {title}", caption, table)


def timeseries(data: ReportInputs) -> SVG:
    """Chart of the measure over time: the state and the five most populous counties."""
    counties = data.population.drop(STATE).nlargest(TOP_COUNTIES).index.tolist()
    table = data.table[data.table["date"] <= data.day]
    wide = table.pivot(index="date", columns="county", values=data.measure)[counties]
    wide.insert(0, STATE, state_totals(table)[data.measure])
    name = LABELS[data.measure]
    title = f"{name} to {fmt.iso(data.day)}"
    svg = figures.timeseries_svg(wide, name, title)
    alt = f"Chart over time: {title}, {STATE} and {', '.join(counties)}"
    weekly = wide.loc[wide.index[::-1][::7]]  # the report's day and every 7th day before it
    caption = (
        f"Upper panel: {STATE}; lower panel: {', '.join(counties)}, from "
        f"{fmt.iso(wide.index[0])} to {fmt.iso(wide.index[-1])}. The table below gives the "
        "figures every 7 days."
    )
    rows = [
        (fmt.iso(day), *(fmt.count(v) if pd.notna(v) else "" for v in values))
        for day, values in zip(weekly.index, weekly.to_numpy(), strict=True)
    ]
    chart = {"summary": "The chart as a table (every 7 days)",
             "header": ("Day", *wide.columns), "rows": rows}  # fmt: skip
    return _figure(svg, figures.TIMESERIES_ID, alt, caption, chart)


def provenance(data: ReportInputs) -> str:
    """Source, fetch time, raw sha256, the source's newest day, and a staleness warning."""
    p = data.provenance
    rows = [
        ("Source", p.url if p.url and not p.shipped else source_text(p)),
        (
            "Fetched at",
            f"{p.fetched_at:%Y-%m-%d %H:%M:%S} UTC" if fetched_text(p) else "not fetched",
        ),
        ("Raw file sha256", Markup("<code>{}</code>").format(p.sha256)),
        ("Published", fmt.iso(p.published)),
        ("Data range", f"{fmt.iso(p.first_date)} to {fmt.iso(p.last_date)}"),
    ]
    if p.as_of is not None:
        rows.append(("Data as published on", fmt.iso(p.as_of)))
    return render("report/provenance.html.j2", rows=rows, p=p, stale_after=STALE_AFTER_DAYS)
