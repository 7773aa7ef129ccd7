"""Websockets ``mdvax serve`` puts in front of the kernels.

- :class:`KernelSocketHandler`: Voila's kernel websocket, limited per kernel and per client,
  and only to kernels handed to a visitor;
- :class:`FilteredConnection`: what passes between the browser and the kernel. The browser may
  not open comms (widgets are created by the kernel only) except the widget manager's control
  comm; ``error`` and ``stream`` messages stay on the server (logged, never shown);
- :class:`QuerySocketHandler`: ``/voila/query/<kernel id>``, over which a preheated kernel learns
  its visitor's request. Replaces Voila's handler (see :mod:`mdvax.upstream.voila`).
"""

from __future__ import annotations

import hmac
import logging
from collections import defaultdict
from typing import ClassVar
from urllib.parse import urlsplit

from tornado import web

from mdvax.query_token import query_token
from mdvax.serve.gate import FloodGate
from mdvax.serve.kernels import client_address, is_local
from mdvax.serve.leave import release
from mdvax.upstream.voila import (
    RequestInfoSocketHandler,
    VoilaKernelWebsocketHandler,
    ZMQChannelsWebsocketConnection,
    query_cache,
    query_waiters,
)

log = logging.getLogger("mdvax.serve")

#: Websockets one kernel may have at once: a page opens one (two while it reconnects).
SOCKETS_PER_KERNEL = 2

#: Comm targets the browser may open. ipywidgets' front end (8.x) opens
#: ``jupyter.widget.control`` once to fetch every widget's state; the dashboard never creates
#: widgets from the browser, so ``jupyter.widget`` (which would let a visitor create any number
#: of widgets of any size in the kernel) is refused.
BROWSER_COMM_TARGETS = frozenset({"jupyter.widget.control"})

#: iopub messages kept from the browser: tracebacks (with paths and source lines) and printed
#: output. Both are logged on the server instead.
WITHHELD = frozenset({"error", "stream"})


#: Close codes of a page that left on purpose: 1000 (closed), 1001 (going away).
CLEAN_CLOSE = frozenset({1000, 1001})


class FilteredConnection(FloodGate, ZMQChannelsWebsocketConnection):
    """Jupyter's websocket-to-ZMQ bridge with Voila's message filter made stricter.

    Messages from the browser are read with bounds and limited per socket (:class:`FloodGate`).
    """

    def handle_incoming_message(self, incoming_msg) -> None:
        """Drop ``comm_open`` to targets the browser has no business opening; limit the rest."""
        if not self.channels:
            return
        inbound = self.read(incoming_msg)
        if inbound is None:
            return
        if inbound.header.get("msg_type") == "comm_open":
            target = (inbound.content or {}).get("target_name")
            if target not in BROWSER_COMM_TARGETS:
                log.warning(
                    "comm_open from the browser refused",
                    extra={"kernel_id": self.kernel_id, "target": str(target)[:80]},
                )
                return
        self.send_on(inbound)

    def forward(self, raw) -> None:
        """Hand a message to the kernel (Jupyter's bridge: channel and message type checks)."""
        super().handle_incoming_message(raw)

    def disconnect(self):
        """Forget waiting messages, then Jupyter's disconnect."""
        self.stop_gate()
        return super().disconnect()

    def handle_outgoing_message(self, stream, outgoing_msg) -> None:
        """Log and drop iopub ``error`` and ``stream`` messages; pass on the rest."""
        zmq_stream = self.channels.get(stream) if isinstance(stream, str) else stream
        if getattr(zmq_stream, "channel", None) == "iopub":
            try:
                _, parts = self.session.feed_identities(outgoing_msg)
                msg_type = self.session.unpack(parts[1]).get("msg_type")
            except Exception:
                msg_type = None
            if msg_type == "status":
                self.kernel_status(parts[1:])
            elif msg_type in WITHHELD:
                content = self.session.unpack(parts[4])
                text = content.get("text") or f"{content.get('ename')}: {content.get('evalue')}"
                log.warning(
                    "kernel output withheld from the browser",
                    extra={
                        "kernel_id": self.kernel_id,
                        "msg_type": msg_type,
                        "text": str(text)[:2000],
                    },
                )
                return
        super().handle_outgoing_message(stream, outgoing_msg)


