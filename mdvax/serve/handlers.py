"""Tornado handlers added to Voila: the kernel cap (busy page) and the health check."""

from __future__ import annotations

import json
from contextvars import ContextVar

import tornado.web
from voila.tornado.handler import TornadoVoilaHandler

#: Shown with HTTP 503 when every kernel slot is taken. Static text: nothing from the request.
BUSY_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{retry_after}">
<title>Busy - Maryland vaccinations dashboard</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 4em auto; padding: 0 1em">
<h1>The dashboard is busy</h1>
<p id="mdvax-busy">Too many people are looking at it right now. This page retries by itself in
{retry_after} seconds; you can also <a href="">retry now</a>.</p>
</body></html>
"""

#: The admission ticket of the page request being handled in this task (see ``waiting``).
_WAITING: ContextVar[list | None] = ContextVar("mdvax_waiting", default=None)


def kernel_counts(kernel_manager) -> dict[str, int]:
    """Live kernels, preheated kernels ready in the pool, and kernels in use (the rest).

    Kernels still being preheated count as in use, so the cap errs on the safe side.
    """
    live = set(kernel_manager.list_kernel_ids())
    ready = set()
    # Voila keeps its pool as asyncio tasks per notebook (``_pools``); no public accessor.
    for pool in getattr(kernel_manager, "_pools", {}).values():
        for task in pool:
            if task.done() and not task.cancelled() and task.exception() is None:
                ready.add(task.result()["kernel_id"])
    ready &= live
    return {"live": len(live), "pool_ready": len(ready), "in_use": len(live - ready)}


class CappedVoilaHandler(TornadoVoilaHandler):
    """Voila's notebook handler, refusing new visitors once the kernel cap is reached.

    With ``max_kernels`` live kernels at most and ``pool_size`` of them kept preheated,
    ``max_kernels - pool_size`` visitors can hold a kernel at once; the next one gets
    :data:`BUSY_PAGE` with HTTP 503 and ``Retry-After`` instead of a page that hangs or a
    host that runs out of memory.
    """

    #: Page requests admitted but not yet holding a kernel. They count against the cap too:
    #: a burst of simultaneous requests would otherwise all pass the check before any of
    #: them has a kernel.
    waiting = 0

    async def get(self, path=None):
        app = self.settings["voila"]
        if path:
            await super().get(path)  # Voila redirects any other path to /voila/files (403)
            return
        counts = kernel_counts(self.kernel_manager)
        voila_cfg = app.voila_configuration
        pool_size = voila_cfg.default_pool_size if voila_cfg.preheat_kernel else 0
        if counts["in_use"] + CappedVoilaHandler.waiting >= app.max_kernels - pool_size:
            self.log.warning("kernel cap reached, busy page sent", extra=counts)
            self.set_status(503)
            self.set_header("Retry-After", str(app.retry_after))
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(BUSY_PAGE.format(retry_after=app.retry_after))
            return
        # Template and theme cannot be overridden (voila.json); dropping the arguments also
        # keeps such a request on the preheated pool instead of a fresh, slower kernel.
        for name in ("template", "theme"):
            self.request.arguments.pop(name, None)
        ticket = [True]
        CappedVoilaHandler.waiting += 1
        token = _WAITING.set(ticket)
        try:
            await super().get(path)
        finally:
            kernel_assigned(ticket)
            _WAITING.reset(token)


def kernel_assigned(ticket: list | None = None) -> None:
    """The current page request now holds a kernel: stop counting it as waiting (once)."""
    ticket = ticket if ticket is not None else _WAITING.get(None)
    if ticket and ticket[0]:
        ticket[0] = False
        CappedVoilaHandler.waiting -= 1


class HealthHandler(tornado.web.RequestHandler):
    """``GET /healthz``: 200 with kernel counts, without taking a kernel."""

    def get(self):
        app = self.settings["voila"]
        body = {"status": "ok", **kernel_counts(app.kernel_manager)}
        body["waiting"] = CappedVoilaHandler.waiting
        body["max_kernels"] = app.max_kernels
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))
