"""Page requests per client: a token bucket for each client address.

Every page request (``GET /``) of a client takes one token from its bucket; the bucket holds at
most ``burst`` tokens and gains ``rate`` a second. A request finding the bucket empty is refused
at once (HTTP 429 with ``Retry-After``, see :class:`mdvax.serve.page.CappedVoilaHandler`),
before anything is drawn or a kernel is asked for: a client sending new views as fast as it can
costs the server a dictionary look-up per request beyond its share.

The buckets are kept for the :data:`MAX_CLIENTS` clients seen last (least recently seen
forgotten first), so a flood of made-up addresses cannot grow the server's memory; a forgotten
client starts again with a full bucket, which is what it would have after a quiet minute.

Written here rather than taken from a library: the rule is a dozen lines, and the libraries
found (``limits`` and the like) bring storage back-ends this single-process server does not use.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

#: Clients whose buckets are remembered.
MAX_CLIENTS = 10_000


class PageRateLimit:
    """Token buckets of page requests by client.

    Parameters
    ----------
    rate : float
        Tokens a client's bucket gains per second (> 0).
    burst : int
        Tokens a bucket holds at most, a new client's too (>= 1).
    clock : callable, optional
        Monotonic seconds (:func:`time.monotonic`); tests pass their own.
    """

    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:
        if not rate > 0:
            raise ValueError(f"page rate must be > 0 requests a second, got {rate}")
        if burst < 1:
            raise ValueError(f"page burst must be >= 1 request, got {burst}")
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        #: Requests refused so far (for ``/healthz``).
        self.refused = 0

    def take(self, client: str) -> int:
        """Take a token for ``client``: 0 when it has one, else the seconds until it will (>= 1)."""
        now = self._clock()
        tokens, then = self._buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        wait = 0
        if tokens >= 1:
            tokens -= 1
        else:
            self.refused += 1
            wait = max(1, math.ceil((1 - tokens) / self.rate))
        self._buckets[client] = (tokens, now)  # last, as the most recently seen
        while len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)