class KernelSocketHandler(VoilaKernelWebsocketHandler):
    """The kernel websocket, refused (HTTP 429) beyond the per-kernel and per-client limits."""

    by_kernel: ClassVar[dict[str, set]] = defaultdict(set)
    by_client: ClassVar[dict[str, set]] = defaultdict(set)

    async def get(self, kernel_id):
        app = self.settings["voila"]
        manager = self.kernel_manager
        if kernel_id not in getattr(manager, "visits", {}):  # a pooled or unknown kernel
            raise web.HTTPError(404)
        self.client = client_address(self.request, app.trusted_proxies)
        per_client = app.sockets_per_client
        if (
            len(self.by_kernel.get(kernel_id, ())) >= SOCKETS_PER_KERNEL
            or len(self.by_client.get(self.client, ())) >= per_client
        ):
            log.warning("kernel websocket refused: too many", extra={"client": self.client})
            raise web.HTTPError(429)
        self.by_kernel[kernel_id].add(self)
        self.by_client[self.client].add(self)
        self._registered = kernel_id
        try:
            await super().get(kernel_id)
        finally:
            if self.ws_connection is None:
                self._unregister()

    def _unregister(self) -> None:
        kernel_id = getattr(self, "_registered", None)
        if kernel_id is None:
            return
        self._registered = None
        for table, key in ((self.by_kernel, kernel_id), (self.by_client, self.client)):
            table[key].discard(self)
            if not table[key]:
                del table[key]

    def on_close(self):
        kernel_id = getattr(self, "_registered", None)
        self._unregister()
        if getattr(self, "connection", None) is not None:
            super().on_close()
        if kernel_id and kernel_id not in self.by_kernel and self.close_code in CLEAN_CLOSE:
            release(self.kernel_manager, kernel_id, self.client)  # the page left: free it now


class QuerySocketHandler(RequestInfoSocketHandler):
    """``/voila/query/<kernel id>``: one socket per kernel, for kernels still waiting.

    Voila's handler accepts any id from anyone, and closing one of two sockets opened under the
    same id deletes another kernel's registration (the upstream bug in
    :mod:`mdvax.upstream.voila`). Here: only local connections (the kernels connect to
    the server directly, never through the proxy) from the kernel itself (its token, see
    :func:`mdvax.query_token.query_token`), only ids of live kernels whose request was not
    delivered yet, one socket per id, and a socket removes only its own registration.
    A request Voila could not deliver stays cached for the kernel's next connection.
    """

    delivered: ClassVar[set[str]] = set()

    def prepare(self):
        # Cross-site first (tornado checks it only after prepare()).
        origin, host = (self.request.headers.get(h) for h in ("Origin", "Host"))
        cross_site = origin is not None and urlsplit(origin).netloc.lower() != (host or "").lower()
        if cross_site and not self.check_origin(origin):
            raise web.HTTPError(403)
        # Voila's route names the group (kernel_id); accept a positional one too.
        kernel_id = self.path_kwargs.get("kernel_id") or (self.path_args or [""])[0]
        manager = self.settings["kernel_manager"]
        live = set(manager.list_kernel_ids())
        QuerySocketHandler.delivered &= live
        if (
            not is_local(self.request)
            or kernel_id not in live
            or kernel_id in self.delivered
            or not self._proves(manager, kernel_id)
        ):
            log.warning("query socket refused", extra={"kernel_id": kernel_id[:40]})
            raise web.HTTPError(403)
        if _open(query_waiters().get(kernel_id)):
            raise web.HTTPError(409)

    def _proves(self, manager, kernel_id: str) -> bool:
        """The request carries the kernel's own token (only that kernel knows its key)."""
        key = manager.get_kernel(kernel_id).session.key
        expected = f"Kernel {query_token(key, kernel_id)}"
        given = self.request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), expected.encode())

    def open(self, kernel_id: str) -> None:
        waiters = query_waiters()
        self.kernel_id = None
        if _open(waiters.get(kernel_id)):  # another socket won the race since prepare()
            self.close(1008, "already connected")
            return
        self.kernel_id = kernel_id
        waiters[kernel_id] = self
        if kernel_id in query_cache():
            self.write_message(query_cache().pop(kernel_id))

    def write_message(self, message, binary=False):
        """Send the request to the kernel; keep it for the next socket if this one closed."""
        if self.ws_connection is None or self.ws_connection.is_closing():
            query_cache()[self.kernel_id] = message
            return None
        QuerySocketHandler.delivered.add(self.kernel_id)
        return super().write_message(message, binary)

    def on_close(self) -> None:
        waiters = query_waiters()
        if self.kernel_id is not None and waiters.get(self.kernel_id) is self:
            del waiters[self.kernel_id]


def _open(socket) -> bool:
    """A registered query socket that is not closing."""
    connection = getattr(socket, "ws_connection", None)
    return connection is not None and not connection.is_closing()
