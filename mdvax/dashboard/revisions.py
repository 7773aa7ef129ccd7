"""How this figure was revised: one value as each archived vintage published it.

A county's series comes from :func:`mdvax.revisions.series`, the function behind
``mdvax revisions --county --measure --date`` (so the panel and the command line agree); the
state's from every county's stored versions summed in one grouped query (:func:`state_versions`),
through the same :func:`mdvax.archive.history.series_from_versions`. Versions are read once (the
open county's and the state's) and kept, so a slider step or a vintage switch reads nothing.
Both series stop at the vintage shown: a view "as published on" a day reveals nothing later.

The chart is a small step chart drawn here (x: publication day, y: value), rendered through
``dashboard/revisions.html.j2`` (autoescape) with ``<title>``/``<desc>`` for screen readers.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from mdvax import format as fmt
from mdvax import measures
from mdvax.archive.frames import DATE_DTYPE
from mdvax.archive.history import series_from_versions, vintage_rows
from mdvax.archive.read import county_versions
from mdvax.archive.schema import series as series_table
from mdvax.archive.schema import value_versions
from mdvax.dashboard.state import NAME_BY_FIPS, ViewState
from mdvax.normalize.counties import STATE
from mdvax.revisions import RevisionSeries
from mdvax.revisions import series as county_series
from mdvax.templates import render

#: Chart size in SVG user units, and its margins.
WIDTH, HEIGHT = 340, 110
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 8, 8, 20


def state_versions(archive) -> pd.DataFrame:
    """Every stored version summed over the counties.

    Returns ``measure, date, value, valid_from, valid_to``: what :func:`series_from_versions`
    needs for Maryland. The versions are read as the driver returns them and summed by pandas:
    SQLite's ``GROUP BY`` and SQLAlchemy's per-row date conversion took about 2 s on the 2021
    history, this about 0.2 s.
    """
    vv = value_versions.c
    query = select(vv.series_id, vv.day, vv.value, vv.valid_from, vv.valid_to)
    columns = ["series_id", "date", "value", "valid_from", "valid_to"]
    with archive.engine.connect() as conn:
        measure = dict(conn.execute(select(series_table.c.id, series_table.c.measure)).all())
        cursor = conn.connection.cursor()
        try:
            cursor.execute(str(query.compile(conn)))
            raw = pd.DataFrame(cursor.fetchall(), columns=columns)
        finally:
            cursor.close()
    raw["measure"] = raw["series_id"].map(measure)
    raw["valid_to"] = raw["valid_to"].astype("Int64")
    keys = ["measure", "date", "valid_from", "valid_to"]
    frame = raw.groupby(keys, dropna=False, sort=False)["value"].sum().reset_index()
    frame["date"] = pd.to_datetime(frame["date"], format="ISO8601").astype(DATE_DTYPE)
    frame["value"] = frame["value"].astype("int64")
    return frame


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
        self._state: pd.DataFrame | None = None

    def versions(self, county: str | None) -> pd.DataFrame:
        """The stored versions of ``county`` (None: summed over the state)."""
        if county is None:
            if self._state is None:
                self._state = state_versions(self.archive)
            return self._state
        if self._county is None or self._county[0] != county:
            self._county = None
            with self.archive.engine.connect() as conn:
                self._county = (county, county_versions(conn, county))
        return self._county[1]

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
        frame = self._versions.revision_series(None, column, day)
        frame = frame[frame["value"].notna()]
        if as_of is not None:
            frame = frame[frame["published"] <= pd.Timestamp(as_of)]
        values = frame.assign(value=frame["value"].astype("int64")).reset_index(drop=True)
        values["change"] = values["value"].diff().astype("Int64")
        return RevisionSeries(STATE, column, day, values)

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
