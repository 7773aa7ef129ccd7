"""The flood limits of :mod:`mdvax.serve.flood` applied to a kernel websocket connection.

:class:`FloodGate` is mixed into :class:`mdvax.serve.sockets.FilteredConnection`. Every
message from the browser is split with bounds and, when limits are on, charged to the socket's
bucket and checked for depth before any JSON is parsed; then it waits in the socket's
:class:`~mdvax.serve.flood.Outbox` until the kernel has room (its ``idle`` status for an earlier
message). A socket that runs its bucket dry is closed with code 1008 ("message flood").
Refusals are logged at most once per interval for the whole server.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1
from tornado.ioloop import IOLoop

from mdvax.serve import flood

log = logging.getLogger("mdvax.serve")


class Throttled:
    """Log a recurring event at most once per ``interval`` seconds, with how many there were."""

    def __init__(self, logger, interval: float = 10.0, clock=time.monotonic):
        self.logger, self.interval, self.clock = logger, interval, clock
        self.last: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def warning(self, message: str, key: str | None = None, **extra) -> bool:
        """Count an event; log it with its ``count`` if the interval passed; whether it logged.

        Events are counted by ``key`` (default: ``message``).
        """
        key = key or message
        self.counts[key] = self.counts.get(key, 0) + 1
        now = self.clock()
        if now - self.last.get(key, -self.interval) < self.interval:
            return False
        self.last[key] = now
        self.logger.warning(message, extra={**extra, "count": self.counts.pop(key)})
        return True


#: One log record per event and interval, for all sockets together.
REFUSALS = Throttled(log, interval=10.0)
#: Close code of a socket closed for flooding (RFC 6455: policy violation).
FLOOD_CLOSE_CODE = 1008
FLOOD_CLOSE_REASON = "message flood"
#: Channels whose messages the kernel reports on (``busy``, then ``idle``): windowed.
WINDOWED = frozenset({"shell", "control"})

V1 = "v1.kernel.websocket.jupyter.org"


@dataclass
class Inbound:
    """A browser message split and its header (and content, when needed) parsed."""

    raw: bytes | str
    frame: flood.Frame
    channel: str
    header: dict
    content: dict | None
    whole: dict | None  # the legacy protocol's whole message


class FloodGate:
    """Mixin: bounded reading, a token bucket and an outbox per kernel websocket."""

    _bucket = _outbox = _timer = None
    _started = _flooded = False

    def limits(self) -> flood.Limits:
        """The server's limits (``MdvaxVoila.message_rate`` ...), or none outside a server."""
        app = self.websocket_handler.settings.get("voila")
        if app is None:
            return flood.Limits(rate=0)
        return flood.Limits(
            app.message_rate, app.message_burst, app.messages_queued, app.messages_in_flight
        )

    def _start_gate(self) -> None:
        if self._started:
            return
        self._started = True
        limits = self.limits()
        if limits.enabled:
            self._bucket = flood.TokenBucket(limits.rate, limits.burst)
            self._outbox = flood.Outbox(limits)

    def read(self, ws_msg) -> Inbound | None:
        """The message split and parsed; None when refused (logged; maybe the socket closed)."""
        self._start_gate()
        if self._flooded:
            return None
        size = len(ws_msg)
        if self._bucket is not None and not self._bucket.take(flood.cost(size)):
            self._close_flooded()
            return None
        try:
            return self._parse(ws_msg)
        except flood.MessageRefusedError as refused:
            REFUSALS.warning(
                "kernel websocket message refused",
                key=f"refused: {refused}",
                kernel_id=self.kernel_id,
                reason=str(refused),
                size=size,
            )
            if self._bucket is not None and not self._bucket.take(flood.REFUSED_COST):
                self._close_flooded()
            return None

    def _parse(self, ws_msg) -> Inbound:
        frame = flood.split(ws_msg, self.subprotocol == V1)
        json_parts = frame.parts[:4] if frame.v1 else frame.parts
        if self._bucket is not None:
            for part in json_parts:
                flood.check_depth(part)
        if not frame.v1:
            whole = flood.parse(frame.parts[0])
            header, content = whole.get("header"), whole.get("content")
            if not isinstance(header, dict) or not isinstance(content, dict | None):
                raise flood.MessageRefusedError("header or content not an object")
            channel = whole.get("channel") or "shell"
            return Inbound(ws_msg, frame, str(channel), header, content, whole)
        if len(frame.parts) < 4:
            raise flood.MessageRefusedError("bad framing")
        header = flood.parse(frame.parts[0])
        content = None
        msg_type = header.get("msg_type")
        small = len(frame.parts[3]) <= flood.MERGE_MAX_BYTES and not frame.buffers
        if msg_type == "comm_open" or (msg_type == "comm_msg" and small):
            content = flood.parse(frame.parts[3])
        return Inbound(ws_msg, frame, frame.channel, header, content, None)

    def send_on(self, inbound: Inbound) -> None:
        """Forward now (no limits, or a channel without replies) or through the outbox."""
        allowed = self.multi_kernel_manager.allowed_message_types
        msg_type = inbound.header.get("msg_type")
        if allowed and msg_type not in allowed:  # Jupyter would drop it too, logging each one
            REFUSALS.warning(
                "kernel websocket message type not allowed", msg_type=str(msg_type)[:40]
            )
            return
        if self._outbox is None or inbound.channel not in WINDOWED:
            self.forward(inbound.raw)
            return
        message = flood.Message(inbound.raw, str(inbound.header.get("msg_id", "")), source=inbound)
        update = flood.update_state(inbound.content) if msg_type == "comm_msg" else None
        if update is not None:
            message.comm_key, message.state = update
        if self._outbox.offer(message, self._remerge) == "dropped":
            REFUSALS.warning(
                "kernel websocket message dropped: queue full", kernel_id=self.kernel_id
            )
        self.pump()

    def _remerge(self, message: flood.Message) -> bytes | str:
        """The raw message of a merged update: the newest one with the merged state."""
        inbound = message.source
        content = inbound.content
        content["data"] = {**content["data"], "state": message.state}
        if inbound.frame.v1:
            parts = [*inbound.frame.parts[:3], json.dumps(content, ensure_ascii=False).encode()]
            return serialize_msg_to_ws_v1(parts, inbound.channel)
        return json.dumps({**inbound.whole, "content": content}, ensure_ascii=False)

    def pump(self) -> None:
        """Send what the kernel has room for; wake up when a stuck message stops counting."""
        if self._outbox is None or not self.channels:
            return
        for message in self._outbox.take():
            self.forward(message.raw)
        wait = self._outbox.next_expiry()
        if wait is not None and self._timer is None:
            self._timer = IOLoop.current().call_later(wait + 0.01, self._wake)

    def _wake(self) -> None:
        self._timer = None
        self.pump()

    def kernel_status(self, parts: list) -> None:
        """An iopub ``status`` message (its parts after the signature): free its slot."""
        if self._outbox is None:
            return
        try:
            state = json.loads(parts[3]).get("execution_state")
            parent = json.loads(parts[1]).get("msg_id") if state == "idle" else None
        except (ValueError, AttributeError, IndexError):
            return
        if parent and self._outbox.done(parent):
            self.pump()

    def _close_flooded(self) -> None:
        self._flooded = True
        REFUSALS.warning("kernel websocket closed: message flood", kernel_id=self.kernel_id)
        self.stop_gate()
        self.websocket_handler.close(FLOOD_CLOSE_CODE, FLOOD_CLOSE_REASON)

    def stop_gate(self) -> None:
        """Forget waiting messages and the timer (the socket is closing)."""
        if self._timer is not None:
            IOLoop.current().remove_timeout(self._timer)
            self._timer = None
        if self._outbox is not None:
            self._outbox.waiting.clear()
