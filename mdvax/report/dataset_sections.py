"""The report's sections of the datasets beyond the county table (ZIP codes, third doses, groups).

Each section shows the vintage in force on the report's day: its latest figures, the week's
change, and the largest revisions against the vintage in force a week earlier (or the one
before it, when none was published that week)
(:mod:`mdvax.report.dataset_figures` computes them). :func:`load`
(:mod:`mdvax.report.dataset_inputs`) is the one place the vintages are read; :func:`section`
only formats frames, so it is tested without an archive. A dataset with no vintage in force
says so in one line: the report never fails for it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from mdvax import format as fmt
from mdvax.config import get_settings
from mdvax.datasets import DATASETS, UNASSIGNED_ZIP
from mdvax.measures import LABELS
from mdvax.report import dataset_figures as figures
from mdvax.report.dataset_inputs import DatasetVintages, load
from mdvax.templates import render

if TYPE_CHECKING:
    from mdvax.report.inputs import ReportInputs

__all__ = ["NAMES", "TITLES", "DatasetVintages", "load", "of_report", "section"]

#: The datasets with a section, in the report's order.
NAMES = tuple(name for name in DATASETS if name != "county")
#: Each section's heading.
TITLES = {
    "zip": "ZIP codes",
    "third_dose": "Third doses",
    "age": "By age",
    "race": "By race",
    "ethnicity": "By ethnicity",
    "gender": "By gender",
}
#: Rows of the ZIP gains and of every revisions table.
SHOWN = 10


def of_report(data: ReportInputs, data_dir: str | Path | None = None) -> str:
    """Every dataset's section for the report of ``data`` (the notebook's one call).

    The report's day is its as-of day (the data as published then), else the publication day
    of its data (a report of the newest data): each dataset is read as in force that day.
    """
    settings = get_settings(data_dir=data_dir) if data_dir else get_settings()
    day = data.provenance.as_of or data.provenance.published
    return "\n".join(section(load(name, day, settings), data.measure) for name in NAMES)


def section(vintages: DatasetVintages, measure: str) -> str:
    """The HTML of one dataset's section (its heading, figures and revisions)."""
    name = vintages.dataset
    title = TITLES[name]
    if vintages.now is None or vintages.now.empty:
        note = vintages.note or f"no vintage in force on {vintages.day}"
        return render("report/dataset.html.j2", id=_id(name), title=title, note=note, blocks=[])
    column = figures.value_column(name, measure)
    label = "Third doses" if name == "third_dose" else LABELS[column]
    build = _zip_blocks if name == "zip" else _day_blocks
    blocks = [*build(vintages, column, label), _revision_block(vintages, column, label)]
    return render("report/dataset.html.j2", id=_id(name), title=title, note="", blocks=blocks)


def _id(dataset: str) -> str:
    return f"mdvax-{dataset.replace('_', '-')}"


def _block(
    text: str, rows: list = (), header: tuple = (), suffix: str = "", headings: bool = False
) -> dict:
    """A paragraph and its table (none without ``rows``), for ``report/dataset.html.j2``."""
    return {"text": text, "rows": list(rows), "header": header, "suffix": suffix,
            "headings": headings}  # fmt: skip


def _day_blocks(vintages: DatasetVintages, column: str, label: str) -> list[dict]:
    """Latest figures and the week's change of a table by day (statewide, or by group)."""
    now, name = vintages.now, vintages.dataset
    intro = f"From {_data(vintages.day, vintages.published)}"
    if name == "third_dose":
        week = figures.week_change(now, column)
        day = week.attrs["day"]
        newest = now[now["date"] == day].iloc[-1]
        rows = [
            (f"Third doses to {fmt.iso(day)} (cumulative)", fmt.count(week["value"].iloc[0])),
            (f"third doses given on {fmt.iso(day)}", fmt.count(newest["third_dose_daily"])),
            ("7-day average", fmt.count(newest["third_dose_7day"])),
            ("change over 7 days", fmt.change(week["change_7d"].iloc[0])),
        ]
        text = f"{intro}: third doses given in Maryland, by day of vaccination."
        return [_block(text, rows, suffix="latest", headings=True)]
    groups = figures.by_group(now, column)
    day = groups.attrs["day"]
    rows = [
        (str(group), fmt.count(r.value), fmt.percent(r.share, 1), fmt.change(r.change_7d))
        for group, r in groups.iterrows()
    ]
    rows.append(("Total", fmt.count(groups["value"].sum()), fmt.percent(100.0, 1),
                 fmt.change(groups["change_7d"].sum())))  # fmt: skip
    text = (
        f"{intro}: {label.lower()} by {name} on {fmt.iso(day)} (cumulative, statewide; the "
        "state publishes no county breakdown). The shares include the people it could not "
        "place in a group."
    )
    header = ("Group", label, "Share of the total", "Change over 7 days")
    return [_block(text, rows, header, "latest", headings=True)]


