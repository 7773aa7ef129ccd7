"""Revision history of one county: replay its stored versions vintage by vintage."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, select

from mdvax.archive.diff import revised
from mdvax.archive.frames import DATE_DTYPE, from_long
from mdvax.archive.read import VALUE_COLUMNS, county_versions, vintage_as_of
from mdvax.archive.schema import vintages
from mdvax.normalize.counties import canonical_county

COLUMNS = ["date", "published", "vintage_id", "old", "new", "change"]


def county_revisions(
    conn: Connection, county: str, measure: str, as_of: date | None = None
) -> pd.DataFrame:
    """Each vintage's revisions of ``measure`` in ``county`` (see ``Archive.revisions``).

    Only vintages that wrote or closed one of the county's stored values can change a
    derived value, so only those are replayed.
    """
    county = canonical_county(county)
    versions = county_versions(conn, county)
    query = select(vintages.c.id, vintages.c.published).order_by(vintages.c.id)
    if as_of is not None:
        query = query.where(vintages.c.published <= as_of)
    published = dict(conn.execute(query).all())
    if not published:
        vintage_as_of(conn, as_of or date.max)  # raises, naming the oldest vintage
    touched = set(versions["valid_from"]) | set(versions["valid_to"].dropna())
    frames, before = [], None
    for vintage_id in sorted(v for v in touched if v in published):
        valid_to = versions["valid_to"].fillna(vintage_id + 1)
        alive = (versions["valid_from"] <= vintage_id) & (valid_to > vintage_id)
        table = from_long(versions.loc[alive, VALUE_COLUMNS])
        if before is not None:
            changes = revised(before, table, [measure])
            changes["published"] = pd.Timestamp(published[vintage_id]).as_unit("us")
            changes["vintage_id"] = vintage_id
            frames.append(changes[COLUMNS])
        before = table
    if not frames:
        return pd.DataFrame(
            {
                "date": pd.Series(dtype=DATE_DTYPE),
                "published": pd.Series(dtype=DATE_DTYPE),
                "vintage_id": pd.Series(dtype="int64"),
                **{c: pd.Series(dtype="int64") for c in ("old", "new", "change")},
            }
        )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["date", "vintage_id"], kind="stable").reset_index(drop=True)
