"""The local cache in ``data/``: immutable raw files, the current table and its metadata."""

from __future__ import annotations

import gzip
import json
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from mdvax.cache.files import atomic_write, atomic_write_bytes, locked
from mdvax.config import Settings
from mdvax.errors import CacheError
from mdvax.sources.base import RawSnapshot

_META_KEY = b"mdvax"


@dataclass(frozen=True)
class CacheMeta:
    """Where the current table came from.

    Attributes
    ----------
    source, url : str
        Source name and location.
    fetched_at : datetime
        When the raw file was received (UTC).
    sha256 : str
        Of the raw file.
    raw_path : str
        The compressed raw file, relative to the data folder.
    etag, last_modified : str or None
        The server's validators, for conditional requests.
    published : date
        Publication date: the ``Last-Modified`` day if sent, else the last data date.
    first_date, last_date : date
        The table's date range.
    rows : int
        Rows of the canonical table.
    source_rows : int
        Rows of the raw file.
    quarantined : int
        Raw rows set aside (bogus dates).
    schema : str
        Which historical column schema the raw file had.
    """

    source: str
    url: str
    fetched_at: datetime
    sha256: str
    raw_path: str
    etag: str | None
    last_modified: str | None
    published: date
    first_date: date
    last_date: date
    rows: int
    source_rows: int
    quarantined: int
    schema: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=lambda v: v.isoformat(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> CacheMeta:
        values = json.loads(text)
        values["fetched_at"] = datetime.fromisoformat(values["fetched_at"])
        for name in ("published", "first_date", "last_date"):
            values[name] = date.fromisoformat(values[name])
        return cls(**{f.name: values[f.name] for f in fields(cls)})


class Cache:
    """Read and write the cache folder of ``settings.data_dir``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.data_dir

    def lock(self, timeout: float = 0) -> AbstractContextManager[None]:
        """The lock held for a whole update: ``with cache.lock(): ...``.

        Raises :class:`CacheError` on entering when another update still holds it after
        ``timeout`` seconds (0: a second update fails fast).
        """
        return locked(
            self.settings.lock_path,
            timeout,
            f"another update is running (lock {self.settings.lock_path}); try again when it ends",
        )

    def store_raw(self, snapshot: RawSnapshot) -> Path:
        """Keep the raw file, compressed, under a dated name with its hash; return its path."""
        suffix = "json" if snapshot.kind == "json" else "csv"
        folder = self.settings.raw_dir / snapshot.source
        existing = sorted(folder.glob(f"*_{snapshot.sha256}.{suffix}.gz"))
        if existing:  # the same bytes were fetched before: keep the first copy
            return existing[0]
        name = f"{snapshot.fetched_at:%Y-%m-%dT%H%M%SZ}_{snapshot.sha256}.{suffix}.gz"
        path = folder / name
        atomic_write_bytes(path, gzip.compress(snapshot.body, mtime=0))
        return path

    def write_current(
        self, table: pd.DataFrame, meta: CacheMeta, quarantined: pd.DataFrame
    ) -> None:
        """Replace the current table, its metadata inside the same file.

        The two can never disagree; ``current.json`` and ``quarantine.csv`` are readable copies.
        """
        import pyarrow as pa
        import pyarrow.feather as feather

        arrow = pa.Table.from_pandas(table, preserve_index=False)
        arrow = arrow.replace_schema_metadata(
            {**(arrow.schema.metadata or {}), _META_KEY: meta.to_json().encode()}
        )
        atomic_write(
            self.settings.quarantine_path, lambda tmp: quarantined.to_csv(tmp, index=False)
        )
        atomic_write(
            self.settings.current_table_path,
            lambda tmp: feather.write_feather(arrow, tmp, compression="uncompressed"),
        )
        atomic_write_bytes(self.settings.current_meta_path, meta.to_json().encode())

    def load_table(self) -> pd.DataFrame:
        """The current canonical table (raises :class:`CacheError` when there is none)."""
        path = self._current()
        try:
            import pyarrow as pa
            import pyarrow.feather as feather

            # Memory-mapped, read as an in-memory buffer and without threads: reading the
            # mapped file itself starts Arrow's I/O and CPU thread pools, and the fork server
            # (mdvax.serve.fork.forkserver) must not fork with threads running.
            with pa.memory_map(str(path)) as source:
                buffer = source.read_buffer()
            table = feather.read_table(pa.BufferReader(buffer), use_threads=False)
            return table.to_pandas(use_threads=False)
        except Exception as error:
            raise CacheError(
                f"the cached table {path} cannot be read ({error}); run `mdvax update`"
            ) from error

    def load_meta(self) -> CacheMeta:
        """Metadata of the current table, read from the table file itself."""
        import pyarrow as pa

        path = self._current()
        try:
            with pa.memory_map(str(path)) as source:  # as a buffer: no threads (load_table)
                buffer = source.read_buffer()
            text = pa.ipc.open_file(pa.BufferReader(buffer)).schema.metadata[_META_KEY]
            return CacheMeta.from_json(text)
        except Exception as error:
            raise CacheError(
                f"the cached table {path} has no readable metadata ({error})"
            ) from error

    def load_meta_or_none(self) -> CacheMeta | None:
        try:
            return self.load_meta()
        except CacheError:
            return None

    def load_quarantine(self) -> pd.DataFrame:
        """Raw rows the newest update set aside (empty when there were none)."""
        path = self.settings.quarantine_path
        if not path.exists() or path.stat().st_size == 0:
            return pd.DataFrame(columns=["date", "county", "reason"])
        return pd.read_csv(path)

    def _current(self) -> Path:
        path = self.settings.current_table_path
        if not path.exists():
            raise CacheError(
                f"no data cached in {self.root}: run `mdvax update` (or `mdvax update --from FILE` offline)"
            )
        return path
