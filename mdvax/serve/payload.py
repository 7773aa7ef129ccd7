"""What a visit downloads: compressed copies of the static files, made once.

A first visit fetched 6.2 MB (JavaScript, mostly): gzip brings it to about 1.8 MB (measured with
``benchmarks/load.py --lone``). The cache headers that let a second visit fetch almost nothing
are in :mod:`mdvax.serve.headers`.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import hashlib
import logging
import os
import queue
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

# Compressed copies of static files ---------------------------------------------------------

#: What is worth compressing (text); fonts and images are compressed already or tiny.
COMPRESSIBLE = frozenset({".js", ".mjs", ".css", ".json", ".svg", ".html", ".map", ".txt"})
#: Smaller files are sent as they are (headers would outweigh the saving).
MIN_BYTES = 1024
#: Encodings made once per file, in order of preference (brotli when the package is there).
ENCODINGS = ("br", "gzip")
_SUFFIX = {"br": ".br", "gzip": ".gz"}


def cache_folder() -> Path:
    """Where compressed copies are kept: ``$MDVAX_CACHE_DIR/static``, else the user's cache."""
    from mdvax.config import get_settings

    return get_settings().static_cache


def accepted(header: str) -> set[str]:
    """Encodings an ``Accept-Encoding`` header allows (``q=0`` excluded)."""
    found = set()
    for part in header.split(","):
        name, _, params = part.partition(";")
        name, params = name.strip().lower(), params.strip()
        try:
            weight = float(params[2:]) if params.startswith("q=") else 1.0
        except ValueError:
            continue
        if name and weight > 0:
            found.add(name)
    return found


def compress(data: bytes, encoding: str) -> bytes:
    """``data`` compressed as tightly as the encoding allows (done once per file)."""
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=9, mtime=0)
    import brotli

    return brotli.compress(data, quality=11)


def _available() -> tuple[str, ...]:
    try:
        import brotli  # noqa: F401
    except ImportError:  # gzip only
        return ("gzip",)
    return ENCODINGS


class Precompressed:
    """Compressed copies of the static files served, made once, kept on disk.

    Tornado compresses every response anew (gzip level 6, in the server's one event loop):
    a first visit's 6 MB of JavaScript cost each visitor ~0.2 CPU-seconds of the loop. Here
    each file is compressed once, in a background thread of low priority (brotli quality 11
    and gzip level 9: smaller than level 6), and the copies are kept under :func:`cache_folder`
    named by the file's path, size and modification time, so a restart finds them. Until a
    file's copies exist, it goes out as before (Tornado's gzip).
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else cache_folder()
        self.encodings = _available()
        self._copies: dict[tuple, dict[str, str]] = {}
        self._queued: set[tuple] = set()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    def copy_for(self, path: str, size: int, mtime_ns: int, accept: str) -> tuple[str, str] | None:
        """(encoding, path of the copy) to send for ``path``, or None (send it as it is).

        Queues the file for compression the first time it is asked for.
        """
        if size < MIN_BYTES or os.path.splitext(path)[1] not in COMPRESSIBLE:
            return None
        key = (path, size, mtime_ns)
        copies = self._copies.get(key)
        if copies is None:
            copies = self._on_disk(key)
            if len(copies) < len(self.encodings):
                self._enqueue(key)
        wanted = accepted(accept)
        for encoding in self.encodings:
            if encoding in wanted and encoding in copies:
                return encoding, copies[encoding]
        return None

    def _name(self, key: tuple, encoding: str) -> Path:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        return self.folder / f"{digest}{os.path.splitext(key[0])[1]}{_SUFFIX[encoding]}"

    def _on_disk(self, key: tuple) -> dict[str, str]:
        copies = {e: str(self._name(key, e)) for e in self.encodings}
        copies = {e: p for e, p in copies.items() if os.path.exists(p)}
        if len(copies) == len(self.encodings):
            self._copies[key] = copies
        return copies

    def _enqueue(self, key: tuple) -> None:
        with self._lock:
            if key in self._queued:
                return
            self._queued.add(key)
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name="mdvax-compress", daemon=True
                )
                self._worker.start()
        self._queue.put(key)

    def _work(self) -> None:
        # This thread only (Linux): the kernels and the event loop go first.
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        while True:
            key = self._queue.get()
            try:
                self.make(key)
            except Exception:  # the file goes out as before
                log.exception("cannot compress %s", key[0])

    def make(self, key: tuple) -> dict[str, str]:
        """Write the compressed copies of ``key``'s file (atomically); their paths."""
        data = Path(key[0]).read_bytes()
        self.folder.mkdir(parents=True, exist_ok=True)
        copies = {}
        for encoding in self.encodings:
            target = self._name(key, encoding)
            if not target.exists():
                fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
                with os.fdopen(fd, "wb") as out:
                    out.write(compress(data, encoding))
                os.replace(temporary, target)
            copies[encoding] = str(target)
        self._copies[key] = copies
        return copies


class PrecompressedFiles:
    """Mixed into Voila's static file handlers: send a file's compressed copy when there is one.

    Tornado's ``StaticFileHandler`` then serves the copy (ETag, ranges, 304s as for any file)
    with the original's ``Content-Type`` and a ``Content-Encoding``; the gzip transform leaves
    a response that has one alone.
    """

    store: Precompressed | None = None

    def validate_absolute_path(self, root, absolute_path):
        checked = super().validate_absolute_path(root, absolute_path)
        self.mdvax_original, self.mdvax_encoding = checked, None
        if checked is None or self.store is None or self.request.method not in ("GET", "HEAD"):
            return checked
        stat = os.stat(checked)
        found = self.store.copy_for(
            checked, stat.st_size, stat.st_mtime_ns, self.request.headers.get("Accept-Encoding", "")
        )
        if found is None:
            return checked
        self.mdvax_encoding, copy = found
        self.mdvax_copy_stat = os.stat(copy)
        return copy

    # Size and time of the file sent: the compressed copy's when there is one (Tornado's
    # documented overrides; its own cached stat is of the original).
    def get_content_size(self):
        copy = getattr(self, "mdvax_copy_stat", None)
        return copy.st_size if copy is not None else super().get_content_size()

    def get_modified_time(self):
        copy = getattr(self, "mdvax_copy_stat", None)
        if copy is None:
            return super().get_modified_time()
        return datetime.datetime.fromtimestamp(int(copy.st_mtime), datetime.UTC)

    def compute_etag(self):
        # Tornado's is the file's SHA-512 in hex (130 bytes in every response); 128 bits do.
        etag = super().compute_etag()
        return etag[:33] + '"' if etag and len(etag) > 34 else etag

    def get_content_type(self):
        copy, self.absolute_path = self.absolute_path, self.mdvax_original
        try:
            return super().get_content_type()
        finally:
            self.absolute_path = copy

    def set_extra_headers(self, path):
        super().set_extra_headers(path)  # (Tornado's gzip transform adds Vary: Accept-Encoding)
        if self.mdvax_encoding:
            self.set_header("Content-Encoding", self.mdvax_encoding)


def with_precompressed(handler: type) -> type:
    """``handler`` (a ``StaticFileHandler`` class) serving compressed copies."""
    return type(f"Precompressed{handler.__name__}", (PrecompressedFiles, handler), {})
