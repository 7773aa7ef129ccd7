"""What the report runner assumes about jupyter_client internals.

``AsyncKernelManager.shutdown_kernel`` interrupts the kernel (SIGINT) before asking it to stop,
to stop a cell still running; it calls the private ``_async_interrupt_kernel`` directly, so the
public ``interrupt_kernel`` cannot be overridden instead. A report kernel is shut down idle,
between cells, where that signal only makes ipykernel log ``KeyboardInterrupt caught in
kernel``. Related upstream discussion: jupyter/jupyter_client#618 (the order of the shutdown
steps); proposal 6 in docs/serving.md asks for an ``interrupt_on_shutdown`` trait.
"""

from __future__ import annotations

from jupyter_client.manager import AsyncKernelManager

__all__ = ["AsyncKernelManager", "NoInterruptOnShutdown"]


class NoInterruptOnShutdown(AsyncKernelManager):
    """An ``AsyncKernelManager`` that does not interrupt a kernel it is shutting down."""

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()
