"""Signs that a snapshot was cut short: an incomplete last line, a county whose rows stop early.

A download or a copy that stopped part-way (``head -n``, a full disk, a connection that closed
without saying how much was to come) still parses. Without these checks the rows that made it
would be archived as what the state published, each county's missing days carried forward from
its last row. Both checks raise :class:`~mdvax.errors.TruncatedSnapshotError`, before anything
is stored; ``docs/archive.md`` ("Snapshots cut short") gives the rule and how the tolerance was
measured.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from mdvax.errors import SchemaError, TruncatedSnapshotError
from mdvax.normalize.counties import UNASSIGNED

#: Most days a series' last row may come before the snapshot's last day. The state's own files
#: lag: its blank-county rows end up to 5 days early (the 2021-04-06 commit), Kent's and
#: Somerset's one day (2021-04-26, 2022-03-07); a week or more is refused.
MAX_LAG_DAYS = 6
#: The same for the blank county (doses with no county), whose rows the state dropped for two
#: weeks: every vintage from 2021-06-08 to 2021-06-16 ends them on 2021-06-01 (14 days early,
#: measured over all 492 vintages of the state's repository).
MAX_BLANK_LAG_DAYS = 21

#: Longest piece of a line quoted back in a message.
_SHOWN = 60


def check_rows_complete(text: str) -> None:
    """Every CSV record has the header's number of fields.

    A short last record is a cut: the message says so before any other check can misread the
    partial row (a cut after the date leaves a blank county, which then "shares a day" with the
    real blank-county row). A short record elsewhere is a :class:`~mdvax.errors.SchemaError`
    naming its line.

    Raises
    ------
    TruncatedSnapshotError
        The last line is incomplete.
    SchemaError
        Another line has fewer fields than the header.
    """
    try:
        records = [(line, row) for line, row in _records(text) if row]
    except csv.Error:
        return  # pandas reports what it cannot read
    if len(records) < 2:
        return
    width = len(records[0][1])
    short = [(line, row) for line, row in records[1:] if len(row) < width]
    if not short:
        return
    line, row = short[-1]
    if line == records[-1][0]:
        shown = ",".join(row)
        shown = shown if len(shown) <= _SHOWN else "…" + shown[-_SHOWN:]
        raise TruncatedSnapshotError(
            f"the file looks truncated: its last line (line {line:,}) is incomplete, "
            f"{len(row)} of {width} fields ({shown!r}); was the download or copy cut short?"
        )
    line, row = short[0]
    raise SchemaError(
        f"{len(short):,} line(s) have fewer fields than the header: line {line:,} has "
        f"{len(row)} of {width} fields"
    )


def _records(text: str):
    """``(line number of the record's start, fields)`` for each CSV record (header is line 1)."""
    reader = csv.reader(io.StringIO(text))
    start = 1
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def check_series_end(
    rows: pd.DataFrame, max_lag: int = MAX_LAG_DAYS, max_blank_lag: int = MAX_BLANK_LAG_DAYS
) -> None:
    """No series' rows stop more than ``max_lag`` days before the snapshot's last day.

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows with ``date`` (day), ``series`` (the source's label, unpadded) and ``county``
        (canonical name), as :func:`mdvax.normalize.table.assign_counties` gives them.
    max_lag : int
        Days a series may end before the last day (:data:`MAX_LAG_DAYS`).
    max_blank_lag : int
        The same for the blank county's rows (:data:`MAX_BLANK_LAG_DAYS`).

    Raises
    ------
    TruncatedSnapshotError
        Naming each series that stops early, with its last day.
    """
    if rows.empty:
        return
    last = rows.groupby("series", sort=False)["date"].max()
    end = last.max()
    allowed = pd.Series(
        [max_blank_lag if series == "" else max_lag for series in last.index], index=last.index
    )
    late = last[last < end - pd.to_timedelta(allowed, unit="D")].sort_values()
    if late.empty:
        return
    county = rows.drop_duplicates("series").set_index("series")["county"]
    named = "; ".join(f"{_label(s, county[s])}: last row {d:%Y-%m-%d}" for s, d in late.items())
    raise TruncatedSnapshotError(
        f"the file looks cut short: rows stop early for {named}, while it runs to "
        f"{end:%Y-%m-%d}. A county's rows may end at most {max_lag} days before the file's "
        f"last day ({max_blank_lag} for the blank county's: the state's own files lag up to 5 "
        "and 14); was the download or copy cut short?"
    )


def _label(series: str, county: str) -> str:
    """How a message names a series: the county, with the source's label when it differs."""
    if county == UNASSIGNED:
        return f"{UNASSIGNED} ({repr(series) + ' rows' if series else 'blank county'})"
    return county if series.casefold() == county.casefold() else f"{county} ({series!r} rows)"
