"""The dashboard's page, with the still picture first.

Admitted visitors get the page's start (the still picture) at once, then Voila's live page; the
others get the busy page with the same still picture when it was drawn already. The checks come
first (the client's request rate, then the kernel caps) and cost a look-up: a refused request
never draws a picture nor waits for one.
"""

from __future__ import annotations

import re
import secrets

from tornado.web import HTTPError

from mdvax.serve.kernels import client_address
from mdvax.serve.pool import NoKernelError, kernel_gone
from mdvax.serve.static_view import BUSY_NOTICE, FAILED_NOTICE
from mdvax.templates import Markup, render
from mdvax.upstream.voila import TornadoVoilaHandler

_SCRIPT_TAG = re.compile(r"<script(?=[\s>])")


def busy_page(
    retry_after: int, limit: int = 0, view: str = "", nonce: str = "", too_often: bool = False
) -> str:
    """The busy page: all slots taken, or (``limit``) this client already holds its share.

    ``view`` is the still picture of the view asked for (:mod:`mdvax.serve.static_view`);
    ``nonce`` lets its retry script run under the CSP (without it: a fixed refresh);
    ``too_often``: this client asked for pages faster than its rate (:mod:`~mdvax.serve.ratelimit`).
    """
    return render(
        "serve/busy.html.j2", retry_after=retry_after, too_many=bool(limit), limit=limit,
        view=Markup(view), notice=BUSY_NOTICE, nonce=nonce, too_often=too_often,
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
    """The still picture for ``request``'s query, drawn if need be ("" when the server has none).

    For admitted requests only: drawn in the still pictures' thread, off the event loop.
    """
    views = getattr(app, "static_views", None)
    if views is None:
        return ""
    try:
        return await views.html_async(request.query)
    except Exception:  # the live page or the notice must still go out
        app.log.exception("still picture failed")
        return ""


async def drawn_view(app, request) -> str:
    """The still picture for ``request``'s query if drawn (or being drawn), else "" (refused)."""
    views = getattr(app, "static_views", None)
    if views is None:
        return ""
    try:
        return await views.cached(request.query)
    except Exception:  # the busy page must still go out
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
        # The checks first, without an await between them and the counting of this request.
        manager = self.kernel_manager
        client = client_address(self.request, app.trusted_proxies)
        wait = app.page_limit.take(client)
        if wait:  # counted in /healthz; the access log has the 429
            self._busy(429, app, await drawn_view(app, self.request), retry_after=wait)
            return
        held, in_use = manager.kernels_of(client), manager.counts()["in_use"]
        refused = app.admission.refusal(client, held, in_use)
        if refused == 429:
            extra = {"client": client, **manager.counts()}
            self.log.warning("client kernel cap reached", extra=extra)
            self._busy(429, app, await drawn_view(app, self.request), app.kernels_per_client)
            return
        if refused is not None:
            self.log.warning("kernel cap reached, busy page sent", extra=manager.counts())
            self._busy(refused, app, await drawn_view(app, self.request))
            return
        # Template and theme cannot be overridden (voila.json); dropping the arguments also
        # keeps such a request on the preheated pool instead of a fresh, slower kernel.
        for name in ("template", "theme"):
            self.request.arguments.pop(name, None)
        self.request.mdvax_nonce = secrets.token_urlsafe(18)
        ticket, token = app.admission.admit(client)
        try:
            # The still picture goes out now, before Voila waits for a kernel or renders.
            self._start_page(app, await static_view(app, self.request))
            await super().get(path)
            if ticket.kernel_id and await kernel_gone(manager, ticket.kernel_id):
                raise NoKernelError("the kernel died while its page was rendered")
        except Exception as error:
            if self.mdvax_finished or self.request.connection.stream.closed():
                raise
            # The page's start is out (status 200): say so under the still picture.
            if isinstance(error, NoKernelError):  # expected: no traceback
                self.log.warning("live page without a kernel", extra={"problem": str(error)})
            else:
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

    def _busy(self, status: int, app, view: str, limit: int = 0, retry_after: int = 0) -> None:
        """The busy page: the still picture of the view asked for, retried with backoff.

        HTTP 503 (429 beyond one client's share, or its request rate: ``retry_after``, the
        seconds until its next request is allowed) with ``Retry-After``: browsers show the
        body as they would a 200, while proxies, monitors and crawlers learn that the live
        page was refused (docs/serving.md, "The busy page").
        """
        nonce = self.request.mdvax_nonce = secrets.token_urlsafe(18)
        wait = retry_after or app.retry_after
        self.set_status(status)
        self.set_header("Retry-After", str(wait))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(busy_page(wait, limit, view, nonce, too_often=bool(retry_after)))
