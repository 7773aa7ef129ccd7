"""One compiled copy of Voila's page templates for the whole server.

Voila makes a new nbconvert exporter, hence a new Jinja environment, for every page it renders
(each preheated kernel, each page rendered without the pool), and Jinja parses and compiles the
page's templates (``index.html.j2`` and the dozen it extends or imports) anew each time. In a
burst that was a third of the server's event loop (py-spy on ``benchmarks/load.py``), time in
which no other visitor was answered. A shared in-memory bytecode cache compiles each template
once per process: later environments read its source (to check it did not change) and run the
compiled code.
"""

from __future__ import annotations

import threading

import jinja2

from mdvax.upstream.voila import share_jinja_bytecode


class SharedBytecode(jinja2.BytecodeCache):
    """Compiled templates by (async or not, Jinja's key), checked against the source checksum."""

    def __init__(self) -> None:
        self._code: dict[tuple, tuple[str, object]] = {}
        self._lock = threading.Lock()

    def _key(self, bucket: jinja2.bccache.Bucket) -> tuple:
        # Async and sync environments compile the same source differently.
        return (bucket.environment.is_async, bucket.key)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        found = self._code.get(self._key(bucket))
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with self._lock:
            self._code[self._key(bucket)] = (bucket.checksum, bucket.code)

    def __len__(self) -> int:
        return len(self._code)


#: The server's cache (see :func:`share_compiled_templates`).
SHARED = SharedBytecode()


def share_compiled_templates() -> None:
    """Make every Jinja environment Voila's exporter makes use :data:`SHARED` (once)."""
    share_jinja_bytecode(SHARED)
