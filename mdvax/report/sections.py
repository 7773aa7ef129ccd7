"""The report's sections as HTML fragments, from :class:`mdvax.report.inputs.ReportInputs`.

Every piece of text that comes from the data (county names, source names, messages) goes
through :func:`html.escape` or pandas' escaping ``to_html``: the data never writes markup.
"""

from __future__ import annotations

import html

import pandas as pd
from IPython.display import SVG

from mdvax.normalize.counties import STATE, UNASSIGNED
from mdvax.report import figures
from mdvax.report.inputs import STALE_AFTER_DAYS, ReportInputs
from mdvax.stats import MEASURES, county_view, label, state_totals, state_view

#: Counties drawn beside the state in the time-series chart (largest by population).
TOP_COUNTIES = 5
#: Revisions listed one by one (the rest are counted).
MAX_REVISIONS_LISTED = 15


def _n(value: float) -> str:
    return f"{int(value):,}"


def _signed(value: float) -> str:
    return f"{int(value):+,}"


def title(data: ReportInputs) -> str:
    """The report's heading: its day (figures asked for, else the as-of day, else the newest)."""
    day = data.report_day or data.provenance.as_of or data.day
    return f"Maryland COVID-19 vaccinations: report of {day:%Y-%m-%d}"


def heading(data: ReportInputs) -> str:
    """The heading and one line saying which day the figures are of and when they came out."""
    p = data.provenance
    return (
        f"<h1>{html.escape(title(data))}</h1>"
        f"<p>Figures of {data.day:%Y-%m-%d}, from the data published {p.published:%Y-%m-%d} "
        f"(fetched {p.fetched_at:%Y-%m-%d %H:%M} UTC).</p>"
    )


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
    name = MEASURES[data.measure]
    counties = state["value"] - state["unassigned"]
    rows = [
        (f"{name}, {STATE}, {data.day:%Y-%m-%d}", _n(state["value"])),
        ("of which assigned to the 24 counties", _n(counties)),
        ("of which not assigned to a county", _n(state["unassigned"])),
        ("share of the population (2019 estimate)", f"{state['pct']:.2f}%"),
        ("change over 7 days", _signed(state["change_7d"])),
        ("change over 28 days", _signed(state["change_28d"])),
    ]
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="mdvax-table" id="mdvax-headline">{body}</table>'


def ranking(data: ReportInputs) -> str:
    """The 24 counties ranked (by share of population when ``per_capita``), then Unassigned."""
    view = county_view(
        data.table, data.day, data.measure, data.population, per_capita_rank=data.per_capita
    )
    view = view.sort_values(["rank", "value"], ascending=[True, False])
    name = MEASURES[data.measure]
    table = pd.DataFrame(
        {
            "Rank": view["rank"].astype(str),
            "County": view.index.astype(str),
            name: view["value"].map(_n),
            "% of population": view["pct"].map("{:.2f}%".format),
            "Change over 7 days": view["change_7d"].map(_signed),
        }
    )
    state = state_view(data.table, data.day, data.measure, data.population)
    unassigned = data.table[data.table["county"] == UNASSIGNED].set_index("date")[data.measure]
    week_before = unassigned.get(data.day - pd.Timedelta(days=7), 0)
    change = _signed(unassigned.get(data.day, 0) - week_before)
    extra = pd.DataFrame(
        [
            ["", UNASSIGNED, _n(state["unassigned"]), "", change],
            ["", STATE, _n(state["value"]), f"{state['pct']:.2f}%", _signed(state["change_7d"])],
        ],
        columns=table.columns,
    )
    table = pd.concat([table, extra], ignore_index=True)
    return table.to_html(
        index=False, escape=True, classes="mdvax-table", table_id="mdvax-ranking", border=0
    )


def _figure(svg: str, element_id: str, alt: str) -> SVG:
    """An SVG display object carrying its ``id`` and description for the HTML page."""
    return SVG(data=svg, metadata={"id": element_id, "alt": alt})


def choropleth(data: ReportInputs) -> SVG:
    """Map of the measure by county (share of population when ``per_capita``)."""
    view = county_view(data.table, data.day, data.measure, data.population)
    column = "pct" if data.per_capita else "value"
    text = label(data.measure, per_capita=data.per_capita)
    title = f"{text} on {data.day:%Y-%m-%d}"
    svg = figures.choropleth_svg(data.geometry, view[column], text, title)
    return _figure(svg, figures.MAP_ID, f"Map of Maryland's counties: {title}")


