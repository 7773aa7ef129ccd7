"""The vintages a report's dataset section compares, read in one place (the loader seam).

:func:`load` reads, through the vintages service (:mod:`mdvax.vintages`, the archive's one
reader), the table of a dataset in force on the report's day and the one in force a week
earlier; :mod:`mdvax.report.dataset_sections` formats them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from mdvax import vintages as service
from mdvax.config import Settings
from mdvax.errors import MdvaxError

__all__ = ["WEEK", "DatasetVintages", "load"]

#: Days between the two vintages a section compares.
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class DatasetVintages:
    """The two vintages of a dataset one section compares.

    Attributes
    ----------
    dataset : str
        One of :data:`NAMES`.
    day : date
        The report's day: ``now`` is the vintage in force then.
    now : pandas.DataFrame or None
        That vintage's table (None: no vintage was in force; ``note`` says why).
    before : pandas.DataFrame or None
        The table in force a week before ``day`` (None: none was).
    note : str
        Why there is no ``now``.
    published, published_before : date or None
        Publication days of ``now`` and ``before`` (None: not known).
    since : date or None
        The day ``before`` was in force (None: a week before ``day``).
    """

    dataset: str
    day: date
    now: pd.DataFrame | None
    before: pd.DataFrame | None = None
    note: str = ""
    published: date | None = None
    published_before: date | None = None
    since: date | None = None

    @property
    def since_day(self) -> date:
        """The day the vintage compared with was in force."""
        return self.since or self.day - WEEK


def load(dataset: str, day: date, settings: Settings) -> DatasetVintages:
    """Read the vintages of ``dataset`` in force on ``day`` and a week before it.

    When no vintage was published in that week (the same one was in force), the one compared
    with is the vintage before it (in force the day before its publication).

    Through the vintages service (:func:`mdvax.vintages.dataset_in_force`, the archive's one
    rule; the tables as :func:`mdvax.api.load_table` reads them). Never raises for want of
    data: a missing archive or vintage is a ``note``.
    """
    if not service.archive_exists(settings):
        return DatasetVintages(dataset, day, None, note="no archive to read it from")

    def read(when: date) -> tuple[pd.DataFrame, date]:
        provenance = service.dataset_in_force(settings, dataset, when)
        table = service.archived_table(settings, provenance, dataset=dataset).copy()
        return table, provenance.published

    try:
        now, published = read(day)
    except MdvaxError as error:
        return DatasetVintages(dataset, day, None, note=f"no vintage in force on {day}: {error}")
    try:
        since = day - WEEK
        before, published_before = read(since)
        if published_before == published:  # none published that week: the one before this
            since = published - timedelta(days=1)
            before, published_before = read(since)
    except MdvaxError:
        before = published_before = since = None
    return DatasetVintages(dataset, day, now, before, published=published,
                           published_before=published_before, since=since)  # fmt: skip
