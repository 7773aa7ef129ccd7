"""Writing one vintage, in publication order whatever order vintages arrive in.

Vintages form one timeline ordered by ``(published, fetched_at, sha256)``. A vintage's id is
derived from that order (:func:`vintage_id`), so ids increase with publication date and the
same set of vintages gets the same ids, versions and revision counts whatever order they were
recorded in. A vintage that arrives after later ones (the state's git history imported after
``mdvax update`` fetched the newest file) is spliced in: the later vintages' stored values are
read, their versions are removed, the new vintage is appended, and the later ones are appended
again on top of it. Appending is the only way versions are written, so the result is exactly
what recording in publication order gives.

Each vintage's table (:mod:`mdvax.archive.tables`) is written with it, in the same transaction:
a vintage is never visible without its table.

Everything here runs inside the caller's :func:`~mdvax.archive.engine.write_transaction`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import Connection, Row, bindparam, delete, func, select, update

from mdvax.archive import tables
from mdvax.archive.diff import as_revisions, diff_long
from mdvax.archive.read import latest_vintage, values_at
from mdvax.archive.schema import series, value_versions, vintages
from mdvax.archive.summary import VintageSummary
from mdvax.errors import ArchiveError

_SHA256 = re.compile(r"[0-9a-f]{64}")

#: Vintages one publication day can hold (ids are ``day ordinal * PER_DAY + rank``).
PER_DAY = 100


def check_sha256(sha256: str) -> str:
    """The hash in lower case; ArchiveError unless it is 64 hexadecimal digits."""
    text = str(sha256).strip().lower()
    if not _SHA256.fullmatch(text):
        raise ArchiveError(f"sha256 {sha256!r} is not 64 hexadecimal digits")
    return text


def utc_naive(moment: datetime) -> datetime:
    """``moment`` in UTC without tzinfo (how the archive stores times; naive means UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def vintage_id(published: date, rank: int) -> int:
    """The id of the ``rank``-th vintage (0-based) published on ``published``."""
    if rank >= PER_DAY:
        raise ArchiveError(f"more than {PER_DAY} vintages published on {published:%Y-%m-%d}")
    return published.toordinal() * PER_DAY + rank


@dataclass(frozen=True)
class Provenance:
    """What identifies a vintage besides its values (a ``vintages`` row without the counts)."""

    published: date
    fetched_at: datetime  # naive UTC
    sha256: str
    source: str
    recorded_at: datetime | None = None  # naive UTC; None: now
    details: str | None = None  # JSON: repository, commit, path, notes

    @property
    def key(self) -> tuple:
        """Position on the timeline."""
        return (self.published, self.fetched_at, self.sha256)

    @classmethod
    def of(cls, row: Row) -> Provenance:
        return cls(
            row.published, row.fetched_at, row.sha256, row.source, row.recorded_at,
            row.provenance,
        )  # fmt: skip


def _series_ids(conn: Connection, keys: pd.DataFrame) -> dict[tuple[str, str], int]:
    """Ids of the (county, measure) series, creating the missing ones."""
    known = {(r.county, r.measure): r.id for r in conn.execute(select(series))}
    wanted = set(keys[["county", "measure"]].itertuples(index=False, name=None))
    missing = sorted(wanted - known.keys())
    if missing:
        conn.execute(series.insert(), [{"county": c, "measure": m} for c, m in missing])
        known = {(r.county, r.measure): r.id for r in conn.execute(select(series))}
    return known


def write_vintage(conn: Connection, values: pd.DataFrame, prov: Provenance) -> VintageSummary:
    """Record ``values`` (long stored values of one snapshot) as a vintage, in its place.

    Returns
    -------
    VintageSummary
        What it revised relative to the vintage before it, or ``added_vintage=False`` when
        ``sha256`` was already archived.
    """
    known = conn.execute(select(vintages).where(vintages.c.sha256 == prov.sha256)).first()
    if known is not None:
        if prov.published > known.published:
            note_republished(conn, known, prov.published)
        return VintageSummary(known.id, known.published, prov.sha256, added_vintage=False)
    later = [
        row
        for row in conn.execute(
            select(vintages).where(vintages.c.published >= prov.published).order_by(vintages.c.id)
        )
        if Provenance.of(row).key > prov.key
    ]
    # Read the later vintages as published before unlinking them (their values live in versions).
    replay = [(Provenance.of(row), values_at(conn, row.id)) for row in later]
    if later:
        tables.delete_from(conn, later[0].id)
        truncate_from(conn, later[0].id)
    summary = append_vintage(conn, values, prov)
    for later_prov, later_values in replay:
        append_vintage(conn, later_values, later_prov)
    if replay:
        summary = VintageSummary(**{**summary.__dict__, "n_relinked": len(replay)})
    return summary


def note_republished(conn: Connection, known: Row, day: date) -> None:
    """Keep in vintage ``known``'s details that the same bytes were published again on ``day``.

    The archive stores the file once (its sha256 is the key); ``republished`` (ISO days) lets
    a view of a later day say the state republished it unchanged rather than nothing.
    """
    try:
        details = json.loads(known.provenance) if known.provenance else {}
    except ValueError:
        details = {}
    if not isinstance(details, dict):
        details = {"details": details}
    days = set(details.get("republished") or []) | {day.isoformat()}
    details["republished"] = sorted(days)
    conn.execute(
        update(vintages)
        .where(vintages.c.id == known.id)
        .values(provenance=json.dumps(details, sort_keys=True))
    )


def truncate_from(conn: Connection, first_id: int) -> None:
    """Remove vintage ``first_id`` and every later one, reopening what they had closed."""
    conn.execute(delete(value_versions).where(value_versions.c.valid_from >= first_id))
    conn.execute(
        update(value_versions).where(value_versions.c.valid_to >= first_id).values(valid_to=None)
    )
    conn.execute(delete(vintages).where(vintages.c.id >= first_id))


def append_vintage(conn: Connection, values: pd.DataFrame, prov: Provenance) -> VintageSummary:
    """Record ``values`` and its table after every vintage in the archive (they all precede it)."""
    latest = latest_vintage(conn)
    same_day = conn.scalar(
        select(func.count()).select_from(vintages).where(vintages.c.published == prov.published)
    )
    new_id = vintage_id(prov.published, same_day)
    before = values_at(conn) if latest is not None else values.iloc[:0]
    changes = diff_long(before, values)
    counts = changes["status"].value_counts()
    n = {k: int(counts.get(k, 0)) for k in ("revised", "added", "removed")}
    conn.execute(
        vintages.insert().values(
            id=new_id,
            published=prov.published,
            fetched_at=prov.fetched_at,
            recorded_at=prov.recorded_at or utc_naive(datetime.now(UTC)),
            sha256=prov.sha256,
            source=prov.source,
            provenance=prov.details,
            first_date=values["date"].min().date(),
            last_date=values["date"].max().date(),
            n_values=len(values),
            n_revised=n["revised"],
            n_added=n["added"],
            n_removed=n["removed"],
        )
    )
    _write_versions(conn, changes, new_id)
    tables.write(conn, new_id, values)
    return VintageSummary(
        vintage_id=new_id,
        published=prov.published,
        sha256=prov.sha256,
        added_vintage=True,
        previous=latest.published if latest is not None else None,
        n_values=len(values),
        n_revised=n["revised"],
        n_added=n["added"],
        n_removed=n["removed"],
        revisions=as_revisions(changes),
    )


def _write_versions(conn: Connection, changes: pd.DataFrame, new_id: int) -> None:
    """Close the versions ``changes`` revise or remove; open the revised and added ones."""
    ids = _series_ids(conn, changes)
    keys = pd.Series(list(zip(changes["county"], changes["measure"], strict=True)), dtype=object)
    rows = pd.DataFrame(
        {
            "sid": keys.map(ids).astype("int64").to_numpy(),
            "day": changes["date"].dt.date.to_numpy(),
            "status": changes["status"].to_numpy(),
            "value": changes["new"].to_numpy(),
        }
    )
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
