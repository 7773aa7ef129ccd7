"""What the source revised, for a report: since the previous report, and over the last 28 days.

:func:`revisions_since` compares the vintage in force on the previous report's day with this
report's table; :func:`recent_revisions` lists what the vintages of the last 28 days revised.
Both say why in words (never raise) when the archive cannot tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from mdvax import measures, revisions, vintages
from mdvax.archive import Archive
from mdvax.archive.diff import revised
from mdvax.config import Settings
from mdvax.errors import MdvaxError
from mdvax.provenance import Provenance
from mdvax.revisions import RecentRevisions

__all__ = ["Revisions", "recent_revisions", "revisions_since"]


@dataclass(frozen=True)
class Revisions:
    """Figures the source changed between the previous report's day and this report's data.

    Attributes
    ----------
    since : date or None
        The previous report's day (the day its data was read as published on); None: no
        previous report.
    changes : pandas.DataFrame
        ``county, date, measure, old, new, change`` of the cumulative measures (largest
        first): the vintage published on ``since`` (in force that day) against this report's
        table; empty when none.
    note : str
        Why revisions could not be computed (empty when they were).
    published : date or None
        Publication date of the vintage compared with (in force on ``since``).
    """

    since: date | None
    changes: pd.DataFrame
    note: str = ""
    published: date | None = None


def revisions_since(
    settings: Settings, since: date | None, table: pd.DataFrame, provenance: Provenance
) -> Revisions:
    """The vintage in force on the previous report's day ``since`` against ``table``."""
    empty = pd.DataFrame(columns=["county", "date", "measure", "old", "new", "change"])
    if since is None:
        return Revisions(None, empty, "no earlier report to compare with")
    this_day = provenance.as_of or provenance.published
    if since > this_day:
        return Revisions(since, empty, f"the previous report (of {since:%Y-%m-%d}) read newer "
                         f"data than this one (as published on {this_day:%Y-%m-%d})")  # fmt: skip
    try:
        vintage, current = vintages.in_force(settings, since)
        before = vintages.table(settings, vintage, current)
    except MdvaxError as error:
        return Revisions(since, empty, f"revisions unavailable: {error}")
    changes = revised(before, table, list(measures.NAMES))
    return Revisions(since, changes, published=vintage.published)


def recent_revisions(url: str, provenance: Provenance) -> RecentRevisions | str:
    """What the vintages published in the 28 days to the report's day revised (or why not).

    The report's day is its as-of day (the data as published then), else its data's
    publication day.
    """
    last = provenance.as_of or provenance.published
    try:
        with Archive.open(url) as archive:
            return revisions.recent(last, revisions.WINDOW_DAYS, archive)
    except MdvaxError as error:
        return f"revisions unavailable: {error}"
