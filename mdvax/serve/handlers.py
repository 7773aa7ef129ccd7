"""Tornado handlers added to Voila: the kernel caps (busy page), the health check, headers."""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections import Counter
from contextvars import ContextVar
from typing import ClassVar

import tornado.web
import zmq

from mdvax.serve.kernels import client_address, is_local
from mdvax.serve.static_view import BUSY_NOTICE, FAILED_NOTICE
from mdvax.templates import Markup, render
from mdvax.upstream.voila import TornadoVoilaHandler

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

#: The page request being handled in this task (see ``CappedVoilaHandler.get``).
_TICKET: ContextVar[dict | None] = ContextVar("mdvax_ticket", default=None)
_SCRIPT_TAG = re.compile(r"<script(?=[\s>])")


def busy_page(retry_after: int, limit: int = 0, view: str = "", nonce: str = "") -> str:
    """The busy page: all slots taken, or (``limit``) this client already holds its share.

    ``view`` is the still picture of the view asked for (:mod:`mdvax.serve.static_view`);
    ``nonce`` lets its retry script run under the CSP (without it: a fixed refresh).
    """
    return render(
        "serve/busy.html.j2", retry_after=retry_after, too_many=bool(limit), limit=limit,
        view=Markup(view), notice=BUSY_NOTICE, nonce=nonce,
    )  # fmt: skip


def page_start(app, view: str) -> str:
    """The live page's start: doctype, head, ``<body>`` and the still picture ``view``.

    Sent before Voila renders anything (see ``serve/page_start.html.j2``); the ``<body>``
    attributes are those Voila's "lab" template gives (its theme, the page's base URL).
    """
    theme = app.voila_configuration.theme
    if theme in ("dark", "JupyterLab Dark"):
        body = {"cls": "jp-Notebook theme-dark", "light": "false", "name": "JupyterLab Dark"}
    elif theme in ("light", "JupyterLab Light"):
        body = {"cls": "jp-Notebook theme-light", "light": "true", "name": "JupyterLab Light"}
    else:
        body = {"cls": "jp-Notebook", "light": "", "name": theme}
    body["base_url"] = app.base_url
    return render("serve/page_start.html.j2", body=body, view=Markup(view))


async def static_view(app, request) -> str:
    """The still picture for ``request``'s query ("" when the server has none)."""
    views = getattr(app, "static_views", None)
    if views is None:
        return ""
    try:
        return await views.html_async(request.query)
    except Exception:  # the live page or the notice must still go out
        app.log.exception("still picture failed")
        return ""


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


