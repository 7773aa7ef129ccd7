"""A page that leaves frees its kernel at once (issue 22): reloading twice is not "already open".

A kernel handed to a visitor counts against the client's share until it is shut down. Without
word from the page, the server waits (:mod:`mdvax.serve.kernels`: a page that dropped may come
back). A page that says it is leaving is believed, from the client holding the kernel only:

- Voila's front end, on ``beforeunload`` (closing, reloading or leaving the page), sends a
  beacon ``POST /voila/api/shutdown/<kernel id>`` and drops its websocket without a close code.
  Voila's own handler shuts down any kernel named, pooled ones included, and is behind an
  ``_xsrf`` check the beacon fails (the page never gets the cookie): :class:`LeaveHandler`
  replaces it;
- a kernel websocket closed with 1000 or 1001 (a client that says goodbye), when it was the
  kernel's last (:meth:`mdvax.serve.sockets.KernelSocketHandler.on_close`).

An abrupt disconnect (no close code, no beacon) keeps the kernel for the page to reconnect.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from tornado import web
from tornado.ioloop import IOLoop

from mdvax.serve.kernels import client_address

log = logging.getLogger("mdvax.serve")


def release(manager, kernel_id: str | None, client: str) -> bool:
    """Free ``client``'s kernel ``kernel_id`` now (False: not a kernel ``client`` holds).

    The client's count drops at once; the kernel is shut down in the background.
    """
    visit = getattr(manager, "visits", {}).get(kernel_id)
    if visit is None or visit.client != client:
        return False
    del manager.visits[kernel_id]
    log.info("page left, kernel released", extra={"kernel_id": kernel_id})
    IOLoop.current().spawn_callback(_shut_down, manager, kernel_id)
    return True


async def _shut_down(manager, kernel_id: str) -> None:
    try:
        await manager.shutdown_kernel(kernel_id)
    except Exception:  # already gone (culled, reclaimed)
        log.warning("releasing kernel failed", extra={"kernel_id": kernel_id}, exc_info=True)


class LeaveHandler(web.RequestHandler):
    """``POST /voila/api/shutdown/<kernel id>``: the page is leaving; 204 whatever happened.

    Same-origin only (a beacon carries ``Origin``); the kernel is freed only when the request
    comes from the client holding it, so the id alone (which another visitor never sees) is not
    enough. The answer never says whether a kernel was freed.
    """

    def prepare(self):
        origin = self.request.headers.get("Origin")
        host = self.request.headers.get("Host", "")
        if origin is None or urlsplit(origin).netloc.lower() != host.lower():
            raise web.HTTPError(403)

    def post(self, kernel_id: str):
        app = self.settings["voila"]
        client = client_address(self.request, app.trusted_proxies)
        if not release(self.settings["kernel_manager"], kernel_id, client):
            log.warning("leave refused: not this client's kernel", extra={"client": client})
        self.set_status(204)
        self.finish()
