"""The figures of the report's dataset sections, from frames in the contract's columns.

Pure functions over :data:`mdvax.datasets.COLUMNS` frames (no archive, no I/O): the latest
figures of the vintage in force on the report's day, the week's change, and what the state
revised between that vintage and the one in force a week earlier.

- The statewide tables by day (``third_dose``, ``age``, ``race``, ``ethnicity``, ``gender``)
  are cumulative by vaccination day: the latest figures are those of the newest day, the
  week's change the difference with seven days before (a group's newest row on or before
  then), and a revision a figure of a day (and group) both vintages hold that differs.
- The ZIP table is a snapshot per vintage, with no day: the week's change is each ZIP's
  difference between the two vintages, and a revision a ZIP whose count fell (a cumulative
  count falls only when the state revises it).
"""

from __future__ import annotations

import pandas as pd

from mdvax.datasets import COLUMNS, DEMOGRAPHICS, UNASSIGNED_ZIP

__all__ = [
    "KEYS",
    "by_group",
    "revisions",
    "value_column",
    "week_change",
    "zip_changes",
    "zip_totals",
]

#: The columns that identify a figure of each dataset (the rest are counts).
KEYS: dict[str, tuple[str, ...]] = {
    "zip": ("zip",),
    "third_dose": ("date",),
    **{name: ("date", "group") for name in DEMOGRAPHICS},
}


def value_column(dataset: str, measure: str) -> str:
    """The count a section shows: the report's measure, or the cumulative third doses."""
    if dataset == "third_dose":
        return "third_dose"
    if measure not in COLUMNS[dataset]:
        raise ValueError(f"{dataset} has no column {measure!r}: {', '.join(COLUMNS[dataset])}")
    return measure


def revisions(before: pd.DataFrame, now: pd.DataFrame, dataset: str, column: str) -> pd.DataFrame:
    """Figures both vintages hold that differ, the largest change first.

    For ``zip`` only the counts that fell (the others grew with the week's new doses).

    Returns
    -------
    pandas.DataFrame
        The key columns of ``dataset``, then ``old``, ``new``, ``change``; ties in size are
        ordered by key.
    """
    keys = list(KEYS[dataset])
    both = before[[*keys, column]].merge(now[[*keys, column]], on=keys, suffixes=("_old", "_new"))
    both = both.rename(columns={f"{column}_old": "old", f"{column}_new": "new"})
    both["change"] = both["new"] - both["old"]
    changed = both[both["change"] < 0] if dataset == "zip" else both[both["change"] != 0]
    order = changed.assign(size=changed["change"].abs()).sort_values(
        ["size", *keys], ascending=[False, *[True] * len(keys)], kind="stable"
    )
    return order.drop(columns="size").reset_index(drop=True)


def _on_or_before(frame: pd.DataFrame, day: pd.Timestamp, column: str) -> pd.Series:
    """Each group's (or the state's) newest figure on or before ``day``; missing: 0."""
    rows = frame[frame["date"] <= day].sort_values("date")
    if "group" not in rows.columns:
        return pd.Series({"": rows[column].iloc[-1] if len(rows) else 0})
    return rows.groupby("group", sort=False)[column].last()


def week_change(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The newest day's figures and their change over seven days, by group (or statewide).

    Returns
    -------
    pandas.DataFrame
        Indexed by group (``""`` for a table without groups), columns ``value`` and
        ``change_7d``; ``attrs["day"]`` is the newest day.
    """
    day = frame["date"].max()
    value = _on_or_before(frame, day, column)
    week = _on_or_before(frame, day - pd.Timedelta(days=7), column)
    out = pd.DataFrame({"value": value})
    out["change_7d"] = out["value"] - week.reindex(out.index).fillna(0).astype("int64")
    out.attrs["day"] = day
    return out


def by_group(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """:func:`week_change` of a demographic table with each group's share of the total (%).

    The shares are of every group's count, the unknown and not-available groups included, so
    the share the state could not place is shown beside the others.
    """
    out = week_change(frame, column)
    total = out["value"].sum()
    out["share"] = 100 * out["value"] / total if total else float("nan")
    return out.sort_values(["value"], ascending=False, kind="stable")


def zip_totals(frame: pd.DataFrame, column: str) -> dict[str, int]:
    """The ZIP table's totals: ``zips`` (Maryland ZIPs), ``total``, ``unassigned``."""
    unassigned = frame["zip"] == UNASSIGNED_ZIP
    return {
        "zips": int((~unassigned).sum()),
        "total": int(frame[column].sum()),
        "unassigned": int(frame.loc[unassigned, column].sum()),
    }


def zip_changes(before: pd.DataFrame, now: pd.DataFrame, column: str) -> pd.DataFrame:
    """Each ZIP's change between two vintages, the largest gain first.

    ZIPs only in ``now`` count from 0; ZIPs only in ``before`` are left out (their change is
    not a week's doses).

    Returns
    -------
    pandas.DataFrame
        ``zip, old, new, change``.
    """
    old = before.set_index("zip")[column]
    new = now.set_index("zip")[column]
    out = pd.DataFrame({"old": old.reindex(new.index).fillna(0).astype("int64"), "new": new})
    out["change"] = out["new"] - out["old"]
    out = out.rename_axis("zip").reset_index()
    return out.sort_values(["change", "zip"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
