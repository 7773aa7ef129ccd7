"""One update: source -> normalize -> archive -> cache. The only code that writes the cache."""

from __future__ import annotations

import email.utils
import logging
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from mdvax.cache import Cache, CacheMeta
from mdvax.cache.files import remove_stale_temporaries
from mdvax.config import Settings, get_settings
from mdvax.errors import MdvaxError, SourceError
from mdvax.normalize import Normalized, normalize
from mdvax.sources import SOURCE_NAMES
from mdvax.sources.base import RawSnapshot
from mdvax.sources.local import FileSource, from_upload
from mdvax.sources.maryland import MarylandApiSource, MarylandCsvSource, MarylandGithubSource

log = logging.getLogger(__name__)

#: Source classes by name; ``--source auto`` tries them in this order (CSV first).
SOURCES = {cls.name: cls for cls in (MarylandCsvSource, MarylandApiSource, MarylandGithubSource)}
if tuple(SOURCES) != SOURCE_NAMES:  # an explicit check: kernels run with -OO (no asserts)
    raise SourceError(f"source classes {tuple(SOURCES)} do not match SOURCE_NAMES {SOURCE_NAMES}")


@dataclass(frozen=True)
class UpdateResult:
    """What an update did.

    Attributes
    ----------
    status : str
        ``"updated"``, ``"unchanged"`` (the source had nothing new) or ``"archived"`` (the
        source's data was published before the cached table: archived, cache kept).
    meta : CacheMeta
        Metadata of the current table after the update.
    quarantined : pandas.DataFrame or None
        Raw rows set aside by this update (``None`` when unchanged).
    revisions : object or None
        The archive's summary of what this vintage revised (printable).
    answered : str
        With several sources to try: which one answered and why the others did not.
    fetched : CacheMeta or None
        For ``"archived"``: the older snapshot that was archived.
    """

    status: str
    meta: CacheMeta
    quarantined: pd.DataFrame | None = None
    revisions: object | None = None
    answered: str = ""
    fetched: CacheMeta | None = None

    def summary(self) -> str:
        """The one-line summary ``mdvax update`` prints."""
        m = self.meta
        if self.status == "archived":
            f = self.fetched
            return (
                f"archived an older vintage from {f.source} (published {f.published}); "
                f"the current table stays the one published {m.published}"
            )
        if self.status == "unchanged":
            return (
                f"nothing new from {m.source}: {m.rows:,} rows, {m.first_date} to {m.last_date}, "
                f"published {m.published} (fetched {m.fetched_at:%Y-%m-%d %H:%M} UTC)"
            )
        return (
            f"updated from {m.source}: {m.source_rows:,} source rows -> {m.rows:,} rows, "
            f"24 counties + Unassigned, {m.first_date} to {m.last_date}, "
            f"{m.quarantined} quarantined, as of {m.published}"
        )


def sources_for(name: str, location: str | None, settings: Settings) -> list:
    """The sources to try, in order, for ``--source NAME`` / ``--from LOCATION``."""
    if location:
        return [FileSource(location, settings)]
    if name == "auto":
        return [cls(settings) for cls in SOURCES.values()]
    if name not in SOURCES:
        raise SourceError(f"unknown source {name!r}; choose from auto, {', '.join(SOURCES)}")
    return [SOURCES[name](settings)]


