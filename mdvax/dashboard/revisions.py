"""How this figure was revised: one value as each archived vintage published it.

A county's series comes from :func:`mdvax.revisions.series`, the function behind
``mdvax revisions --county --measure --date`` (so the panel and the command line agree); the
state's from a vintages x days matrix of the state's daily doses (:func:`state_matrix`, about the
size of one table column per vintage). The open county's stored versions (which
:func:`mdvax.archive.history.series_from_versions` reads) and the state's matrix are read once
per county and measure shown, so a slider step or a vintage switch reads nothing.
Both series stop at the vintage shown: a view "as published on" a day reveals nothing later.

The chart is a small step chart drawn here (x: publication day, y: value), rendered through
``dashboard/revisions.html.j2`` (autoescape) with ``<title>``/``<desc>`` for screen readers.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from mdvax import format as fmt
from mdvax import measures
from mdvax.archive import as_date
from mdvax.archive.frames import DATE_DTYPE
from mdvax.archive.history import series_from_versions, vintage_rows
from mdvax.archive.read import county_versions
from mdvax.archive.schema import series as series_table
from mdvax.archive.schema import value_versions, vintages
from mdvax.dashboard.state import NAME_BY_FIPS, ViewState
from mdvax.normalize.counties import STATE
from mdvax.revisions import RevisionSeries
from mdvax.revisions import series as county_series
from mdvax.templates import render

#: Chart size in SVG user units, and its margins.
WIDTH, HEIGHT = 340, 110
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 8, 8, 20


#: Rows read at a time when summing the state's versions (bounds the memory it takes).
CHUNK = 50_000
_PARTS = {"at_least_one": ("first_dose", "single_dose")}
_PARTS["fully_vaccinated"] = ("second_dose", "single_dose")


def state_matrix(archive, column: str, rows: list) -> tuple[date, np.ndarray]:
    """Maryland's daily doses of ``column`` as each vintage published them.

    Returns the first day and a vintages x days matrix (``rows`` order, every county and the
    unassigned doses summed): as large as one column of one table per vintage, about 1 MB for
    the state's 325. Built from the stored versions read ``CHUNK`` rows at a time, each added
    to the vintages it was valid in (a difference along the vintage axis, then a running sum),
    so neither the versions nor a per-version frame are kept.
    """
    base = column.removesuffix("_daily")
    stored = [f"{dose}_daily" for dose in _PARTS.get(base, (base,))]
    ids = np.array([r.id for r in rows], dtype="int64")
    vv = value_versions.c
    with archive.engine.connect() as conn:
        wanted = select(series_table.c.id).where(series_table.c.measure.in_(stored))
        series_ids = [int(i) for i in conn.execute(wanted).scalars()]
        first = as_date(conn.execute(select(func.min(vintages.c.first_date))).scalar())
        last = max(r.last_date for r in rows)
        query = select(vv.day, vv.value, vv.valid_from, vv.valid_to)
        query = query.where(vv.series_id.in_(series_ids))
        sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
        diff = np.zeros((len(ids) + 1, (last - first).days + 1), dtype="int64")
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql)
            while chunk := cursor.fetchmany(CHUNK):
                day, value, start, end = zip(*chunk, strict=True)
                offset = (pd.to_datetime(day, format="ISO8601") - pd.Timestamp(first)).days
                value = np.array(value, dtype="int64")
                end = np.array([2**62 if e is None else e for e in end], dtype="int64")
                np.add.at(diff, (np.searchsorted(ids, start), offset), value)
                np.add.at(diff, (np.searchsorted(ids, end), offset), -value)
        finally:
            cursor.close()
    return first, np.cumsum(diff, axis=0)[:-1]


class _Versions:
    """What :func:`mdvax.revisions.series` asks of an archive, from versions read once.

    The open county's stored versions are kept (one county at a time), so a slider step or a
    vintage switch computes the series in memory instead of reading them again.
    """

    def __init__(self, archive) -> None:
        self.archive = archive
        with archive.engine.connect() as conn:
            self.rows = vintage_rows(conn)
        self._county: tuple[str, pd.DataFrame] | None = None
        #: The state's matrix of the measure shown: (measure, first day, matrix).
        self._state: tuple | None = None

    def versions(self, county: str) -> pd.DataFrame:
        """The stored versions of ``county`` (read once while it stays open)."""
        if self._county is None or self._county[0] != county:
            self._county = None
            with self.archive.engine.connect() as conn:
                self._county = (county, county_versions(conn, county))
        return self._county[1]

    def state_series(self, column: str, day: date, as_of: date | None) -> RevisionSeries:
        """Maryland's ``column`` on ``day`` as each vintage up to ``as_of`` published it."""
        base = column.removesuffix("_daily")
        if self._state is None or self._state[0] != base:
            self._state = None
            self._state = (base, *state_matrix(self.archive, column, self.rows))
        _, first, matrix = self._state
        where = (day - first).days
        if column.endswith("_daily"):
            totals = matrix[:, where] if 0 <= where < matrix.shape[1] else 0 * matrix[:, 0]
        else:
            totals = matrix[:, : max(where + 1, 0)].sum(axis=1)
        keep = np.array([r.last_date >= day and (as_of is None or r.published <= as_of)
                         for r in self.rows], dtype=bool)  # fmt: skip
        values = pd.DataFrame({
            "published": pd.to_datetime([r.published for r in self.rows]).astype(DATE_DTYPE),
            "vintage_id": [r.id for r in self.rows],
            "value": totals.astype("int64"),
        })[keep].reset_index(drop=True)  # fmt: skip
        values["change"] = values["value"].diff().astype("Int64")
        return RevisionSeries(STATE, column, day, values)

    def revision_series(self, county: str, measure: str, day: date) -> pd.DataFrame:
        """As :meth:`mdvax.archive.Archive.revision_series`."""
        return series_from_versions(self.versions(county), self.rows, measure, day)


