"""What a visit downloads: gzip, and cache headers that let a second visit fetch almost nothing.

A first visit fetched 6.2 MB (JavaScript, mostly): gzip brings it to about 1.8 MB (measured with
``benchmarks/load.py --lone``). Jupyter serves the widget bundles (``/voila/labextensions/``)
with ``Cache-Control: no-cache`` although their names and ``?v=`` carry a content hash; Voila's
own chunks (``/voila/static/<n>.voila.js``) get no header at all.
"""

from __future__ import annotations

import tornado.web

#: Files whose URL changes when their content does: kept a year, never revalidated.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Voila's chunks are named by chunk number, not content: a day, then revalidated (ETag).
DAY = "public, max-age=86400"


def cache_control(path: str, versioned: bool) -> str | None:
    """The ``Cache-Control`` for a successful GET of ``path`` (None: leave the handler's)."""
    if "/voila/labextensions/" in path and versioned:
        return IMMUTABLE
    if "/voila/static/" in path:
        return IMMUTABLE if versioned else DAY
    return None


class CacheHeaders(tornado.web.OutputTransform):
    """Long-lived cache headers on versioned static files (see :func:`cache_control`)."""

    def __init__(self, request):
        self.request = request

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        if status_code == 200 and self.request.method in ("GET", "HEAD"):
            value = cache_control(self.request.path, "v" in self.request.query_arguments)
            if value:
                headers["Cache-Control"] = value
        return status_code, headers, chunk

    def transform_chunk(self, chunk, finishing):
        return chunk
