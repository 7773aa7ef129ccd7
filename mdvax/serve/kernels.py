"""Who holds which kernel: visitors by client address, kernels reclaimed when nobody connects.

:class:`MdvaxKernelManager` is the ``multi_kernel_manager_class`` Voila builds its preheated
pool on. It records each kernel handed to a visitor (and the visitor's address), counts kernels
in use without looking into Voila's pool, raises the ZMQ socket limit to match the kernel cap,
and shuts down a visitor's kernel that has had no websocket for too long, even a busy one
(Jupyter's culler leaves busy kernels alone: a page that never connected, or whose kernel waits
for a request that never came, would otherwise hold a slot forever). Limits: a sent page must
connect within ``connect_timeout`` (15 s), a page still rendering gets ``render_timeout``
(120 s), a kernel whose page left gets the culler's ``cull_idle_timeout``, busy or not.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import time
from collections.abc import Collection
from dataclasses import dataclass, field

import zmq
from tornado.web import HTTPError
from traitlets import Bool, Callable, Float, Integer

from mdvax.serve.kernel import KERNEL_MODULE, KernelLimits
from mdvax.upstream.voila import AsyncMappingKernelManager

#: ZMQ sockets one kernel may need on the server: 4 channels for each of its websockets (at
#: most :data:`mdvax.serve.sockets.SOCKETS_PER_KERNEL`), a kernel-info channel, the restarter's
#: heartbeat and the page renderer's client, with room to spare.
ZMQ_SOCKETS_PER_KERNEL = 24


def client_address(request, trusted: tuple[str, ...] = ()) -> str:
    """The address a request comes from, for per-client limits.

    The peer address, unless the peer is a trusted proxy: then the right-most
    ``X-Forwarded-For`` entry that is not itself a trusted proxy (the left part is whatever
    the client wrote). A trusted peer must send the header (HTTP 400 otherwise): a proxy that
    does not set it would pass on whatever its clients write there (docs/serving.md).
    """
    peer = request.remote_ip
    if peer not in trusted:
        return peer
    header = request.headers.get("X-Forwarded-For", "")
    if not header.strip():
        reason = "X-Forwarded-For required from a trusted proxy"
        raise HTTPError(400, "%s (%s)", reason, peer, reason=reason)
    forwarded = [a.strip() for a in header.split(",")]
    for address in reversed(forwarded):
        if address and address not in trusted:
            return address[:64]
    return peer


def is_local(request) -> bool:
    """A request straight from this machine (loopback peer, not forwarded by a proxy)."""
    try:
        loopback = ipaddress.ip_address(request.remote_ip).is_loopback
    except ValueError:
        return False
    return loopback and "X-Forwarded-For" not in request.headers


@dataclass(frozen=True)
class Timeouts:
    """Seconds a visitor's kernel may go without a websocket, by what its page was doing."""

    connect: float  #: the page was sent and has not connected yet
    render: float  #: the page is still rendering
    idle: float  #: the page was connected and left (it may reconnect meanwhile)


@dataclass
class Visit:
    """A kernel handed to a visitor."""

    client: str
    since: float = field(default_factory=time.monotonic)  #: taken, page done, or last seen
    page_done: bool = False
    connected: bool = False


def overdue(
    visits: dict[str, Visit], connected: Collection[str], now: float, timeouts: Timeouts
) -> list[str]:
    """The kernels of ``visits`` without a websocket for longer than their timeout.

    ``connected``: kernels with a websocket now (their visit is marked connected and seen at
    ``now``); ``now`` on the clock the visits' ``since`` were taken on.
    """
    due = []
    for kernel_id, visit in visits.items():
        if kernel_id in connected:
            visit.connected, visit.since = True, now
            continue
        if visit.connected:
            limit = timeouts.idle
        else:
            limit = timeouts.connect if visit.page_done else timeouts.render
        if now - visit.since > limit:
            due.append(kernel_id)
    return due


