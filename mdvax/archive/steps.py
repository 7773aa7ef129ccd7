"""Revision series from the stored versions, kept as two compact arrays.

A revision series is one value (a county's, or the state's: every county added up) on one day as
each vintage published it. Each stored version counts from the vintage that wrote it up to the
one that closed it, so the series is a running sum over the vintages of steps: ``+value`` at
``valid_from``, ``-value`` at ``valid_to``. :class:`Steps` keeps those steps for every day of
a set of series at once, summed per (day, vintage) and with the zero ones dropped: two int64
arrays whose size follows the revisions, not vintages x days. Any day's series is then a
slice and a running sum, with no database read: what lets the dashboard follow the date slider.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Connection, cast, func, select

from mdvax.archive.frames import DATE_DTYPE
from mdvax.archive.schema import series, value_versions, vintages

#: Canonical measure -> the stored daily doses it adds up.
PARTS = {
    "first_dose": ("first_dose",),
    "second_dose": ("second_dose",),
    "single_dose": ("single_dose",),
    "at_least_one": ("first_dose", "single_dose"),
    "fully_vaccinated": ("second_dose", "single_dose"),
}

_EPOCH = date(1970, 1, 1).toordinal()

#: Spans read at a time (bounds the memory a read takes beyond its result).
CHUNK = 20_000


def stored_parts(measure: str) -> list[str]:
    """The stored measures (``first_dose_daily``...) whose sum is ``measure``'s daily count."""
    return [f"{dose}_daily" for dose in PARTS[measure.removesuffix("_daily")]]


def vintage_rows(conn: Connection) -> list:
    """``id, published, last_date`` of every vintage, oldest first."""
    query = select(vintages.c.id, vintages.c.published, vintages.c.last_date)
    return conn.execute(query.order_by(vintages.c.id)).all()


def series_ids(conn: Connection, measure: str, county: str | None = None) -> list[int]:
    """Ids of the stored series behind ``measure`` of ``county`` (None: every county)."""
    query = select(series.c.id).where(series.c.measure.in_(stored_parts(measure)))
    if county is not None:
        query = query.where(series.c.county == county)
    return [int(i) for i in conn.scalars(query)]


class Steps:
    """The steps of a sum of stored series, per (data day, vintage).

    Parameters
    ----------
    n : int
        Number of vintages (positions ``0 .. n - 1``, oldest first).
    key : numpy.ndarray
        ``day number * (n + 1) + vintage position``, ascending (day number: days since
        1970-01-01).
    delta : numpy.ndarray
        What the value of that day changes by at that vintage (never 0).
    """

    def __init__(self, n: int, key: np.ndarray, delta: np.ndarray) -> None:
        self.n, self.key, self.delta = n, key, delta

    @classmethod
    def read(cls, conn: Connection, ids: Sequence[int], vintage_ids: Sequence[int]) -> Steps:
        """The steps of the series ``ids`` over the vintages ``vintage_ids`` (ascending).

        Versions with the same span are summed in the database (one indexed read of those
        series: the primary key starts with ``series_id``); Python sees one row per span.
        """
        vv = value_versions.c
        query = (
            select(vv.day, vv.valid_from, vv.valid_to, cast(func.sum(vv.value), BigInteger))
            .where(vv.series_id.in_([int(i) for i in ids]))
            .group_by(vv.day, vv.valid_from, vv.valid_to)
        )
        sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
        positions = np.asarray(vintage_ids, dtype="int64")
        steps = cls(len(positions), np.zeros(0, "int64"), np.zeros(0, "int64"))
        cursor = conn.connection.cursor()  # plain tuples; days as the driver gives them
        try:
            cursor.execute(sql)
            while chunk := cursor.fetchmany(CHUNK):  # bounded: a chunk at a time, then summed
                steps = steps.added(positions, chunk)
        finally:
            cursor.close()
        return steps

    def added(self, positions: np.ndarray, rows: list) -> Steps:
        """These steps plus those of ``(day, valid_from, valid_to, value)`` spans."""
        day, start, end, value = zip(*rows, strict=True)
        # NumPy parses ISO strings (SQLite) and dates (PostgreSQL) alike; pandas would make
        # Arrow strings of them, whose memory pool keeps megabytes after the read.
        base = np.asarray(day, dtype="datetime64[D]").astype("int64") * (self.n + 1)
        value = np.asarray(value, dtype="int64")
        end = np.array([2**62 if e is None else e for e in end], dtype="int64")
        key = np.concatenate([self.key, base + np.searchsorted(positions, start),
                              base + np.searchsorted(positions, end)])  # fmt: skip
        return self.summed(self.n, key, np.concatenate([self.delta, value, -value]))

    @classmethod
    def summed(cls, n: int, key: np.ndarray, delta: np.ndarray) -> Steps:
        """Steps from unsorted ``key``/``delta`` pairs: summed per key, zeros and ends dropped."""
        keep = key % (n + 1) < n  # a version never closed steps beyond the last vintage
        key, delta = key[keep], delta[keep]
        order = np.argsort(key, kind="stable")
        key, delta = key[order], delta[order]
        if len(key) == 0:
            return cls(n, key, delta)
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        key, delta = key[first], np.add.reduceat(delta, first)
        nonzero = delta != 0
        return cls(n, key[nonzero], delta[nonzero])

    def totals(self, day: date, daily: bool) -> np.ndarray:
        """Each vintage's value: of ``day`` (``daily``) or the sum of every day up to it."""
        number = day.toordinal() - _EPOCH
        low = number * (self.n + 1) if daily else 0
        lo, hi = np.searchsorted(self.key, [low, (number + 1) * (self.n + 1)])
        delta = np.zeros(self.n, dtype="int64")
        np.add.at(delta, self.key[lo:hi] % (self.n + 1), self.delta[lo:hi])
        return np.cumsum(delta)

    @property
    def nbytes(self) -> int:
        """Memory the arrays take."""
        return self.key.nbytes + self.delta.nbytes


