"""Revision history of one county: replay its stored versions vintage by vintage."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, select

from mdvax.archive.frames import DATE_DTYPE, from_long
from mdvax.archive.read import county_versions, vintage_as_of
from mdvax.archive.schema import vintages
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