class MdvaxKernelManager(AsyncMappingKernelManager):
    """Jupyter's kernel manager plus a record of which visitor holds which kernel."""

    max_zmq_sockets = Integer(1023, config=True, help="ZMQ context socket limit.")
    connect_timeout = Float(15.0, config=True, help="Seconds for a sent page to connect.")
    render_timeout = Float(120.0, config=True, help="Seconds a page may take to render.")
    fork_kernels = Bool(False, config=True, help="Fork kernels (MdvaxVoila.fork_kernels sets it).")
    kernel_memory_mb = Integer(
        1024, config=True, help="Data memory one kernel may use before it ends (0: no limit)."
    )
    kernel_niceness = Integer(
        10,
        min=0,
        max=19,
        config=True,
        help="How far below the server's a kernel's CPU priority is.",
    )

    #: Seconds on a monotonic clock, for the visits' timeouts (tests give a fake clock).
    clock = Callable(time.monotonic)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Must be set before the context's first socket; libzmq's default is 1023.
        self.context.set(zmq.MAX_SOCKETS, max(self.max_zmq_sockets, 1023))
        self.visits: dict[str, Visit] = {}
        self.start_errors = 0  #: kernels that failed to start since the last one that started
        #: Kernels whose process died (restarted or not): never handed out from the pool.
        self.restarted: set[str] = set()
        #: Called with the id of a kernel started for a page request (not for the pool).
        self.on_visitor_kernel = None
        from mdvax.serve.fork import provisioner

        provisioner.require_registered()  # named by the served kernel spec
        if self.fork_kernels:  # that provisioner forks kernels from the template
            provisioner.start()

    async def start_kernel(self, *args, **kwargs):
        """Start a kernel under the configured limits, counting failures for ``/healthz``."""
        if self._runs_mdvax_kernel(kwargs.get("kernel_name", args[0] if args else None)):
            limits = KernelLimits(memory_mb=self.kernel_memory_mb, niceness=self.kernel_niceness)
            kwargs["extra_arguments"] = [*kwargs.get("extra_arguments", []), *limits.argv()]
        try:
            kernel_id = await super().start_kernel(*args, **kwargs)
        except Exception:
            self.start_errors += 1
            raise
        self.start_errors = 0
        died = functools.partial(self.restarted.add, kernel_id)
        for event in ("restart", "dead"):
            self.get_kernel(kernel_id).add_restart_callback(died, event)
        preheated = kwargs.get("env", {}).get("VOILA_PREHEAT") == "True"
        if not preheated and self.on_visitor_kernel is not None:  # no pool: Voila starts one
            self.on_visitor_kernel(kernel_id)
        return kernel_id

    def _runs_mdvax_kernel(self, kernel_name: str | None) -> bool:
        """The kernel spec starts :mod:`mdvax.serve.kernel` (which takes the limits)."""
        try:
            spec = self.kernel_spec_manager.get_kernel_spec(kernel_name or self.default_kernel_name)
        except Exception:  # no such kernel: starting it fails with Jupyter's own error
            return False
        return KERNEL_MODULE in spec.argv

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        """Shut a kernel down and forget its visitor."""
        self.visits.pop(kernel_id, None)
        self.restarted.discard(kernel_id)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)

    def take(self, kernel_id: str, client: str) -> None:
        """A page request from ``client`` now holds ``kernel_id``."""
        self.visits[kernel_id] = Visit(client, since=self.clock())
        self.get_kernel(kernel_id).last_activity = _utcnow()  # not culled before it connects

    def page_sent(self, kernel_id: str) -> None:
        """The page of ``kernel_id`` was sent (or its request ended): it should connect soon."""
        visit = self.visits.get(kernel_id)
        if visit is not None and not visit.page_done:
            visit.page_done, visit.since = True, self.clock()

    def kernels_of(self, client: str) -> int:
        """Kernels held by ``client``."""
        return sum(v.client == client for v in self.visits.values())

    def counts(self) -> dict[str, int]:
        """Live kernels, kernels waiting in the pool, and kernels held by visitors."""
        live = set(self.list_kernel_ids())
        in_use = len(live & self.visits.keys())
        return {"live": len(live), "pool_ready": len(live) - in_use, "in_use": in_use}

    async def reclaim(self) -> list[str]:
        """Shut down visitors' kernels without a websocket for too long; their ids."""
        now = self.clock()
        for kernel_id in [k for k in self.visits if k not in self]:
            self.visits.pop(kernel_id, None)
        connected = {k for k in self.visits if self.kernel_model(k)["connections"]}
        # A page may reconnect within the culler's timeout.
        timeouts = Timeouts(self.connect_timeout, self.render_timeout, self.cull_idle_timeout or 60)
        reclaimed = overdue(self.visits, connected, now, timeouts)
        # Read before any await: the culler may forget a visit meanwhile.
        waited = {kernel_id: round(now - self.visits[kernel_id].since) for kernel_id in reclaimed}
        for kernel_id in reclaimed:
            self.log.warning(
                "reclaiming kernel with no page connected",
                extra={"kernel_id": kernel_id, "seconds": waited[kernel_id]},
            )
            try:
                await self.shutdown_kernel(kernel_id, now=True)
            except Exception:  # already gone; the next round forgets it
                self.log.exception("reclaiming kernel %s failed", kernel_id)
        return reclaimed


def _utcnow() -> datetime.datetime:
    # jupyter_server's kernels keep ``last_activity`` as an aware UTC datetime.
    return datetime.datetime.now(datetime.UTC)
