"""Flood control for a visitor's kernel websocket: pure logic, no sockets.

A browser talks to its kernel with a few messages a second; a hostile client can send
thousands, or one message nested 100,000 levels deep. Per websocket
(:class:`mdvax.serve.sockets.FilteredConnection` applies it):

- :func:`split` reads a message's framing with bounds (the upstream readers trust the part
  count a client sends) and :func:`check_depth` refuses deep JSON before anything parses it
  (both in :mod:`mdvax.serve.framing`, re-exported here);
- :class:`TokenBucket` charges each message (more for big or refused ones); a socket that runs
  its bucket dry is closed;
- :class:`Outbox` holds messages the kernel has not asked for yet: at most ``in_flight`` are
  with the kernel (sent, its ``idle`` status not seen), at most ``queued`` wait on the server,
  and a widget ``update`` that only changes ``state`` is merged into the one still waiting for
  the same comm, so the kernel never works through stale slider positions.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

from mdvax.serve.framing import (
    MAX_DEPTH,
    MAX_PARTS,
    MERGE_MAX_BYTES,
    Frame,
    MessageRefusedError,
    check_depth,
    parse,
    split,
)

__all__ = [
    "COST_BYTES",
    "IN_FLIGHT_TIMEOUT_S",
    "MAX_DEPTH",
    "MAX_PARTS",
    "MERGE_MAX_BYTES",
    "REFUSED_COST",
    "Frame",
    "Limits",
    "Message",
    "MessageRefusedError",
    "Outbox",
    "TokenBucket",
    "check_depth",
    "cost",
    "parse",
    "split",
    "update_state",
]

#: A message costs one token, and one more per full block of this many bytes.
COST_BYTES = 256 * 1024
#: What a refused message (malformed, too deep) costs: a few close the socket.
REFUSED_COST = 25
#: Seconds after which a message the kernel never reported on stops counting as in flight.
IN_FLIGHT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Limits:
    """Per-websocket limits (``MdvaxVoila.message_rate`` and friends); ``rate <= 0``: none."""

    rate: float = 50.0
    burst: int = 200
    queued: int = 32
    in_flight: int = 2

    @property
    def enabled(self) -> bool:
        """Whether any limit applies."""
        return self.rate > 0


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: float, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = float(burst), clock()

    def take(self, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens if there are that many."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


def cost(size: int) -> int:
    """Tokens a message of ``size`` bytes costs."""
    return 1 + size // COST_BYTES


@dataclass
class Message:
    """A message waiting for the kernel."""

    raw: bytes | str
    msg_id: str
    comm_key: str | None = None  # the comm of a state-only widget update: merged
    state: dict = field(default_factory=dict)
    merged: int = 0  # earlier updates merged into this one
    source: object = None  # what the caller needs to rebuild ``raw`` after a merge


def update_state(content: dict) -> tuple[str, dict] | None:
    """``(comm_id, state)`` of a widget ``update`` changing only state, else None."""
    data = content.get("data") if isinstance(content, dict) else None
    if not isinstance(data, dict) or data.get("method") != "update":
        return None
    comm_id, state = content.get("comm_id"), data.get("state")
    if not isinstance(comm_id, str) or not isinstance(state, dict):
        return None
    if set(data) - {"method", "state", "buffer_paths"} or data.get("buffer_paths"):
        return None
    return comm_id, state


class Outbox:
    """Messages on their way to one kernel: a window in flight, a bounded queue, merging.

    Parameters
    ----------
    limits : Limits
        ``queued`` and ``in_flight`` are used here.
    clock : callable
        Seconds, monotonic.
    """

    def __init__(self, limits: Limits, clock=time.monotonic):
        self.limits, self.clock = limits, clock
        self.waiting: OrderedDict[int, Message] = OrderedDict()
        self.by_comm: dict[str, int] = {}
        self.in_flight: dict[str, float] = {}
        self._seq = 0
        self.merged = self.dropped = 0

    def offer(self, message: Message, remerge=None) -> str:
        """Queue ``message``: ``"merged"``, ``"queued"`` or ``"dropped"`` (queue full).

        ``remerge(older, newer)`` rebuilds the raw message of a merge (default: keep newer's).
        """
        key = message.comm_key
        if key is not None and key in self.by_comm:
            older = self.waiting.pop(self.by_comm.pop(key))
            message.state = {**older.state, **message.state}
            message.merged = older.merged + 1
            if remerge is not None:
                message.raw = remerge(message)
            self.merged += 1
            self._append(message)
            return "merged"
        if len(self.waiting) >= self.limits.queued:
            self.dropped += 1
            return "dropped"
        self._append(message)
        return "queued"

    def _append(self, message: Message) -> None:
        self._seq += 1
        self.waiting[self._seq] = message
        if message.comm_key is not None:
            self.by_comm[message.comm_key] = self._seq

    def take(self) -> list[Message]:
        """Messages to send now (the window has room for them); counted as in flight."""
        now = self.clock()
        self.in_flight = {k: t for k, t in self.in_flight.items() if now - t < IN_FLIGHT_TIMEOUT_S}
        ready = []
        while self.waiting and len(self.in_flight) < self.limits.in_flight:
            _, message = self.waiting.popitem(last=False)
            if message.comm_key is not None:
                self.by_comm.pop(message.comm_key, None)
            self.in_flight[message.msg_id] = now
            ready.append(message)
        return ready

    def done(self, msg_id: str) -> bool:
        """The kernel finished ``msg_id`` (its ``idle`` status); whether it was ours."""
        return self.in_flight.pop(msg_id, None) is not None

    def next_expiry(self) -> float | None:
        """Seconds until the oldest message in flight stops counting, if any wait for room."""
        if not self.waiting or not self.in_flight:
            return None
        oldest = min(self.in_flight.values())
        return max(0.0, oldest + IN_FLIGHT_TIMEOUT_S - self.clock())
