"""The demographic views: each group's share of the doses over time, the unknown share apart.

Pure functions of an ``age``, ``race``, ``ethnicity`` or ``gender`` table
(:data:`mdvax.datasets.COLUMNS`): cumulative counts by vaccination date and group.
:mod:`mdvax.dashboard.views` shows them.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from mdvax import format as fmt
from mdvax import measures
from mdvax.dashboard.lines import Line, lines_svg, vintage_text
from mdvax.normalize import demographic_groups
from mdvax.templates import render

#: Groups that say nothing about the person: shown together as "Unknown" (dashed grey).
UNKNOWN_GROUPS = (demographic_groups.UNKNOWN, demographic_groups.FEDERAL)
UNKNOWN = "Unknown (incl. federal entities)"
TITLES = {"age": "Age", "race": "Race", "ethnicity": "Ethnicity", "gender": "Gender"}


def shares(table: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Each group's share of the state's cumulative ``measure`` on each day, in %.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``date``, one column per known group (first-seen order) then
        :data:`UNKNOWN` (the groups of :data:`UNKNOWN_GROUPS` added); each row sums to 100
        (NaN on days with no doses yet).
    """
    measures.check(measure)
    wide = table.pivot_table(
        index="date", columns="group", values=measure, aggfunc="sum", sort=False
    ).fillna(0)
    known = [g for g in pd.unique(table["group"]) if g not in UNKNOWN_GROUPS]
    out = wide[known].astype("float64")
    out[UNKNOWN] = wide[[g for g in UNKNOWN_GROUPS if g in wide.columns]].sum(axis=1)
    total = out.sum(axis=1)
    out = 100.0 * out.div(total.where(total > 0), axis=0)
    out.index = pd.to_datetime(out.index)
    out.columns.name = None
    return out.sort_index()


def counts_on(table: pd.DataFrame, measure: str, day: pd.Timestamp) -> pd.Series:
    """Each group's cumulative ``measure`` on ``day`` (unknown groups added, as in :func:`shares`)."""
    rows = table[pd.to_datetime(table["date"]) == day].groupby("group", sort=False)[measure].sum()
    known = rows.drop([g for g in UNKNOWN_GROUPS if g in rows.index])
    unknown = pd.Series({UNKNOWN: rows.reindex(list(UNKNOWN_GROUPS)).fillna(0).sum()})
    return pd.concat([known, unknown]).astype("int64")


def groups_html(dataset: str, table: pd.DataFrame, measure: str, published: date | None) -> str:
    """Heading, sentence, the shares chart and the last day's table of one dataset."""
    title = TITLES[dataset]
    what = measures.label(measure, False)
    vintage = vintage_text(published)
    share = shares(table, measure).dropna(how="all")
    if share.empty:
        return render(
            "dashboard/dataset_view.html.j2", key=dataset, title=f"By {title.lower()}",
            sentences=[f"No doses in this vintage ({vintage})."], charts=(), rows=(),
        )  # fmt: skip
    last = share.index[-1]
    counts = counts_on(table, measure, last)
    sentences = [
        f"{what} in Maryland by {title.lower()} and vaccination date ({vintage}): each "
        f"group's share of the state's total. The unknown share ({fmt.percent(share[UNKNOWN].iloc[-1])}"
        f" on {fmt.day(last.date())}) counts doses whose {title.lower()} was not recorded and "
        "those federal agencies reported to the state without details.",
        "There is no breakdown by county.",
    ]
    lines = [Line(g, share[g], unknown=g == UNKNOWN) for g in share.columns]
    label = f"{what}, share by {title.lower()} over time"
    charts = [(f"Share of {what.lower()} by {title.lower()}", lines_svg(lines, label, True))]
    rows = [
        (group, fmt.count(counts[group]), fmt.percent(share.loc[last, group]))
        for group in share.columns
    ]
    headers = (title, what, "% of total")
    return render(
        "dashboard/dataset_view.html.j2", key=dataset, title=f"By {title.lower()}",
        sentences=sentences, charts=charts, rows=rows, headers=headers,
        caption=f"{what} by {title.lower()} on {fmt.day(last.date())} ({vintage})",
    )  # fmt: skip
