"""Migration 2: vintage ids from the publication order, and ``vintages.provenance``.

Frozen (see the package): the vintages are read, removed and recorded again in publication
order, ``(published, fetched_at, sha256)``, each getting the id ``publication day ordinal * 100
+ rank that day``; recording a vintage compares its values with the ones before it and opens
and closes value versions accordingly, as ``mdvax.archive.record`` did when this shipped.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, and_, bindparam, delete, func, inspect, or_, select, text, update

from mdvax.archive.migrations.v1_create import series, value_versions, vintages
from mdvax.errors import ArchiveError

#: Vintages one publication day can hold.
PER_DAY = 100

KEYS = ["county", "measure", "date"]

DATE_DTYPE = "datetime64[us]"


def migrate(conn: Connection) -> None:
    """Version 2: ids derived from the publication order (vintages in any order), provenance."""
    if "provenance" not in {c["name"] for c in inspect(conn).get_columns("vintages")}:
        conn.execute(text("ALTER TABLE vintages ADD COLUMN provenance TEXT"))
    rows = conn.execute(select(vintages).order_by(vintages.c.id)).all()
    if not rows:
        return
    replay = [(row, values_at(conn, row.id)) for row in rows]
    _truncate_from(conn, rows[0].id)
    for row, values in sorted(replay, key=lambda item: _timeline_key(item[0])):
        _append(conn, values, row)


def _timeline_key(row) -> tuple:
    return (row.published, row.fetched_at, row.sha256)


def vintage_id(published: date, rank: int) -> int:
    """The id of the ``rank``-th vintage (0-based) published on ``published``."""
    if rank >= PER_DAY:
        raise ArchiveError(f"more than {PER_DAY} vintages published on {published:%Y-%m-%d}")
    return published.toordinal() * PER_DAY + rank


def series_names(conn: Connection) -> dict[int, tuple[str, str]]:
    """Series id -> ``(county, measure)``."""
    return {r[0]: (r[1], r[2]) for r in conn.execute(select(series)).all()}


def long_frame(rows: list, names: dict[int, tuple[str, str]]) -> pd.DataFrame:
    """``county, measure, date, value`` from ``(series_id, day, value)`` rows."""
    frame = pd.DataFrame(rows, columns=["series_id", "date", "value"])
    labels = pd.DataFrame(
        [names[i] for i in frame["series_id"]], columns=["county", "measure"], dtype=object
    )
    frame = pd.concat([labels, frame[["date", "value"]]], axis=1)
    frame["date"] = pd.to_datetime(frame["date"], format="ISO8601").astype(DATE_DTYPE)
    frame["value"] = frame["value"].astype("int64")
    return frame


def values_at(conn: Connection, vintage_id: int | None = None) -> pd.DataFrame:
    """Stored values as of vintage ``vintage_id`` (None: the current ones)."""
    vv = value_versions.c
    if vintage_id is None:
        where = vv.valid_to.is_(None)
    else:
        where = and_(
            vv.valid_from <= vintage_id, or_(vv.valid_to.is_(None), vv.valid_to > vintage_id)
        )
    rows = conn.execute(select(vv.series_id, vv.day, vv.value).where(where)).all()
    return long_frame([tuple(r) for r in rows], series_names(conn))


def _truncate_from(conn: Connection, first_id: int) -> None:
    """Remove vintage ``first_id`` and every later one, reopening what they had closed."""
    conn.execute(delete(value_versions).where(value_versions.c.valid_from >= first_id))
    conn.execute(
        update(value_versions).where(value_versions.c.valid_to >= first_id).values(valid_to=None)
    )
    conn.execute(delete(vintages).where(vintages.c.id >= first_id))


def _diff(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``county, measure, date, old, new, status`` of every value that is not identical."""
    merged = old.rename(columns={"value": "old"}).merge(
        new.rename(columns={"value": "new"}), on=KEYS, how="outer"
    )
    merged["old"] = merged["old"].astype("Int64")
    merged["new"] = merged["new"].astype("Int64")
    in_old, in_new = merged["old"].notna(), merged["new"].notna()
    status = pd.Series("revised", index=merged.index, dtype=object)
    status[~in_old] = "added"
    status[~in_new] = "removed"
    differs = ~(in_old & in_new) | (merged["old"] != merged["new"]).fillna(True)
    out = merged[differs].copy()
    out["status"] = status[differs].astype(str)
    return out.reset_index(drop=True)


def _append(conn: Connection, values: pd.DataFrame, row) -> None:
    """Record ``values`` as the vintage of ``row`` after every vintage in the archive."""
    latest = conn.scalar(select(vintages.c.id).order_by(vintages.c.id.desc()).limit(1))
    same_day = conn.scalar(
        select(func.count()).select_from(vintages).where(vintages.c.published == row.published)
    )
    new_id = vintage_id(row.published, same_day)
    before = values_at(conn) if latest is not None else values.iloc[:0]
    changes = _diff(before, values)
    counts = changes["status"].value_counts()
    conn.execute(
        vintages.insert().values(
            id=new_id,
            published=row.published,
            fetched_at=row.fetched_at,
            recorded_at=row.recorded_at,
            sha256=row.sha256,
            source=row.source,
            provenance=row.provenance,
            first_date=values["date"].min().date(),
            last_date=values["date"].max().date(),
            n_values=len(values),
            **{f"n_{k}": int(counts.get(k, 0)) for k in ("revised", "added", "removed")},
        )
    )
    _write_versions(conn, changes, new_id)


def _series_ids(conn: Connection, keys: pd.DataFrame) -> dict[tuple[str, str], int]:
    """Ids of the (county, measure) series, creating the missing ones."""
    known = {(r.county, r.measure): r.id for r in conn.execute(select(series))}
    wanted = set(keys[["county", "measure"]].itertuples(index=False, name=None))
    missing = sorted(wanted - known.keys())
    if missing:
        conn.execute(series.insert(), [{"county": c, "measure": m} for c, m in missing])
        known = {(r.county, r.measure): r.id for r in conn.execute(select(series))}
    return known


def _write_versions(conn: Connection, changes: pd.DataFrame, new_id: int) -> None:
    """Close the versions ``changes`` revise or remove; open the revised and added ones."""
    ids = _series_ids(conn, changes)
    keys = pd.Series(list(zip(changes["county"], changes["measure"], strict=True)), dtype=object)
    rows = pd.DataFrame({
        "sid": keys.map(ids).astype("int64").to_numpy(),
        "day": changes["date"].dt.date.to_numpy(),
        "status": changes["status"].to_numpy(),
        "value": changes["new"].to_numpy(),
    })  # fmt: skip
    closing = rows[rows["status"] != "added"]
    if len(closing):
        conn.execute(
            value_versions.update()
            .where(
                value_versions.c.series_id == bindparam("sid"),
                value_versions.c.day == bindparam("d"),
                value_versions.c.valid_to.is_(None),
            )
            .values(valid_to=new_id),
            [{"sid": int(s), "d": d} for s, d in zip(closing["sid"], closing["day"], strict=True)],
        )
    opening = rows[rows["status"] != "removed"]
    if len(opening):
        conn.execute(
            value_versions.insert(),
            [
                {"series_id": int(sid), "day": day, "valid_from": new_id, "value": int(v)}
                for sid, day, v in zip(
                    opening["sid"], opening["day"], opening["value"], strict=True
                )
            ],
        )