class Revisions:
    """The revision series a dashboard session shows.

    Parameters
    ----------
    archive : callable
        Returns the open :class:`mdvax.archive.Archive`, or None when there is none.
    """

    def __init__(self, archive) -> None:
        self._archive = archive
        self._versions: _Versions | None = None

    def get(
        self, county: str | None, column: str, day: date, as_of: date | None
    ) -> RevisionSeries | None:
        """``county``'s (None: Maryland's) series up to ``as_of``; None without an archive."""
        if self._versions is None:
            archive = self._archive()
            if archive is None:
                return None
            self._versions = _Versions(archive)
        if county is not None:
            return county_series(county, column, day, as_of=as_of, archive=self._versions)
        return self._versions.state_series(column, day, as_of)

    def html(self, state: ViewState, published: date) -> tuple[str, str]:
        """The line under the headline (Maryland) and the side panel's block for ``state``.

        The block is the open county's, else Maryland's; both are "" without an archive.
        """
        column = measures.column(state.measure, state.daily)
        what = measures.label(state.measure, state.daily)
        found = self.get(None, column, state.date, published)
        line = revised_line_html(found)
        if state.county:
            name = NAME_BY_FIPS[state.county]
            return line, revisions_html(self.get(name, column, state.date, published), name, what)
        return line, revisions_html(found, "Maryland", what)


def _scale(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """``values`` mapped onto ``[low, high]`` (the middle when they are all equal)."""
    lo, hi = float(values.min()), float(values.max())
    if hi == lo:
        return np.full(len(values), (low + high) / 2)
    return low + (values - lo) / (hi - lo) * (high - low)


def chart_context(found: RevisionSeries) -> dict:
    """Geometry of the step chart: path, dots, axis labels (SVG user units)."""
    when = found.values["published"].to_numpy(dtype="datetime64[D]").astype("int64")
    value = found.values["value"].to_numpy(dtype="float64")
    xs = _scale(when.astype("float64"), _LEFT, WIDTH - _RIGHT)
    ys = _scale(value, HEIGHT - _BOTTOM, _TOP)
    if len(xs) == 1:
        xs = np.array([WIDTH - _RIGHT])
    path = f"M{xs[0]:.1f},{ys[0]:.1f}" + "".join(
        f" H{x:.1f} V{y:.1f}" for x, y in zip(xs[1:], ys[1:], strict=True)
    )
    first, last = found.values["published"].iloc[[0, -1]]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": _LEFT,
        "right": WIDTH - _RIGHT,
        "top": _TOP,
        "bottom": HEIGHT - _BOTTOM,
        "path": path,
        "dots": [(f"{x:.1f}", f"{y:.1f}") for x, y in zip(xs, ys, strict=True)],
        "high": (f"{ys.min():.1f}", fmt.count(value.max())),
        "low": (f"{ys.max():.1f}", fmt.count(value.min())),
        "ticks": [
            (_LEFT, "start", fmt.day(first.date())),
            (WIDTH - _RIGHT, "end", fmt.day(last.date())),
        ],
    }


def summary(found: RevisionSeries) -> dict:
    """The figures beside the chart: first and latest published value, change, revisions."""
    published = found.values["published"]
    return {
        "first": fmt.count(found.first),
        "first_day": fmt.day(published.iloc[0].date()),
        "latest": fmt.count(found.latest),
        "latest_day": fmt.day(published.iloc[-1].date()),
        "change": fmt.change(found.change),
        "revised": found.n_revised,
        "vintages": len(found.values),
    }


def revisions_html(found: RevisionSeries | None, name: str, what: str) -> str:
    """The panel's "How this figure was revised" block ("" without an archive)."""
    if found is None:
        return ""
    context = {"name": name, "what": what, "day": fmt.day(found.day), "figures": None}
    if len(found.values):
        context |= {"figures": summary(found), "chart": chart_context(found)}
    return render("dashboard/revisions.html.j2", **context)


def revised_line_html(found: RevisionSeries | None) -> str:
    """The compact line under the headline: Maryland's figure first published vs now."""
    if found is None or len(found.values) < 2:
        return ""
    return render("dashboard/revisions_line.html.j2", **summary(found))