def _zip_blocks(vintages: DatasetVintages, column: str, label: str) -> list[dict]:
    """The ZIP table's totals, and the ZIPs that gained most since the week before."""
    totals = figures.zip_totals(vintages.now, column)
    rows = [
        ("Maryland ZIP codes with figures", f"{totals['zips']:,}"),
        (f"{label}, every ZIP code", fmt.count(totals["total"])),
        ("of which with no ZIP code", fmt.count(totals["unassigned"])),
    ]
    text = f"From {_data(vintages.day, vintages.published)} (cumulative)."
    week_before = fmt.iso(vintages.since_day)
    if vintages.before is not None:
        before = figures.zip_totals(vintages.before, column)
        rows.append((f"change since {_data(vintages.since_day, vintages.published_before)}",
                     fmt.change(totals["total"] - before["total"])))  # fmt: skip
    blocks = [_block(text, rows, suffix="latest", headings=True)]
    if vintages.before is None:
        return blocks
    gains = figures.zip_changes(vintages.before, vintages.now, column).head(SHOWN)
    gains = gains[gains["change"] > 0]
    if not gains.empty:
        rows = [(_zip(r.zip), fmt.count(r.old), fmt.count(r.new), fmt.change(r.change))
                for r in gains.itertuples(index=False)]  # fmt: skip
        text = f"The {len(rows)} ZIP codes that gained most since the data of {week_before}:"
        blocks.append(_block(text, rows, ("ZIP code", week_before, "Now", "Change"), "gains"))
    return blocks


def _zip(value: str) -> str:
    return "no ZIP code" if value == UNASSIGNED_ZIP else str(value)


def _revision_block(vintages: DatasetVintages, column: str, label: str) -> dict:
    """The largest revisions between the vintage in force a week earlier and this one."""
    if vintages.before is None:
        return _block("Revisions: no earlier vintage to compare with.")
    if _same(vintages):
        return _block(f"Revisions: none; the data in force on {fmt.iso(vintages.since_day)} is "
                      "the same.")  # fmt: skip
    name = vintages.dataset
    changes = figures.revisions(vintages.before, vintages.now, name, column)
    what = "ZIP codes whose count fell" if name == "zip" else f"figures of {label.lower()}"
    since = _data(vintages.since_day, vintages.published_before)
    if changes.empty:
        return _block(f"Revisions since {since}: no {what}.")
    text = (
        f"Revisions since {since}: {len(changes):,} {what} "
        f"(net {fmt.change(changes['change'].sum())}); the largest:"
    )
    keys = figures.KEYS[name]
    header = tuple({"zip": "ZIP code", "date": "Day", "group": "Group"}[k] for k in keys)
    rows = [
        (*(_key(k, getattr(r, k)) for k in keys), fmt.count(r.old), fmt.count(r.new),
         fmt.change(r.change))
        for r in changes.head(SHOWN).itertuples(index=False)
    ]  # fmt: skip
    return _block(text, rows, (*header, "Before", "Now", "Change"), "revisions")


def _data(day: date, published: date | None) -> str:
    """``the data in force on D``, with its publication day when it is known."""
    text = f"the data in force on {fmt.iso(day)}"
    return f"{text} (published {fmt.iso(published)})" if published else text


def _same(vintages: DatasetVintages) -> bool:
    """Whether the vintage a week earlier is this one (nothing was published in between)."""
    if vintages.published is not None and vintages.published_before is not None:
        return vintages.published == vintages.published_before
    return vintages.before.equals(vintages.now)


def _key(name: str, value: object) -> str:
    if name == "date":
        return fmt.iso(pd.Timestamp(value))
    return _zip(value) if name == "zip" else str(value)
