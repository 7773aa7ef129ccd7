"""The kernels reports run in: a fresh one per report, or one kept for many (a backfill).

Both stop quietly. ``jupyter_client`` interrupts a kernel (SIGINT) before shutting it down; a
report kernel is shut down idle, where that signal only made ipykernel log ``KeyboardInterrupt
caught in kernel`` to the report's standard error. :class:`QuietKernelManager` skips it
(:mod:`mdvax.upstream.kernels`): an idle kernel stops on the shutdown request (a fresh
kernel) or is killed (a kept one); a kernel still busy is sent SIGTERM after a short wait.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path

from jupyter_client.asynchronous import AsyncKernelClient
from traitlets import Type

from mdvax.upstream.kernels import NoInterruptOnShutdown

#: Kernel the notebooks run in: the ``python3`` kernelspec of the running interpreter's prefix.
KERNEL_NAME = "python3"


class QuietKernelManager(NoInterruptOnShutdown):
    """The kernel manager of report runs: no interrupt before a shutdown."""


def kernel_options() -> dict:
    """Keyword arguments for ``papermill.execute_notebook`` choosing and starting a fresh kernel.

    The kernel is the ``python3`` kernelspec found from this interpreter's prefix (papermill
    launches it with this interpreter), talking over local sockets instead of TCP ports, so
    parallel runs never race for a free port.
    """
    from traitlets.config import Config

    return {
        "kernel_name": KERNEL_NAME,
        "kernel_manager_class": QuietKernelManager,
        "config": Config({"KernelManager": {"transport": "ipc"}}),
        "progress_bar": False,
    }


class KeptKernel:
    """One kernel for many runs of a notebook (a backfill), instead of one kernel per run.

    Starting a kernel and importing pandas, geopandas and matplotlib in it takes most of a
    report's time; a kept kernel pays that once. So does its client: connecting one waits at
    least 0.2 s for stray messages, so every run talks through the same one. Each run still
    executes every cell of the notebook, so its outputs are those a fresh kernel gives (the
    execution counts, which keep growing in a kept kernel, are renumbered by
    :func:`mdvax.report.notebook.strip_volatile`). A run that fails shuts the kernel down: the
    next run starts a fresh one, never a kernel left mid-cell.

    A kept kernel belongs to the thread that runs it (its sockets are tied to that thread's
    event loop); only :meth:`kill` may be called from another thread.

    Use it as a context manager::

        with KeptKernel() as kernel:
            for parameters in runs:
                execute(source, output, parameters, kernel=kernel)
    """

    def __init__(self) -> None:
        self.manager: _KeptKernelManager | None = None
        self.started = 0  # kernels started, for tests and benchmarks
        self._sockets = None  # private folder of the kernel's sockets

    def __enter__(self) -> KeptKernel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    def options(self, cwd: Path) -> dict:
        """``papermill.execute_notebook`` keyword arguments running in the kept kernel."""
        from jupyter_core.utils import run_sync

        if self.manager is None or not run_sync(self.manager.is_alive)():
            self.shutdown()
            # Sockets at an absolute path in a private folder: the kernel (started in ``cwd``)
            # and this process (anywhere) agree on them, and no other kernel can take them.
            self._sockets = Path(tempfile.mkdtemp(prefix="mdvax-kernel-"))
            self.manager = _KeptKernelManager(
                kernel_name=KERNEL_NAME, transport="ipc", ip=str(self._sockets / "kernel")
            )
            run_sync(self.manager.start_kernel)(cwd=str(cwd))
            self.started += 1
        return {"kernel_name": KERNEL_NAME, "km": self.manager, "progress_bar": False}

    def finished(self, ok: bool) -> None:
        """After a run: a failed one shuts the kernel down (the client stays for the next run)."""
        if not ok:
            self.shutdown()

    def kill(self) -> None:
        """Kill the kernel's process group at once, from any thread (Ctrl-C of a backfill).

        The run in progress then fails (its kernel died); :meth:`shutdown`, in the kernel's own
        thread, still cleans up.
        """
        provisioner = getattr(self.manager, "provisioner", None)
        pgid = getattr(provisioner, "pgid", None)
        if pgid:
            with contextlib.suppress(OSError):  # already gone
                os.killpg(pgid, signal.SIGKILL)

    def shutdown(self) -> None:
        """Stop the kernel (if any) and its client, and remove its connection files."""
        from jupyter_core.utils import run_sync

        manager, self.manager = self.manager, None
        sockets, self._sockets = self._sockets, None
        try:
            if manager is not None:
                manager.close_client()
                if run_sync(manager.is_alive)():
                    run_sync(manager.shutdown_kernel)(now=True)
        finally:
            if manager is not None:
                run_sync(manager.cleanup_resources)()
            if sockets is not None:
                shutil.rmtree(sockets, ignore_errors=True)


class _ReadyClient(AsyncKernelClient):
    """A kernel client that connects once: later runs skip ``start_channels`` and the handshake.

    nbclient connects the client it gets from the manager before every run; the handshake
    (``wait_for_ready``) ends by waiting 0.2 s for messages that may still arrive.
    """

    _ready = False

    def start_channels(self, *args: object, **kwargs: object) -> None:
        """Start the channels the first time only."""
        if not self._ready:
            super().start_channels(*args, **kwargs)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Wait for the kernel the first time only."""
        if not self._ready:
            await self._async_wait_for_ready(timeout)
            self._ready = True


class _KeptKernelManager(QuietKernelManager):
    """The kept kernel's manager: one client for every run, closed with the kernel.

    nbclient stops a client's channels only when it owns the kernel manager; here nobody else
    would stop them, so the manager keeps its one client and :meth:`close_client` stops it.
    """

    client_factory = Type(klass=AsyncKernelClient, default_value=_ReadyClient)
    _kept_client: _ReadyClient | None = None

    def client(self, **kwargs: object) -> _ReadyClient:
        """The kept client (made on the first call)."""
        if self._kept_client is None:
            self._kept_client = super().client(**kwargs)
        return self._kept_client

    def close_client(self) -> None:
        """Stop the kept client's channels (a new client is made if the manager is used again)."""
        client, self._kept_client = self._kept_client, None
        if client is not None:
            client.stop_channels()
