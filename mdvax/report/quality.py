"""The report's data quality section: quarantined rows and revisions (HTML fragments).

From :class:`mdvax.report.inputs.ReportInputs`; text from the data is escaped by the templates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from mdvax import format as fmt
from mdvax.measures import LABELS
from mdvax.report import recent
from mdvax.templates import render

if TYPE_CHECKING:
    from mdvax.report.inputs import ReportInputs

#: Revisions listed one by one (the rest are counted).
MAX_REVISIONS_LISTED = 15


def quality(data: ReportInputs) -> str:
    """Quarantined rows, revisions since the previous report, then the last 28 days' revisions."""
    parts = [quarantine(data.quarantine), revisions(data), recent.section(data)]
    return "\n".join(parts)


def quarantine(rows: pd.DataFrame | None) -> str:
    """The rows the newest update set aside (the first 20), or that the archive keeps none."""
    if rows is None:
        return render("report/quarantine.html.j2", rows=None, header=(), total=0)
    header = tuple(c for c in ("date", "county", "reason") if c in rows.columns)
    shown = [tuple(map(cell, row)) for row in rows[list(header)].head(20).itertuples(False)]
    return render("report/quarantine.html.j2", rows=shown, header=header, total=len(rows))


def cell(value: object) -> str:
    """Text of a table cell: days as ``YYYY-MM-DD``, missing values empty."""
    if isinstance(value, pd.Timestamp):
        return fmt.iso(value)
    return "" if pd.isna(value) else str(value)


def revisions(data: ReportInputs) -> str:
    """What changed since the previous report: counts by measure, the largest of the measure."""
    rev = data.revisions
    if rev.since is None or rev.note:
        return render("report/revisions.html.j2", note=rev.note)
    changes = rev.changes
    if changes.empty:
        return render("report/revisions.html.j2", note="", since=rev.since,
                      published=rev.published, changed=False)  # fmt: skip
    by_measure = changes.groupby("measure")["change"].agg(["count", "sum"])
    by_measure = by_measure.reindex([m for m in LABELS if m in by_measure.index])
    counts = ", ".join(
        f"{LABELS.get(m, m)}: {int(r['count']):,} figures (net {fmt.change(r['sum'])})"
        for m, r in by_measure.iterrows()
    )
    chosen = changes[changes["measure"] == data.measure].head(MAX_REVISIONS_LISTED)
    rows = [
        (str(r.county), fmt.iso(pd.Timestamp(r.date)), fmt.count(r.old), fmt.count(r.new),
         fmt.change(r.change))
        for r in chosen.itertuples(index=False)
    ]  # fmt: skip
    return render(
        "report/revisions.html.j2", note="", since=rev.since, published=rev.published,
        changed=True, rows=rows, counts=counts, label=LABELS[data.measure],
        header=("County", "Day", "Before", "Now", "Change"),
    )  # fmt: skip
