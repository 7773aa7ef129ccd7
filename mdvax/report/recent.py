"""The report's "Revisions over the last 28 days": the largest revisions and a chart per vintage.

The figures come from :func:`mdvax.revisions.recent` (the same code the dashboard and the
command line use); this module only formats them. Revisions are those of the daily counts the
state publishes (first, second and single doses): one revised day is one revision there,
where it would move every later cumulative figure.
"""

from __future__ import annotations

import base64
import io

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mdvax import format as fmt
from mdvax.archive import STORED_MEASURES
from mdvax.measures import label
from mdvax.report import figures
from mdvax.report.inputs import ReportInputs
from mdvax.revisions import RecentRevisions
from mdvax.templates import render

#: Revisions listed in the section's table.
LISTED = 10
#: ``id`` of the chart's root element (and prefix of its title and description ids).
CHART_ID = "mdvax-revision-counts"
#: One colour per stored measure (colour-blind safe: Okabe-Ito blue, orange, green).
COLOURS = ("#0072B2", "#E69F00", "#009E73")


def measure_label(stored: str) -> str:
    """``first_dose_daily`` -> ``First doses (daily)``."""
    return label(stored.removesuffix("_daily"), daily=True)


def section(data: ReportInputs) -> str:
    """The section's HTML: heading, summary, the largest revisions, the chart and its table."""
    recent = data.recent
    if isinstance(recent, str):
        return render("report/recent.html.j2", note=recent)
    window = f"{fmt.iso(recent.first)} to {fmt.iso(recent.last)}"
    per_vintage = recent.per_vintage
    if per_vintage.empty or not recent.total:
        return render("report/recent.html.j2", note="", window=window,
                      n_vintages=len(per_vintage), changes=0)  # fmt: skip
    rows = [
        (r.county, fmt.iso(r.date), measure_label(r.measure), fmt.count(r.old),
         fmt.count(r.new), fmt.change(r.change), fmt.iso(r.published))
        for r in recent.largest.head(LISTED).itertuples(index=False)
    ]  # fmt: skip
    counts = [
        (fmt.iso(r.published), *(fmt.count(getattr(r, m)) for m in STORED_MEASURES),
         fmt.count(r.total))
        for r in per_vintage.itertuples(index=False)
    ]  # fmt: skip
    title = f"Daily counts revised by each version published from {window}"
    busiest = per_vintage.loc[per_vintage["total"].idxmax()]
    desc = (
        f"Stacked bars, one per version of the data (x: publication date), of the number of "
        f"daily counts it revised: first, second and single doses. {len(per_vintage)} "
        f"versions revised {fmt.count(recent.total)} values; the most, "
        f"{fmt.count(busiest['total'])}, by the version published "
        f"{fmt.iso(busiest['published'])}."
    )
    chart = base64.b64encode(chart_svg(recent, title, desc).encode("utf-8")).decode("ascii")
    return render(
        "report/recent.html.j2", note="", window=window, n_vintages=len(per_vintage),
        changes=recent.total, rows=rows, counts=counts, chart=chart, chart_id=CHART_ID,
        alt=title, caption=desc,
        header=("County", "Day", "Measure", "Before", "Now", "Change", "Revised by the version of"),
        counts_header=("Version published", *map(measure_label, STORED_MEASURES), "Total"),
    )  # fmt: skip


def chart_svg(recent: RecentRevisions, title: str, desc: str) -> str:
    """Stacked bars of the values each vintage revised: an SVG file with a title and desc.

    Returns
    -------
    str
        SVG text whose root (``role="img"``) is labelled by its ``<title>`` and ``<desc>``
        (:func:`mdvax.report.figures.accessible`).
    """
    table = recent.per_vintage
    # Fixed margins rather than a layout engine or a tight bounding box: one draw, not three.
    fig = Figure(figsize=(9, 3.6))
    fig.subplots_adjust(left=0.08, right=0.99, bottom=0.16, top=0.9)
    fig.set_gid(CHART_ID)
    ax = fig.add_subplot()
    x = range(len(table))
    bottom = pd.Series(0, index=table.index)
    for measure, colour in zip(STORED_MEASURES, COLOURS, strict=True):
        ax.bar(x, table[measure], bottom=bottom, color=colour, width=0.8,
               label=measure_label(measure))  # fmt: skip
        bottom = bottom + table[measure]
    step = max(1, len(table) // 10)
    ax.set_xticks(list(x)[::step], [f"{d:%m-%d}" for d in table["published"]][::step])
    ax.set_xlabel(f"Version published ({table['published'].iloc[0]:%Y}, month-day)")
    ax.set_ylabel("Daily counts revised")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    ax.set_title(title)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": figures.SVG_SALT, "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return figures.accessible(buffer.getvalue(), CHART_ID, title, desc)
