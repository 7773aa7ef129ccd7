"""The dashboard's page, with the still picture first.

Admitted visitors get the page's start (the still picture) at once, then Voila's live page; the
others get the busy page with the same still picture.
"""

from __future__ import annotations

import re
import secrets

from tornado.web import HTTPError

from mdvax.serve.kernels import client_address
from mdvax.serve.static_view import BUSY_NOTICE, FAILED_NOTICE
from mdvax.templates import Markup, render
from mdvax.upstream.voila import TornadoVoilaHandler

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


class CappedVoilaHandler(TornadoVoilaHandler):
    """Voila's notebook handler: the caps (:mod:`~mdvax.serve.admission`), then the page.

    Beyond the caps: the busy page, HTTP 503 (429 for one client's share) with ``Retry-After``,
    instead of a page that hangs or a host out of memory. Admitted: the page's start with the
    still picture at once, then Voila's live page.
    """

    #: True once the response is finished (Tornado's ``on_finish`` hook).
    mdvax_finished = False

    def on_finish(self):
        self.mdvax_finished = True
        super().on_finish()

    async def get(self, path=None):
        app = self.settings["voila"]
        if path:  # only "/" is served (Voila redirected to /voila/files, a 500 on a NUL byte)
            raise HTTPError(404)
        # First (it may wait for the data after a start): the cap checks below and the
        # counting of this request must not be split by an await.
        view = await static_view(app, self.request)
        manager = self.kernel_manager
        client = client_address(self.request, app.trusted_proxies)
        held, in_use = manager.kernels_of(client), manager.counts()["in_use"]
        refused = app.admission.refusal(client, held, in_use)
        if refused == 429:
            extra = {"client": client, **manager.counts()}
            self.log.warning("client kernel cap reached", extra=extra)
            self._busy(429, app, view, app.kernels_per_client)
            return
        if refused is not None:
            self.log.warning("kernel cap reached, busy page sent", extra=manager.counts())
            self._busy(refused, app, view)
            return
        # Template and theme cannot be overridden (voila.json); dropping the arguments also
        # keeps such a request on the preheated pool instead of a fresh, slower kernel.
        for name in ("template", "theme"):
            self.request.arguments.pop(name, None)
        self.request.mdvax_nonce = secrets.token_urlsafe(18)
        ticket, token = app.admission.admit(client)
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
            app.admission.release(ticket, token)
            if ticket.kernel_id:
                manager.page_sent(ticket.kernel_id)

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
        """Page HTML, with this response's nonce on its script tags (see :data:`mdvax.serve.headers.CSP`).

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
