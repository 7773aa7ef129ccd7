"""``GET /healthz``: whether kernels can be started and reached, without taking one."""

from __future__ import annotations

import hmac
import json

import tornado.web
import zmq

from mdvax.serve.kernels import is_local


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
            body["waiting"] = app.admission.waiting
            body["max_kernels"] = app.max_kernels
            guard = getattr(app, "connections", None)  # set once listening
            if guard is not None:
                body["connections"] = {"open": len(guard.streams), "max": guard.cap}
            views = getattr(app, "static_views", None)
            body["static_views"] = views.served if views is not None else 0
            body["views_drawn"] = views.drawn if views is not None else 0
            body["rate_limited"] = app.page_limit.refused
            if problem:
                body["problem"] = problem
        self.set_status(503 if problem else 200)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))

    def _has_token(self, token: str | None) -> bool:
        given = self.request.headers.get("Authorization", "")
        return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