def timeseries(data: ReportInputs) -> SVG:
    """Chart of the measure over time: the state and the five most populous counties."""
    counties = data.population.drop(STATE).nlargest(TOP_COUNTIES).index.tolist()
    table = data.table[data.table["date"] <= data.day]
    wide = table.pivot(index="date", columns="county", values=data.measure)[counties]
    wide.insert(0, STATE, state_totals(table)[data.measure])
    name = MEASURES[data.measure]
    title = f"{name} to {data.day:%Y-%m-%d}"
    svg = figures.timeseries_svg(wide, name, title)
    alt = f"Chart over time: {title}, {STATE} and {', '.join(counties)}"
    return _figure(svg, figures.TIMESERIES_ID, alt)


def provenance(data: ReportInputs) -> str:
    """Source, fetch time, raw sha256, the source's newest day, and a staleness warning."""
    p = data.provenance
    rows = [
        ("Source", html.escape(p.source)),
        ("Fetched at", f"{p.fetched_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("Raw file sha256", f"<code>{html.escape(p.sha256)}</code>"),
        ("Published", f"{p.published:%Y-%m-%d}"),
        ("Data range", f"{p.first_date:%Y-%m-%d} to {p.last_date:%Y-%m-%d}"),
    ]
    if p.as_of is not None:
        rows.append(("Data as published on", f"{p.as_of:%Y-%m-%d}"))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    table = f'<table class="mdvax-table" id="mdvax-provenance">{body}</table>'
    if p.stale:
        note = (
            f'<p class="mdvax-warning" id="mdvax-stale"><strong>Stale data:</strong> the source\'s '
            f"newest day is {p.last_date:%Y-%m-%d}, {p.days_behind} days before "
            f"{p.reference:%Y-%m-%d}; it has not moved for more than {STALE_AFTER_DAYS} days.</p>"
        )
    else:
        note = (
            f'<p class="mdvax-ok">The source is current: its newest day is '
            f"{p.last_date:%Y-%m-%d} ({p.days_behind} day(s) before {p.reference:%Y-%m-%d}).</p>"
        )
    return table + note


def quality(data: ReportInputs) -> str:
    """Quarantined rows and revisions since the previous report."""
    parts = [_quarantine(data.quarantine), _revisions(data)]
    return "\n".join(parts)


def _quarantine(rows: pd.DataFrame | None) -> str:
    if rows is None:
        return "<p>Quarantined rows: not kept in the archive for past versions of the data.</p>"
    if rows.empty:
        return "<p>Quarantined rows: none (every source row had a valid date).</p>"
    shown = rows[[c for c in ("date", "county", "reason") if c in rows.columns]].head(20)
    table = shown.to_html(index=False, escape=True, classes="mdvax-table", border=0)
    return f"<p>Quarantined rows: {len(rows):,} set aside by validation:</p>{table}"


def _revisions(data: ReportInputs) -> str:
    rev = data.revisions
    if rev.since is None or rev.note:
        return f"<p>Revisions: {html.escape(rev.note)}.</p>"
    changes = rev.changes
    if changes.empty:
        return (
            f"<p>Revisions since the previous report's data (published {rev.since:%Y-%m-%d}): "
            f"none; no figure already published changed.</p>"
        )
    by_measure = changes.groupby("measure")["change"].agg(["count", "sum"])
    by_measure = by_measure.reindex([m for m in MEASURES if m in by_measure.index])
    counts = ", ".join(
        f"{MEASURES.get(m, m)}: {int(r['count']):,} figures (net {_signed(r['sum'])})"
        for m, r in by_measure.iterrows()
    )
    chosen = changes[changes["measure"] == data.measure].head(MAX_REVISIONS_LISTED)
    listed = pd.DataFrame(
        {
            "County": chosen["county"].astype(str),
            "Day": pd.to_datetime(chosen["date"]).dt.strftime("%Y-%m-%d"),
            "Before": chosen["old"].map(_n),
            "Now": chosen["new"].map(_n),
            "Change": chosen["change"].map(_signed),
        }
    )
    table = listed.to_html(
        index=False, escape=True, classes="mdvax-table", table_id="mdvax-revisions", border=0
    )
    return (
        f"<p>Revisions since the previous report's data (published {rev.since:%Y-%m-%d}): "
        f"{html.escape(counts)}. Largest revisions of {html.escape(MEASURES[data.measure])} "
        f"(cumulative):</p>{table}"
    )
