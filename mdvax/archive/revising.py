"""The archive's revision queries (a part of :class:`mdvax.archive.Archive`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import pandas as pd

from mdvax.archive.dates import as_date
from mdvax.archive.diff import revised
from mdvax.archive.frames import MEASURE_COLUMNS
from mdvax.archive.history import (
    county_revisions,
    revision_counts,
    revision_series,
    revisions_made,
)
from mdvax.archive.steps import StepsReader
from mdvax.measures import check_column


class RevisionQueries:
    """How values were revised; mixed into :class:`mdvax.archive.Archive` (its engine)."""

    def revision_reader(self) -> StepsReader:
        """Revision series read once per county and measure, then computed in memory.

        For a session that shows many days of the same series (the dashboard's panel).
        """
        with self._errors("read the vintages"):
            return StepsReader(self.engine)

    def revision_series(
        self, county: str, measure: str, day: date | datetime | str
    ) -> pd.DataFrame:
        """One value as every vintage published it: the revision history of a single cell.

        Parameters
        ----------
        county : str
            Any spelling :func:`mdvax.normalize.counties.canonical_county` accepts.
        measure : str
            A column of the canonical table (``first_dose``, ``at_least_one_daily``...).
        day : date
            The data date.

        Returns
        -------
        pandas.DataFrame
            ``published``, ``vintage_id``, ``value`` (Int64, NA for vintages whose data ends
            before ``day``) and ``change`` from the previous vintage, oldest vintage first.
        """
        check_column(measure)
        day = as_date(day, "data date")
        with self._errors("read a revision series"), self.engine.connect() as conn:
            return revision_series(conn, county, measure, day)

    def changes_between(
        self,
        old: date | datetime | str,
        new: date | datetime | str,
        measures: Sequence[str] = MEASURE_COLUMNS,
    ) -> pd.DataFrame:
        """Values the source revised between the vintages in force on ``old`` and ``new``.

        Returns
        -------
        pandas.DataFrame
            ``county, date, measure, old, new, change``, largest ``|change|`` first (dates
            only in the newer vintage are not revisions and are left out).
        """
        for measure in measures:
            check_column(measure)
        return revised(self.table_as_of(old), self.table_as_of(new), measures)

    def revisions(
        self, county: str, measure: str, as_of: date | datetime | str | None = None
    ) -> pd.DataFrame:
        """Revision history of one county's measure: every vintage that changed a value.

        Parameters
        ----------
        county : str
            Any spelling :func:`mdvax.normalize.counties.canonical_county` accepts.
        measure : str
            A column of the canonical table (``first_dose``, ``first_dose_daily``...).
        as_of : date, optional
            Only vintages published on or before this date.

        Returns
        -------
        pandas.DataFrame
            ``date, published, vintage_id, old, new, change``, by date then vintage.
        """
        check_column(measure)
        limit = as_date(as_of) if as_of is not None else None
        with self._errors("read revisions"), self.engine.connect() as conn:
            return county_revisions(conn, county, measure, limit)

    def revisions_published(
        self,
        first: date | datetime | str,
        last: date | datetime | str,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Stored daily counts revised by the vintages published from ``first`` to ``last``.

        Each row is one value one vintage changed, compared with the vintage before it (which
        may be older than ``first``); new dates are not revisions.

        Parameters
        ----------
        limit : int, optional
            Only the ``limit`` largest (default: all).

        Returns
        -------
        pandas.DataFrame
            ``county, date, measure, old, new, change, published, vintage_id``, largest
            ``|change|`` first.
        """
        first, last = as_date(first, "first day"), as_date(last, "last day")
        with self._errors("read revisions"), self.engine.connect() as conn:
            return revisions_made(conn, first, last, limit)

    def revision_counts(
        self, first: date | datetime | str, last: date | datetime | str
    ) -> pd.DataFrame:
        """How many stored values each vintage published from ``first`` to ``last`` revised.

        Returns
        -------
        pandas.DataFrame
            ``vintage_id, measure, count`` (only the vintages and measures with revisions).
        """
        first, last = as_date(first, "first day"), as_date(last, "last day")
        with self._errors("count revisions"), self.engine.connect() as conn:
            return revision_counts(conn, first, last)
