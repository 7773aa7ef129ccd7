"""The server's limits on what one visitor (client address) may take, as traitlets options.

A mixin of :class:`mdvax.serve.app.MdvaxVoila`: configured as ``MdvaxVoila.<name>`` in the
operator's JSON file or on the command line, listed in the README's configuration table.
"""

from __future__ import annotations

from traitlets import Float, HasTraits, Integer, List, Unicode, default

from mdvax.errors import ServeError
from mdvax.serve import capacity
from mdvax.serve.hosts import default_allowed_hosts


class VisitorLimits(HasTraits):
    """Kernel caps, identity, rates, timeouts and the health token of the server (docs/serving.md)."""

    max_kernels = Integer(
        None,
        allow_none=True,
        config=True,
        help="Ceiling on live kernels, pool included (default: from the machine's cores and memory).",
    )
    pool_size = Integer(
        None,
        allow_none=True,
        min=0,
        config=True,
        help="Preheated kernels kept ready, 0 for none (default: from the machine's cores).",
    )
    trusted_proxies = List(Unicode(), config=True, help="Proxies whose X-Forwarded-For counts.")
    allowed_hosts = List(Unicode(), config=True, help="Host names served (others: 400).")
    health_token = Unicode(
        None,
        allow_none=True,
        config=True,
        help="Token for /healthz details (default: MDVAX_SERVE_HEALTH_TOKEN).",
    )
    kernels_per_client = Integer(2, config=True, help="Kernels one client address may hold.")
    sockets_per_client = Integer(6, config=True, help="Kernel websockets one client may hold.")
    page_rate = Float(0.5, config=True, help="Page requests a second one client may make.")
    page_burst = Integer(20, config=True, help="Page requests one client may make at once.")
    message_rate = Float(50.0, config=True, help="Messages/s per kernel websocket (0: no limit).")
    message_burst = Integer(200, min=1, config=True, help="Messages a socket may send at once.")
    messages_queued = Integer(32, min=1, config=True, help="Messages waiting for one kernel.")
    messages_in_flight = Integer(2, min=1, config=True, help="Messages a kernel is handed at once.")
    connect_timeout = Float(15.0, config=True, help="Seconds a sent page has to connect.")
    request_timeout = Float(20.0, config=True, help="Seconds to send headers/body; keep-alive.")
    max_connections = Integer(
        None,
        allow_none=True,
        min=1,
        config=True,
        help="Open connections at once; more get a 503 at accept (default: from the file limit).",
    )

    @default("allowed_hosts")
    def _default_allowed_hosts(self):
        return default_allowed_hosts(self.ip)  # behind a proxy: add the public name

    def _size_kernels(self) -> None:
        """Pool and cap from the machine unless configured; refuse a cap no visitor fits under."""
        if self.pool_size is None:
            self.pool_size = capacity.default_pool_size()
        if self.max_kernels is None:
            kernel_mb = capacity.FORKED_KERNEL_MB if self.fork_kernels else capacity.KERNEL_MB
            self.max_kernels = capacity.default_max_kernels(
                pool_size=self.pool_size, kernel_mb=kernel_mb
            )
        if self.max_kernels <= self.pool_size:
            raise ServeError(
                f"max kernels ({self.max_kernels}) must exceed the pool size ({self.pool_size}),"
                " or no visitor could ever get a kernel"
            )
        self.voila_configuration.default_pool_size = self.pool_size
        self.voila_configuration.preheat_kernel = self.pool_size > 0
