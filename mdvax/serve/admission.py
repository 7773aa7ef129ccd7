"""Who may have a live page: the kernel caps, in all and per client, and the requests waiting.

With ``max_kernels`` live kernels at most and ``pool_size`` of them kept preheated,
``max_kernels - pool_size`` visitors can hold a kernel at once, and one client address at most
``kernels_per_client``. A page request admitted but not yet holding a kernel counts too (a burst
would otherwise pass the check before any has a kernel): it holds a :class:`Ticket` until Voila
hands it a kernel or the request ends. One :class:`Admission` per server, owned by the app.
"""

from __future__ import annotations

from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass

#: The ticket of the page request being handled in this task (see :meth:`Admission.admit`).
_TICKET: ContextVar[Ticket | None] = ContextVar("mdvax_ticket", default=None)


@dataclass
class Ticket:
    """An admitted page request: its client, and the kernel it got (once it has one)."""

    client: str
    kernel_id: str | None = None
    waiting: bool = True


class Admission:
    """The caps and the count of admitted page requests still waiting for a kernel.

    Parameters
    ----------
    visitor_slots : int
        Kernels visitors may hold at once (``max_kernels - pool_size``).
    per_client : int
        Kernels one client address may hold (``kernels_per_client``).
    """

    def __init__(self, visitor_slots: int, per_client: int) -> None:
        self.visitor_slots = visitor_slots
        self.per_client = per_client
        self.waiting = 0
        self.waiting_by_client: Counter = Counter()

    def refusal(self, client: str, held: int, in_use: int) -> int | None:
        """HTTP status refusing ``client`` a live page (429, 503), or ``None`` to admit.

        ``held``: kernels ``client`` holds; ``in_use``: kernels all visitors hold.
        """
        if held + self.waiting_by_client[client] >= self.per_client:
            return 429
        if in_use + self.waiting >= self.visitor_slots:
            return 503
        return None

    def admit(self, client: str) -> tuple[Ticket, object]:
        """Count a request of ``client`` as waiting; its ticket and the context token."""
        ticket = Ticket(client)
        self.waiting += 1
        self.waiting_by_client[client] += 1
        return ticket, _TICKET.set(ticket)

    def release(self, ticket: Ticket, token) -> None:
        """The request of ``ticket`` ended."""
        self.assigned(ticket)
        _TICKET.reset(token)

    def assigned(self, ticket: Ticket) -> None:
        """The request of ``ticket`` holds a kernel (or ended): no longer waiting (once)."""
        if ticket.waiting:
            ticket.waiting = False
            self.waiting -= 1
            self.waiting_by_client[ticket.client] -= 1
            if self.waiting_by_client[ticket.client] <= 0:
                del self.waiting_by_client[ticket.client]

    def kernel_taken(self, manager, kernel_id: str) -> None:
        """Voila handed ``kernel_id`` to the current page request: record its visitor."""
        ticket = _TICKET.get(None)
        manager.take(kernel_id, ticket.client if ticket else "")
        if ticket is not None:
            ticket.kernel_id = kernel_id
            self.assigned(ticket)
