"""Stored long values back to the canonical table (the derived columns are recomputed)."""

from __future__ import annotations

import pandas as pd

from mdvax.archive.diff import STORED_MEASURES
from mdvax.measures import COLUMNS
from mdvax.normalize.schema import DOSES
from mdvax.normalize.table import derive_measures

#: Value columns of the canonical table, cumulative then daily.
MEASURE_COLUMNS = COLUMNS  # every measure column (mdvax.measures)

#: Resolution of the canonical table's dates (pandas 3's default for parsed timestamps).
DATE_DTYPE = "datetime64[us]"


def from_long(long: pd.DataFrame) -> pd.DataFrame:
    """The canonical table from ``county, measure, date, value`` rows of the stored measures.

    The cumulative doses are the running sums of the stored daily ones (the first day's daily
    count is the cumulative count, as in the canonical table); the other columns come from the
    same :func:`mdvax.normalize.table.derive_measures` that builds the current table.

    Parameters
    ----------
    long : pandas.DataFrame
        Stored values of one vintage (any subset of counties).

    Returns
    -------
    pandas.DataFrame
        Same columns and dtypes as :func:`mdvax.api.load_table`, sorted by county and date.
    """
    return derive_measures(dose_table(long))


def dose_table(long: pd.DataFrame) -> pd.DataFrame:
    """``date, county`` and the cumulative doses, from stored long values (see :func:`from_long`).

    What :func:`mdvax.archive.tables.encode` keeps of a vintage: :func:`derive_measures` of it
    is the canonical table.
    """
    wide = long.pivot(index=["date", "county"], columns="measure", values="value")
    wide = wide.reindex(columns=list(STORED_MEASURES)).reset_index()
    wide.columns.name = None
    wide["date"] = pd.to_datetime(wide["date"]).astype(DATE_DTYPE)
    wide = wide.sort_values(["county", "date"], ignore_index=True)
    cumulative = wide.groupby("county", sort=False)[list(STORED_MEASURES)].cumsum()
    wide[list(DOSES)] = cumulative.astype("int64").to_numpy()
    return wide[["date", "county", *DOSES]]
