"""Revision history of one county: replay its stored versions vintage by vintage."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, and_, func, select

from mdvax.archive.frames import DATE_DTYPE, from_long
from mdvax.archive.read import county_versions, vintage_as_of
from mdvax.archive.schema import series, value_versions, vintages
from mdvax.archive.steps import Steps, series_frame, series_ids, vintage_rows
from mdvax.normalize.counties import canonical_county

COLUMNS = ["date", "published", "vintage_id", "old", "new", "change"]


def county_revisions(
    conn: Connection, county: str, measure: str, as_of: date | None = None
) -> pd.DataFrame:
    """Each vintage's revisions of ``measure`` in ``county`` (see ``Archive.revisions``).

    Only vintages that wrote or closed one of the county's stored values can change one of its
    values, so only their states are rebuilt, all in one :func:`from_long` call.
    """
    county = canonical_county(county)
    query = select(vintages.c.id, vintages.c.published).order_by(vintages.c.id)
    if as_of is not None:
        query = query.where(vintages.c.published <= as_of)
    published = dict(conn.execute(query).all())
    if not published:
        vintage_as_of(conn, as_of or date.max)  # raises, naming the oldest vintage
    versions = county_versions(conn, county)
    touched = set(versions["valid_from"]) | set(versions["valid_to"].dropna())
    states, open_ended = [], versions["valid_to"].fillna(max(published) + 1)
    for vintage_id in sorted(v for v in touched if v in published):
        alive = (versions["valid_from"] <= vintage_id) & (open_ended > vintage_id)
        # The state's "county" is the vintage id: from_long derives each group on its own.
        states.append(versions.loc[alive, ["measure", "date", "value"]].assign(county=vintage_id))
    if len(states) < 2:
        return _empty()
    wide = from_long(pd.concat(states)).pivot(index="date", columns="county", values=measure)
    wide = wide[sorted(wide.columns, key=int)]
    ids = [int(c) for c in wide.columns]
    old, new = wide.iloc[:, :-1].to_numpy(), wide.iloc[:, 1:].to_numpy()
    changed = pd.DataFrame(new != old, index=wide.index, columns=ids[1:])
    changed &= pd.DataFrame(~(pd.isna(old) | pd.isna(new)), index=wide.index, columns=ids[1:])
    rows, cols = changed.to_numpy().nonzero()
    out = pd.DataFrame({
        "date": wide.index[rows].astype(DATE_DTYPE),
        "published": pd.to_datetime([published[ids[c + 1]] for c in cols]).astype(DATE_DTYPE),
        "vintage_id": [ids[c + 1] for c in cols],
        "old": old[rows, cols].astype("int64"),
        "new": new[rows, cols].astype("int64"),
    })  # fmt: skip
    out["change"] = out["new"] - out["old"]
    out["vintage_id"] = out["vintage_id"].astype("int64")
    return out.sort_values(["date", "vintage_id"], kind="stable").reset_index(drop=True)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({
        "date": pd.Series(dtype=DATE_DTYPE),
        "published": pd.Series(dtype=DATE_DTYPE),
        **{c: pd.Series(dtype="int64") for c in ("vintage_id", "old", "new", "change")},
    })  # fmt: skip


def revision_series(conn: Connection, county: str, measure: str, day: date) -> pd.DataFrame:
    """``measure`` of ``county`` on ``day`` as each vintage published it (see ``Archive``)."""
    rows = vintage_rows(conn)
    ids = series_ids(conn, measure, canonical_county(county))
    steps = Steps.read(conn, ids, [r.id for r in rows])
    return series_frame(rows, steps.totals(day, measure.endswith("_daily")), day)


REVISION_COLUMNS = ["county", "date", "measure", "old", "new", "change", "published", "vintage_id"]


def _window(conn: Connection, first: date, last: date) -> dict[int, date]:
    """Vintage id -> publication date of the vintages published from ``first`` to ``last``."""
    query = select(vintages.c.id, vintages.c.published).where(
        vintages.c.published >= first, vintages.c.published <= last
    )
    return dict(conn.execute(query).all())


def _revised(ids: dict[int, date]):
    """(new version, old version) aliases and the join of each revised value to its predecessor.

    A vintage revises a value when it writes a version whose predecessor it closed (same series
    and day, ``valid_to`` = the new ``valid_from``): new dates and dropped values are not
    revisions. Vintage ids follow publication order, so the window is an id range.
    """
    new, old = value_versions.alias("new"), value_versions.alias("old")
    joined = new.join(
        old,
        and_(
            old.c.series_id == new.c.series_id,
            old.c.day == new.c.day,
            old.c.valid_to == new.c.valid_from,
        ),
    ).join(series, series.c.id == new.c.series_id)
    where = and_(new.c.valid_from >= min(ids), new.c.valid_from <= max(ids))
    return new, old, joined, where


def revisions_made(
    conn: Connection, first: date, last: date, limit: int | None = None
) -> pd.DataFrame:
    """Stored values revised by the vintages published from ``first`` to ``last`` (inclusive).

    One indexed self-join of ``value_versions``, sorted and cut in the database: no table is
    rebuilt, and only ``limit`` rows (default: all) reach Python.

    Returns
    -------
    pandas.DataFrame
        ``county, date, measure, old, new, change, published, vintage_id``, largest
        ``|change|`` first (ties: by vintage, county, measure, date).
    """
    ids = _window(conn, first, last)
    if not ids:
        return _typed(pd.DataFrame(columns=REVISION_COLUMNS))
    new, old, joined, where = _revised(ids)
    change = new.c.value - old.c.value
    stmt = (
        select(
            series.c.county, new.c.day, series.c.measure, old.c.value, new.c.value, new.c.valid_from
        )
        .select_from(joined)
        .where(where)
        .order_by(
            func.abs(change).desc(), new.c.valid_from, series.c.county, series.c.measure, new.c.day
        )
        .limit(limit)
    )
    rows = [tuple(r) for r in conn.execute(stmt).all()]
    out = pd.DataFrame(rows, columns=["county", "date", "measure", "old", "new", "vintage_id"])
    out["change"] = out["new"] - out["old"]
    out["published"] = out["vintage_id"].map(ids)
    return _typed(out[REVISION_COLUMNS])


def revision_counts(conn: Connection, first: date, last: date) -> pd.DataFrame:
    """How many stored values each vintage published from ``first`` to ``last`` revised.

    Returns
    -------
    pandas.DataFrame
        ``vintage_id, measure, count`` (vintages and measures that revised nothing are left
        out).
    """
    ids = _window(conn, first, last)
    columns = ["vintage_id", "measure", "count"]
    rows = []
    if ids:
        new, _, joined, where = _revised(ids)
        stmt = (
            select(new.c.valid_from, series.c.measure, func.count())
            .select_from(joined)
            .where(where)
            .group_by(new.c.valid_from, series.c.measure)
        )
        rows = [tuple(r) for r in conn.execute(stmt).all()]
    counts = pd.DataFrame(rows, columns=columns)
    return counts.astype({"vintage_id": "int64", "measure": object, "count": "int64"})


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for name in ("date", "published"):
        frame[name] = pd.to_datetime(frame[name]).astype(DATE_DTYPE)
    for name in ("old", "new", "change", "vintage_id"):
        frame[name] = frame[name].astype("int64")
    for name in ("county", "measure"):
        frame[name] = frame[name].astype(object)
    return frame
