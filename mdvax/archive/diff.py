"""Pure pandas: canonical tables to long values, and what changed between two of them."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mdvax.errors import ArchiveError
from mdvax.normalize.schema import DOSES

#: Measures the archive stores: the daily first, second and single doses. Every other column of
#: the canonical table follows from them (cumulative = running sum from the first date,
#: ``at_least_one = first + single``, ``fully_vaccinated = second + single``). Daily rather than
#: cumulative counts, because one revised day changes one daily value but every later
#: cumulative value: storing cumulative counts would multiply each revision.
STORED_MEASURES = tuple(f"{dose}_daily" for dose in DOSES)

KEYS = ["county", "measure", "date"]


def to_long(table: pd.DataFrame, measures: Sequence[str] = STORED_MEASURES) -> pd.DataFrame:
    """One row per (county, measure, date) with an int64 ``value``.

    Raises
    ------
    ArchiveError
        When a column is missing, a value is missing, or a (county, date) appears twice.
    """
    missing = [c for c in ("county", "date", *measures) if c not in table.columns]
    if missing:
        raise ArchiveError(
            f"table to archive lacks column(s) {', '.join(missing)} "
            f"(has {', '.join(map(str, table.columns))})"
        )
    if table.duplicated(["county", "date"]).any():
        first = table[table.duplicated(["county", "date"])].iloc[0]
        raise ArchiveError(
            f"table to archive has (county, date) {first['county']}, "
            f"{first['date']:%Y-%m-%d} more than once"
        )
    if table[list(measures)].isna().any().any():
        raise ArchiveError("table to archive has missing values in " + ", ".join(measures))
    long = table.melt(id_vars=["county", "date"], value_vars=list(measures), var_name="measure")
    long["county"] = long["county"].astype(str)
    long["date"] = pd.to_datetime(long["date"]).dt.normalize()
    long["value"] = long["value"].astype("int64")
    return long[[*KEYS, "value"]]


def diff_long(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Outer comparison of two long frames.

    Returns
    -------
    pandas.DataFrame
        ``county, measure, date, old, new, status`` for every value that is not identical,
        ``status`` being ``"added"`` (only in ``new``), ``"removed"`` (only in ``old``) or
        ``"revised"`` (in both, different).
    """
    merged = old.rename(columns={"value": "old"}).merge(
        new.rename(columns={"value": "new"}), on=KEYS, how="outer"
    )
    merged["old"] = merged["old"].astype("Int64")
    merged["new"] = merged["new"].astype("Int64")
    in_old, in_new = merged["old"].notna(), merged["new"].notna()
    status = pd.Series("revised", index=merged.index, dtype=object)
    status[~in_old] = "added"
    status[~in_new] = "removed"
    differs = ~(in_old & in_new) | (merged["old"] != merged["new"]).fillna(True)
    out = merged[differs].copy()
    out["status"] = status[differs].astype(str)
    return out.reset_index(drop=True)


def as_revisions(changes: pd.DataFrame) -> pd.DataFrame:
    """The ``"revised"`` rows of :func:`diff_long`'s output, largest ``|change|`` first.

    Returns
    -------
    pandas.DataFrame
        ``county, date, measure, old, new, change`` (int64).
    """
    changes = changes[changes["status"] == "revised"]
    out = changes[["county", "date", "measure"]].copy()
    out["old"] = changes["old"].astype("int64")
    out["new"] = changes["new"].astype("int64")
    out["change"] = out["new"] - out["old"]
    order = out["change"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def revised(old: pd.DataFrame, new: pd.DataFrame, measures: Sequence[str]) -> pd.DataFrame:
    """Values of ``measures`` present in both canonical tables whose value changed.

    Returns
    -------
    pandas.DataFrame
        As :func:`as_revisions`.
    """
    return as_revisions(diff_long(to_long(old, measures), to_long(new, measures)))