def series_frame(rows: list, totals: np.ndarray, day: date) -> pd.DataFrame:
    """``published, vintage_id, value, change`` (Int64; NA for vintages ending before ``day``).

    ``rows`` is :func:`vintage_rows`; ``totals`` one value per vintage (:meth:`Steps.totals`).
    """
    covers = np.array([r.last_date >= day for r in rows], dtype=bool)
    out = pd.DataFrame({
        "published": pd.to_datetime([r.published for r in rows]).astype(DATE_DTYPE),
        "vintage_id": np.array([r.id for r in rows], dtype="int64"),
        "value": pd.array(np.where(covers, totals, 0), dtype="Int64"),
    })  # fmt: skip
    out.loc[~covers, "value"] = pd.NA
    out["change"] = out["value"] - out["value"].shift(1)
    return out


class StepsReader:
    """Revision series of one archive from steps read once per (county, measure) shown.

    Keeps the vintages and the :class:`Steps` of one county and of the state, so a slider
    step or a vintage switch computes the series in memory instead of reading again. Made by
    :meth:`mdvax.archive.Archive.revision_reader`.
    """

    def __init__(self, engine) -> None:
        self._engine = engine
        with engine.connect() as conn:
            self.rows = vintage_rows(conn)
        #: (county or None for the state, stored parts) -> Steps; one county and the state.
        self._steps: dict[tuple, Steps] = {}

    def steps(self, county: str | None, measure: str) -> Steps:
        """The :class:`Steps` of ``measure`` in ``county`` (None: every county added up)."""
        key = (county, tuple(stored_parts(measure)))
        if key not in self._steps:
            for old in [k for k in self._steps if (k[0] is None) == (county is None)]:
                del self._steps[old]  # free the previous one before reading the next
            with self._engine.connect() as conn:
                ids = series_ids(conn, measure, county)
                self._steps[key] = Steps.read(conn, ids, [r.id for r in self.rows])
        return self._steps[key]

    def frame(self, county: str | None, measure: str, day: date) -> pd.DataFrame:
        """As :meth:`mdvax.archive.Archive.revision_series` (``county`` None: the state)."""
        totals = self.steps(county, measure).totals(day, measure.endswith("_daily"))
        return series_frame(self.rows, totals, day)
