"""Writing one vintage: compare with the current values, close what changed, add new versions.

Everything here runs inside the caller's :func:`~mdvax.archive.engine.write_transaction`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import Connection, bindparam, select

from mdvax.archive.diff import as_revisions, diff_long
from mdvax.archive.read import latest_vintage, values_at
from mdvax.archive.schema import series, value_versions, vintages
from mdvax.archive.summary import VintageSummary
from mdvax.errors import ArchiveError

_SHA256 = re.compile(r"[0-9a-f]{64}")


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


def _series_ids(conn: Connection, keys: pd.DataFrame) -> dict[tuple[str, str], int]:
    """Ids of the (county, measure) series, creating the missing ones."""
    known = {(r.county, r.measure): r.id for r in conn.execute(select(series))}
    wanted = set(keys[["county", "measure"]].itertuples(index=False, name=None))
    missing = sorted(wanted - known.keys())
    if missing:
        conn.execute(series.insert(), [{"county": c, "measure": m} for c, m in missing])
        known = {(r.county, r.measure): r.id for r in conn.execute(select(series))}
    return known


def write_vintage(
    conn: Connection,
    values: pd.DataFrame,
    *,
    published: date,
    fetched_at: datetime,
    sha256: str,
    source: str,
) -> VintageSummary:
    """Record ``values`` (long stored values of one snapshot) as a new vintage.

    Returns
    -------
    VintageSummary
        What it revised, or ``added_vintage=False`` when ``sha256`` was already archived.

    Raises
    ------
    ArchiveError
        When ``published`` is older than the newest vintage's publication date.
    """
    known = conn.execute(select(vintages).where(vintages.c.sha256 == sha256)).first()
    if known is not None:
        return VintageSummary(known.id, known.published, sha256, added_vintage=False)
    latest = latest_vintage(conn)
    if latest is not None and published < latest.published:
        raise ArchiveError(
            f"refusing snapshot published {published:%Y-%m-%d}: the archive already holds a "
            f"newer vintage, published {latest.published:%Y-%m-%d} (vintages are recorded in "
            f"publication order; an older snapshot would rewrite the timeline)"
        )
    before = values_at(conn) if latest is not None else values.iloc[:0]
    changes = diff_long(before, values)
    counts = changes["status"].value_counts()
    vintage_id = conn.execute(
        vintages.insert()
        .values(
            published=published,
            fetched_at=utc_naive(fetched_at),
            recorded_at=utc_naive(datetime.now(UTC)),
            sha256=sha256,
            source=source,
            first_date=values["date"].min().date(),
            last_date=values["date"].max().date(),
            n_values=len(values),
            n_revised=int(counts.get("revised", 0)),
            n_added=int(counts.get("added", 0)),
            n_removed=int(counts.get("removed", 0)),
        )
        .returning(vintages.c.id)
    ).scalar_one()

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
            .values(valid_to=vintage_id),
            [{"sid": int(s), "d": d} for s, d in zip(closing["sid"], closing["day"], strict=True)],
        )
    opening = rows[rows["status"] != "removed"]
    if len(opening):
        conn.execute(
            value_versions.insert(),
            [
                {"series_id": int(sid), "day": day, "valid_from": vintage_id, "value": int(v)}
                for sid, day, v in zip(
                    opening["sid"], opening["day"], opening["value"], strict=True
                )
            ],
        )
    return VintageSummary(
        vintage_id=vintage_id,
        published=published,
        sha256=sha256,
        added_vintage=True,
        previous=latest.published if latest is not None else None,
        n_values=len(values),
        n_revised=int(counts.get("revised", 0)),
        n_added=int(counts.get("added", 0)),
        n_removed=int(counts.get("removed", 0)),
        revisions=as_revisions(changes),
    )
