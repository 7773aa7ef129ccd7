"""The newest vintage Maryland published, shipped inside the package.

A data folder that was never updated reads this snapshot (the state's 2022-03-07 commit of its
county file, xz-compressed, with a provenance JSON), so the dashboard, reports, ``export`` and
``status`` work at once, offline. The first ``mdvax update`` that reaches a source replaces it.
Set ``MDVAX_EMBEDDED_SNAPSHOT=off`` to behave as if no snapshot shipped.
"""

from __future__ import annotations

import functools
import hashlib
import json
import lzma
from datetime import UTC, date, datetime
from importlib import resources

import pandas as pd

from mdvax.errors import CacheError

NAME = "md_vax_county_2022-03-07"


@functools.cache
def provenance() -> dict:
    """Repository, commit, path, publication date and sha256 of the original bytes."""
    return json.loads(resources.files(__package__).joinpath(f"{NAME}.json").read_text("utf-8"))


def note() -> str:
    """What every reader of the snapshot says about it."""
    return (
        f"embedded snapshot, published {provenance()['published']}; "
        "run `mdvax update` to check for newer data"
    )


def raw_bytes() -> bytes:
    """The original CSV, checked against the recorded sha256.

    Raises
    ------
    CacheError
        When the packaged file is missing or damaged.
    """
    try:
        body = lzma.decompress(resources.files(__package__).joinpath(f"{NAME}.csv.xz").read_bytes())
    except (OSError, lzma.LZMAError) as error:
        raise CacheError(f"the embedded snapshot cannot be read: {error}") from error
    if hashlib.sha256(body).hexdigest() != provenance()["sha256"]:
        raise CacheError("the embedded snapshot is damaged (sha256 differs from its provenance)")
    return body


def snapshot():
    """The snapshot as a :class:`~mdvax.sources.base.RawSnapshot` (source ``embedded``)."""
    from mdvax.sources.base import RawSnapshot

    prov = provenance()
    published = date.fromisoformat(prov["published"])
    return RawSnapshot(
        raw_bytes(),
        "embedded",
        f"{prov['repository']}/blob/{prov['commit']}/{prov['path']}",
        "csv",
        # The commit's time of day is not recorded: the publication day stands for it.
        fetched_at=datetime(published.year, published.month, published.day, 17, tzinfo=UTC),
    )


@functools.cache
def _loaded() -> tuple[pd.DataFrame, object]:
    from mdvax.cache import CacheMeta
    from mdvax.normalize import normalize

    raw = snapshot()
    normalized = normalize(raw)
    table = normalized.table
    prov = provenance()
    meta = CacheMeta(
        source=note(),
        url=raw.url,
        fetched_at=raw.fetched_at,
        sha256=raw.sha256,
        raw_path=f"(package) mdvax/embedded/{NAME}.csv.xz",
        etag=None,
        last_modified=None,
        published=date.fromisoformat(prov["published"]),
        first_date=table["date"].min().date(),
        last_date=table["date"].max().date(),
        rows=len(table),
        source_rows=normalized.source_rows,
        quarantined=len(normalized.quarantined),
        schema=normalized.schema,
    )
    return table, meta


def load_table() -> pd.DataFrame:
    """The snapshot's canonical table (a copy: callers may modify it)."""
    return _loaded()[0].copy()


def load_meta():
    """Its :class:`~mdvax.cache.CacheMeta`; ``source`` is :func:`note`."""
    return _loaded()[1]
