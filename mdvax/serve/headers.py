"""Headers: the Content-Security-Policy (with a page's nonce), no ``Server``, cache lifetimes.

Jupyter serves the widget bundles (``/voila/labextensions/``) with ``Cache-Control: no-cache``
although their names and ``?v=`` carry a content hash; Voila's own chunks
(``/voila/static/<n>.voila.js``) get no header at all: :class:`CacheHeaders` fixes both.

What needs the page (the nonce of its inline scripts) is done here; TLS and HSTS are the
proxy's (docs/serving.md, "Public topology").
"""

from __future__ import annotations

import tornado.web

#: Sent on every response. ``style-src`` allows inline styles: the dashboard colours its map
#: with a ``<style>`` element the kernel rewrites at every step, and widgets set ``style``
#: attributes; CSS cannot run script. Scripts: this server's files and the page's own inline
#: scripts (a fresh nonce per page); nothing from another origin, no inline handlers.
#: ``'unsafe-eval'``: jupyter-leaflet's bundle compiles a lodash template with ``Function`` when
#: it loads (without it no map widget loads); injected markup still cannot run script.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'{nonce}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
#: Only for what a browser can open as a document (or worker): not on scripts and stylesheets,
#: where browsers ignore them (a page load fetches ~110 of those: ~40 KB of headers).
DOCUMENT_HEADERS = {
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
SUBRESOURCE_TYPES = ("text/javascript", "application/javascript", "text/css")


class SecurityHeaders(tornado.web.OutputTransform):
    """Headers for every response, websocket upgrades and errors included; no ``Server``.

    Also marks a request forwarded by a trusted proxy over HTTPS as ``https``, so Jupyter sets
    its cookie ``Secure``.
    """

    trusted: tuple[str, ...] = ()

    def __init__(self, request):
        self.request = request
        if (
            request.remote_ip in self.trusted
            and request.headers.get("X-Forwarded-Proto", "").lower() == "https"
        ):
            request.protocol = "https"

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        headers.pop("Server", None)
        headers.update(HEADERS)
        if headers.get("Content-Type", "").startswith(SUBRESOURCE_TYPES) and status_code == 200:
            return status_code, headers, chunk
        headers.update(DOCUMENT_HEADERS)
        nonce = getattr(self.request, "mdvax_nonce", None)
        headers["Content-Security-Policy"] = CSP.format(nonce=f" 'nonce-{nonce}'" if nonce else "")
        return status_code, headers, chunk

    def transform_chunk(self, chunk, finishing):
        return chunk


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