def update(
    source: str = "auto",
    from_: str | None = None,
    settings: Settings | None = None,
    progress: bool = False,
) -> UpdateResult:
    """Fetch, validate and store the newest data; archive it as a vintage.

    Nothing is written unless every step succeeds; the previous data stays readable throughout.

    Parameters
    ----------
    source : str
        ``auto``, ``maryland-csv`` or ``maryland-api``.
    from_ : str, optional
        A path or URL to read instead of the sources.
    settings : Settings, optional
        Defaults to :func:`mdvax.config.get_settings`.
    progress : bool
        Show progress bars.

    Raises
    ------
    MdvaxError
        With a message saying which source failed and why.
    """
    settings = settings or get_settings()
    cache = Cache(settings)
    with cache.lock():
        remove_stale_temporaries(settings.data_dir)
        previous = cache.load_meta_or_none()
        candidates = sources_for(source, from_, settings)
        snapshot, answered = _fetch_first(candidates, previous, progress)
        if snapshot is None or (previous and snapshot.sha256 == previous.sha256):
            log.info("source unchanged")
            return UpdateResult("unchanged", previous, answered=answered)
        normalized = normalize(snapshot)
        meta = _meta(snapshot, normalized, cache.store_raw(snapshot), settings)
        revisions = _archive(normalized, meta, settings)
        if previous is not None and meta.published < previous.published:
            # An older publication (a frozen mirror, say): it joins the archive's timeline,
            # but the current table stays the newest one.
            return UpdateResult(
                "archived", previous, normalized.quarantined, revisions, answered, meta
            )
        cache.write_current(normalized.table, meta, normalized.quarantined)
        return UpdateResult("updated", meta, normalized.quarantined, revisions, answered)


def _fetch_first(
    sources: list, previous: CacheMeta | None, progress: bool
) -> tuple[RawSnapshot | None, str]:
    """The first source that answers, and a line saying which one and why others did not."""
    failures = []
    for index, candidate in enumerate(sources):
        same = (
            previous is not None
            and previous.source == candidate.name
            and previous.url == candidate.url
        )
        validators = (
            {"etag": previous.etag, "last_modified": previous.last_modified} if same else {}
        )
        try:
            snapshot = candidate.fetch(progress=progress, **validators)
        except MdvaxError as error:
            log.warning("%s failed: %s", candidate.name, error)
            failures.append(f"{candidate.name}: {error}")
            continue
        if len(sources) == 1:
            return snapshot, ""
        others = failures + [f"{later.name}: not needed" for later in sources[index + 1 :]]
        return snapshot, f"source: {candidate.name} answered ({'; '.join(others)})"
    raise SourceError("no source could be read -- " + " | ".join(failures))


def _meta(snapshot: RawSnapshot, normalized: Normalized, raw_path, settings: Settings) -> CacheMeta:
    table = normalized.table
    last_date = table["date"].max().date()
    return CacheMeta(
        source=snapshot.source,
        url=snapshot.url,
        fetched_at=snapshot.fetched_at,
        sha256=snapshot.sha256,
        raw_path=str(raw_path.relative_to(settings.data_dir)),
        etag=snapshot.etag,
        last_modified=snapshot.last_modified,
        published=publication_date(
            snapshot.last_modified, last_date + timedelta(days=snapshot.data_lag_days)
        ),
        first_date=table["date"].min().date(),
        last_date=last_date,
        rows=len(table),
        source_rows=normalized.source_rows,
        quarantined=len(normalized.quarantined),
        schema=normalized.schema,
    )


def publication_date(last_modified: str | None, last_data_date: date) -> date:
    """The ``Last-Modified`` day when the server sent one, else ``last_data_date``.

    Callers pass the latest data date plus the source's lag (one day for the state's
    repository, which commits day D with data through D-1).
    """
    if last_modified:
        try:
            return email.utils.parsedate_to_datetime(last_modified).date()
        except (TypeError, ValueError):
            log.warning("ignoring unreadable Last-Modified %r", last_modified)
    return last_data_date


def _archive(normalized: Normalized, meta: CacheMeta, settings: Settings) -> object:
    from mdvax.archive import Archive

    with Archive.open(settings.archive_url) as archive:
        return archive.record_vintage(
            normalized.table,
            published=meta.published,
            fetched_at=meta.fetched_at,
            sha256=meta.sha256,
            source=meta.source,
        )


def load_uploaded(content: bytes, filename: str) -> Normalized:
    """Validate a visitor's uploaded CSV exactly like ``mdvax update --from`` (nothing is stored)."""
    return normalize(from_upload(content, filename))