class CappedVoilaHandler(TornadoVoilaHandler):
    """Voila's notebook handler, refusing visitors beyond the kernel caps.

    With ``max_kernels`` live kernels at most and ``pool_size`` of them kept preheated,
    ``max_kernels - pool_size`` visitors can hold a kernel at once, and one client address at
    most ``kernels_per_client``. Beyond that: the busy page, HTTP 503 (429 for one client's
    share) with ``Retry-After``, instead of a page that hangs or a host out of memory.
    """

    #: Page requests admitted but not yet holding a kernel, in all and by client. They count
    #: against the caps too: a burst would otherwise pass the check before any has a kernel.
    waiting = 0
    waiting_by_client: ClassVar[Counter] = Counter()

    #: True once the response is finished (Tornado's ``on_finish`` hook).
    mdvax_finished = False

    def on_finish(self):
        self.mdvax_finished = True
        super().on_finish()

    async def get(self, path=None):
        app = self.settings["voila"]
        if path:
            await super().get(path)  # Voila redirects any other path to /voila/files (403)
            return
        # First (it may wait for the data after a start): the cap checks below and the
        # counting of this request must not be split by an await.
        view = await static_view(app, self.request)
        manager = self.kernel_manager
        client = client_address(self.request, app.trusted_proxies)
        counts = manager.counts()
        voila_cfg = app.voila_configuration
        pool_size = voila_cfg.default_pool_size if voila_cfg.preheat_kernel else 0
        held = manager.kernels_of(client) + self.waiting_by_client[client]
        if held >= app.kernels_per_client:
            self.log.warning("client kernel cap reached", extra={"client": client, **counts})
            self._busy(429, app, view, app.kernels_per_client)
            return
        if counts["in_use"] + CappedVoilaHandler.waiting >= app.max_kernels - pool_size:
            self.log.warning("kernel cap reached, busy page sent", extra=counts)
            self._busy(503, app, view)
            return
        # Template and theme cannot be overridden (voila.json); dropping the arguments also
        # keeps such a request on the preheated pool instead of a fresh, slower kernel.
        for name in ("template", "theme"):
            self.request.arguments.pop(name, None)
        self.request.mdvax_nonce = secrets.token_urlsafe(18)
        ticket = {"waiting": True, "client": client, "kernel_id": None}
        CappedVoilaHandler.waiting += 1
        CappedVoilaHandler.waiting_by_client[client] += 1
        token = _TICKET.set(ticket)
        try:
            # The still picture goes out now, before Voila waits for a kernel or renders.
            self._start_page(app, view)
            await super().get(path)
        except Exception:
            if self.mdvax_finished or self.request.connection.stream.closed():
                raise
            # The page's start is out (status 200): say so under the still picture.
            self.log.exception("live page failed after its start was sent")
            self.finish(f'<p class="mdvax-static-notice" role="status">{FAILED_NOTICE}</p>')
        finally:
            kernel_assigned(ticket)
            _TICKET.reset(token)
            if ticket["kernel_id"]:
                manager.page_sent(ticket["kernel_id"])

    def _start_page(self, app, view: str) -> None:
        """Send the headers and the page's start with the still picture (flushed)."""
        self.set_header("Content-Type", "text/html; charset=utf-8")
        # Voila's own headers for the page (it names a kernel: never cached).
        self.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
        self.set_header("Pragma", "no-cache")
        self.set_header("Expires", "0")
        self.write(page_start(app, view))
        self.flush()

    def write(self, chunk):
        """Page HTML, with this response's nonce on its script tags (see :data:`CSP`).

        Also writes the websocket message limit into ``kernel_watch.js``.
        """
        nonce = getattr(self.request, "mdvax_nonce", None)
        if nonce and isinstance(chunk, str):
            chunk = _SCRIPT_TAG.sub(f'<script nonce="{nonce}"', chunk)
            limit = self.settings.get("websocket_max_message_size", 0)
            chunk = chunk.replace('"MDVAX_MAX_MESSAGE_BYTES"', f'"{limit}"')
        return super().write(chunk)

    def _busy(self, status: int, app, view: str, limit: int = 0) -> None:
        """The busy page: the still picture of the view asked for, retried with backoff.

        HTTP 503 (429 beyond one client's share) with ``Retry-After``: browsers show the body
        as they would a 200, while proxies, monitors and crawlers learn that the live page was
        refused (docs/serving.md, "The busy page").
        """
        nonce = self.request.mdvax_nonce = secrets.token_urlsafe(18)
        self.set_status(status)
        self.set_header("Retry-After", str(app.retry_after))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(busy_page(app.retry_after, limit, view, nonce))


def kernel_taken(manager, kernel_id: str) -> None:
    """Voila handed ``kernel_id`` to the current page request: record its visitor."""
    ticket = _TICKET.get(None)
    manager.take(kernel_id, ticket["client"] if ticket else "")
    if ticket is not None:
        ticket["kernel_id"] = kernel_id
        kernel_assigned(ticket)


def kernel_assigned(ticket: dict) -> None:
    """The page request of ``ticket`` holds a kernel (or ended): no longer waiting (once)."""
    if ticket["waiting"]:
        ticket["waiting"] = False
        CappedVoilaHandler.waiting -= 1
        CappedVoilaHandler.waiting_by_client[ticket["client"]] -= 1
        if CappedVoilaHandler.waiting_by_client[ticket["client"]] <= 0:
            del CappedVoilaHandler.waiting_by_client[ticket["client"]]


def kernel_problem(manager) -> str | None:
    """Why visitors' kernels cannot be reached right now, or ``None``."""
    try:
        probe = manager.context.socket(zmq.DEALER)
        probe.close(linger=0)
    except zmq.ZMQError as error:
        return f"cannot open ZMQ sockets: {error}"
    if manager.start_errors:
        return f"{manager.start_errors} kernel start(s) failed in a row"
    return None


class HealthHandler(tornado.web.RequestHandler):
    """``GET /healthz``: 200 when kernels can be started and reached, else 503; never a kernel.

    Counts only for callers on this machine (not through the proxy) or with the
    ``Authorization: Bearer <MDVAX_SERVE_HEALTH_TOKEN>`` header; others get the status alone.
    """

    def get(self):
        app = self.settings["voila"]
        manager = app.kernel_manager
        problem = kernel_problem(manager)
        body = {"status": "unhealthy" if problem else "ok"}
        if is_local(self.request) or self._has_token(app.health_token):
            body.update(manager.counts())
            body["waiting"] = CappedVoilaHandler.waiting
            body["max_kernels"] = app.max_kernels
            views = getattr(app, "static_views", None)
            body["static_views"] = views.served if views is not None else 0
            if problem:
                body["problem"] = problem
        self.set_status(503 if problem else 200)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))

    def _has_token(self, token: str | None) -> bool:
        given = self.request.headers.get("Authorization", "")
        return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
