"""``mdvax update --dataset NAME``: the newest file of each dataset beyond the county table.

Each dataset's preferred file (:mod:`mdvax.normalize.registry`) is downloaded from the state's
repository folder (``MDVAX_MARYLAND_RAW_URL``), normalized and recorded in the archive as the
vintage of its publication day: the ``Last-Modified`` day in America/New_York, else the day of
the download there. Nothing else is written (these datasets have no cache of their own: the
archive's newest vintage is the current table). A file identical to the newest vintage adds
nothing; an empty file is never recorded (the previous vintage stays in force). Each dataset
is its own transaction and its own line; any failure makes the command exit non-zero after
the others were tried.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from mdvax.config import Settings, get_settings
from mdvax.errors import EmptySnapshotError, MdvaxError
from mdvax.normalize.registry import dataset as registered
from mdvax.sources.base import sniff
from mdvax.sources.http import download, make_session

MARYLAND = ZoneInfo("America/New_York")


def update_dataset(name: str, settings: Settings | None = None) -> str:
    """Fetch and record the newest vintage of dataset ``name``; the line to print.

    Raises
    ------
    MdvaxError
        When the file cannot be fetched or read (the message names the dataset and URL).
    """
    from mdvax.archive import Archive

    settings = settings or get_settings()
    entry = registered(name)
    url = entry.url(settings.maryland_raw_url)
    answer = download(make_session(settings), url, settings, what=f"{name} file")
    sniff(answer.body, "csv", url)
    fetched_at = datetime.now(UTC)
    published = _published(answer.last_modified, fetched_at)
    sha256 = hashlib.sha256(answer.body).hexdigest()
    with Archive.open(settings.archive_url) as archive:
        known = archive.dataset_vintages(name)
        if len(known) and known["sha256"].iloc[-1] == sha256:
            return f"{name}: nothing new (the vintage of {known['published'].iloc[-1]:%Y-%m-%d})"
        try:
            normalized = entry.normalize(answer.body, fetched_at)
        except EmptySnapshotError:
            return f"{name}: the file is empty: not recorded, the previous vintage stays in force"
        details = {"url": url, "path": entry.files[0], "sha256": sha256,
                   "layout": normalized.schema, "quarantined": len(normalized.quarantined),
                   "notes": list(normalized.notes)}  # fmt: skip
        outcome = archive.record_dataset(
            normalized, published=published, fetched_at=fetched_at, sha256=sha256,
            source="maryland-raw", details=json.dumps(details, sort_keys=True),
        )  # fmt: skip
    return f"{name}: {outcome} the vintage of {published:%Y-%m-%d} ({len(normalized.table):,} rows)"


def update_datasets(names: list[str], settings: Settings | None = None) -> tuple[list[str], bool]:
    """:func:`update_dataset` for each of ``names``: the lines, and whether all succeeded."""
    lines, ok = [], True
    for name in names:
        try:
            lines.append(update_dataset(name, settings))
        except MdvaxError as error:
            lines.append(f"{name}: failed: {error}")
            ok = False
    return lines, ok


def _published(last_modified: str | None, fetched_at: datetime):
    """The ``Last-Modified`` day in Maryland, else the download's day there."""
    if last_modified:
        try:
            return email.utils.parsedate_to_datetime(last_modified).astimezone(MARYLAND).date()
        except (TypeError, ValueError):
            pass
    return fetched_at.astimezone(MARYLAND).date()
