"""The connection cap of ``mdvax serve`` and an accept loop that survives descriptor exhaustion.

Tornado's accept loop (``tornado.netutil.add_accept_handler``) lets ``accept()``'s ``EMFILE``
escape: the listening socket stays readable, so the event loop calls it again at once and logs a
traceback each time (74,213 of them in 45 s with 1,100 slow sockets, and a ``/healthz`` that
took 19.5 s). :func:`guarded_accept_handler` replaces it:

- beyond :attr:`ConnectionGuard.cap` open connections, a new one gets a fixed 503 and is closed
  at once, before Tornado makes a stream or a request of it;
- when ``accept()`` fails for want of descriptors or memory, accepting pauses for
  :data:`PAUSE_S` (the connection waits in the kernel's backlog) instead of spinning;
- refusals and failures are counted and logged once per :attr:`ConnectionGuard.interval` as one
  JSON line with the counts, never a traceback each.
"""

from __future__ import annotations

import errno
import functools
import logging
import socket
import time

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop

from mdvax.upstream.voila import accept_with

LOG = logging.getLogger("mdvax.serve.connections")

#: ``accept()`` errors meaning "no descriptor or memory for one more connection".
EXHAUSTED = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
#: Seconds accepting pauses after such an error.
PAUSE_S = 0.2
#: Connections accepted per readiness event, as Tornado does (its backlog default).
ACCEPTS_PER_EVENT = 128
#: Seconds between two recounts of the open connections while at the cap.
RECOUNT_S = 0.05
#: What a connection beyond the cap gets: no request is read, nothing is rendered.
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Retry-After: 10\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 49\r\n"
    b"Connection: close\r\n\r\n"
    b"The server is busy: too many connections. Retry.\n"
)


class ConnectionGuard:
    """Open connections against a cap; refusals and accept failures counted, logged per interval.

    Parameters
    ----------
    cap : int
        Most connections open at once (``MdvaxVoila.max_connections``).
    interval : float
        Seconds between two log lines about refusals or failures.
    clock : callable
        Monotonic seconds (tests give a fake clock).
    """

    def __init__(self, cap: int, interval: float = 10.0, clock=time.monotonic) -> None:
        self.cap = cap
        self.interval = interval
        self.clock = clock
        self.streams: set = set()
        self.refused = 0  #: connections refused at the cap since the last log line
        self.failures: dict[str, int] = {}  #: accept() errors since the last log line, by name
        self._recounted = -float("inf")
        self._logged = -float("inf")

    def add(self, stream) -> None:
        """A connection Tornado now serves (its ``IOStream``; closed ones are dropped later)."""
        self.streams.add(stream)

    def open(self) -> int:
        """Connections open now."""
        self.streams = {s for s in self.streams if not s.closed()}
        self._recounted = self.clock()
        return len(self.streams)

    def full(self) -> bool:
        """Whether a new connection would exceed the cap (recounted at most every RECOUNT_S)."""
        if len(self.streams) < self.cap:
            return False
        if self.clock() - self._recounted >= RECOUNT_S:
            return self.open() >= self.cap
        return True

    def refuse(self, connection: socket.socket) -> None:
        """Send :data:`REFUSAL` if the socket takes it without waiting, and close it."""
        self.refused += 1
        try:
            connection.setblocking(False)
            connection.send(REFUSAL)
        except OSError:
            pass
        finally:
            connection.close()
        self.report()

    def failed(self, error: OSError) -> None:
        """``accept()`` failed with ``error`` (one of :data:`EXHAUSTED`)."""
        name = errno.errorcode.get(error.errno, str(error.errno))
        self.failures[name] = self.failures.get(name, 0) + 1
        self.report()

    def tick(self) -> None:
        """Every interval: forget closed connections, log what was counted."""
        self.open()
        self.report()

    def report(self) -> None:
        """Log the counts as one line, unless a line went out within the interval.

        Called at each event (the first of a quiet spell is logged at once) and every interval
        (what was counted since goes out then).
        """
        if not (self.refused or self.failures):
            return
        now = self.clock()
        if now - self._logged < self.interval:
            return
        self._logged = now
        LOG.warning(
            "connections refused or not accepted",
            extra={
                "refused_at_cap": self.refused,
                "accept_errors": dict(self.failures),
                "open_connections": len(self.streams),
                "max_connections": self.cap,
                "interval_s": self.interval,
            },
        )
        self.refused, self.failures = 0, {}


def guarded_accept_handler(sock: socket.socket, callback, guard: ConnectionGuard):
    """Accept connections on ``sock`` into ``callback(connection, address)`` under ``guard``.

    Same contract as ``tornado.netutil.add_accept_handler``: returns a function that stops
    accepting.
    """
    io_loop = IOLoop.current()
    state = {"removed": False, "paused": False}

    def resume() -> None:
        state["paused"] = False
        if not state["removed"]:
            io_loop.add_handler(sock, on_readable, IOLoop.READ)

    def on_readable(fd, events) -> None:
        for _ in range(ACCEPTS_PER_EVENT):
            if state["removed"] or state["paused"]:
                return
            try:
                connection, address = sock.accept()
            except BlockingIOError:
                return
            except ConnectionAbortedError:
                continue
            except OSError as error:
                if error.errno not in EXHAUSTED:
                    raise
                guard.failed(error)
                state["paused"] = True
                io_loop.remove_handler(sock)
                io_loop.call_later(PAUSE_S, resume)
                return
            if guard.full():
                guard.refuse(connection)
                continue
            callback(connection, address)

    def remove() -> None:
        if not state["paused"]:
            io_loop.remove_handler(sock)
        state["removed"] = True

    io_loop.add_handler(sock, on_readable, IOLoop.READ)
    return remove


class GuardedHTTPServer(HTTPServer):
    """Tornado's HTTP server accepting through :func:`guarded_accept_handler` under ``guard``."""

    def initialize(self, *args, guard: ConnectionGuard, **kwargs) -> None:
        self.guard = guard
        super().initialize(*args, **kwargs)

    def add_sockets(self, sockets) -> None:
        accept = functools.partial(guarded_accept_handler, guard=self.guard)
        accept_with(self, sockets, accept)

    def handle_stream(self, stream, address) -> None:
        self.guard.add(stream)
        super().handle_stream(stream, address)
