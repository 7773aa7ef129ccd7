"""The server's side of the fork server: start the template, ask it for kernels.

:class:`ForkServer` runs the template (:mod:`mdvax.serve.fork.forkserver`) next to ``mdvax serve``;
:class:`ForkProvisioner`, the kernel provisioner the served kernel spec names
(``mdvax/serve/share/kernels/python3/kernel.json``, registered under the
``jupyter_client.kernel_provisioners`` entry point ``mdvax-fork``), asks it to fork each
kernel. Whenever that is not possible (fork server disabled or not started, template dead or
not ready in time, any error), the provisioner logs why and launches the kernel as
jupyter_client always does: serving never depends on the template. A dead template is started
again, at most once every :data:`RESTART_DELAY_S` seconds.

A forked kernel is not the server's child: :class:`~mdvax.serve.fork.forked.ForkedProcess`
follows it through a pidfd.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

from mdvax.errors import ForkServerError, ServeError
from mdvax.serve.fork.forked import ForkedProcess
from mdvax.serve.fork.forkserver import KERNEL_COMMAND, PRELOAD_HOOK, TEMPLATE_ENV

log = logging.getLogger("mdvax.serve.fork")

#: Seconds a kernel launch waits for the template to be ready (it imports for a few seconds).
READY_TIMEOUT_S = 60.0
#: Seconds between two starts of the template (a template that keeps dying is not retried
#: in a loop).
RESTART_DELAY_S = 30.0
#: Seconds the template has to answer a fork request.
FORK_TIMEOUT_S = 20.0


class ForkServer:
    """The template process and its socket (in a private folder of the Jupyter runtime dir)."""

    def __init__(self, preload_hook: str = PRELOAD_HOOK) -> None:
        self.preload_hook = preload_hook  #: ``module:function`` the template calls
        self.process: subprocess.Popen | None = None
        self.folder: Path | None = None
        self.started = 0.0
        self.forks = 0  #: kernels forked
        self.fallbacks = 0  #: kernels launched the usual way instead

    @property
    def socket_path(self) -> Path:
        return self.folder / "fork.sock"

    def start(self) -> None:
        """Start the template (it is ready once its socket exists)."""
        from jupyter_core.paths import jupyter_runtime_dir

        self.stop()
        runtime = Path(jupyter_runtime_dir())
        if len(str(runtime)) > 60:  # a UNIX socket path holds 107 bytes at most
            runtime = Path(tempfile.gettempdir())
        runtime.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="mdvax-fork-", dir=runtime))  # mode 0700
        env = {**TEMPLATE_ENV, **os.environ}
        command = [sys.executable, "-OO", "-m", "mdvax.serve.fork.forkserver"]
        arguments = [str(self.socket_path), str(os.getpid()), self.preload_hook]
        self.process = subprocess.Popen([*command, *arguments], env=env, stdin=subprocess.DEVNULL)
        self.started = time.monotonic()
        log.info("fork server starting", extra={"pid": self.process.pid})

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop the template (kernels it forked keep running) and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    async def fork(self, args: list[str], env: dict[str, str], cwd: str) -> int:
        """Fork a kernel with these arguments; its pid. Raises :class:`ForkServerError`."""
        await self._ready()
        try:
            reader, writer = await asyncio.open_unix_connection(str(self.socket_path))
            request = {"args": args, "env": env, "cwd": cwd}
            writer.write(json.dumps(request).encode() + b"\n")
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), FORK_TIMEOUT_S)
            writer.close()
            pid = int(json.loads(line)["pid"])
        except (OSError, ValueError, KeyError, TypeError, TimeoutError) as exc:
            raise ForkServerError(f"fork request failed: {exc!r}") from exc
        self.forks += 1
        return pid

    async def _ready(self) -> None:
        """Wait until the template listens; restart a dead one (after a delay), or raise."""
        if not self.alive():
            code = None if self.process is None else self.process.returncode
            if time.monotonic() - self.started > RESTART_DELAY_S:
                self.start()  # for the next kernels; this one does not wait for it
            raise ForkServerError(f"fork server not running (exit status {code})")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.socket_path.exists():
            if not self.alive():
                raise ForkServerError("fork server exited while starting")
            if time.monotonic() > deadline:
                raise ForkServerError(f"fork server not ready after {READY_TIMEOUT_S} s")
            await asyncio.sleep(0.05)


#: Entry point name of :class:`ForkProvisioner` (``pyproject.toml``), named by the kernel spec.
PROVISIONER_NAME = "mdvax-fork"


def require_registered() -> None:
    """Raise :class:`ServeError` unless the served kernel spec's provisioner is installed.

    Without it jupyter_client refuses the kernel spec and no kernel could start.
    """
    from importlib.metadata import entry_points

    if not entry_points(group="jupyter_client.kernel_provisioners", name=PROVISIONER_NAME):
        raise ServeError(
            f"kernel provisioner {PROVISIONER_NAME!r} is not registered: reinstall mdvax "
            "(pip install -e . or make setup) so its entry points are installed"
        )


#: The fork server of this ``mdvax serve`` process, if enabled.
_server: ForkServer | None = None


def start() -> ForkServer:
    """Start this process's fork server (once); stopped when the process exits."""
    global _server
    if _server is None:
        import atexit

        _server = ForkServer()
        _server.start()
        atexit.register(_server.stop)
    return _server


def current() -> ForkServer | None:
    """The fork server of this process, or None when it was not started (disabled)."""
    return _server


def forkable(cmd: list[str]) -> bool:
    """``cmd`` is the served kernel's command (``<this python> -OO -m mdvax.serve.kernel``)."""
    return (
        len(cmd) > len(KERNEL_COMMAND)
        and os.path.realpath(cmd[0]) == os.path.realpath(sys.executable)
        and tuple(cmd[1 : 1 + len(KERNEL_COMMAND)]) == KERNEL_COMMAND
    )


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching through the fork server when it can."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        server = current()
        if server is not None and forkable(cmd):
            env = dict(kwargs.get("env") or os.environ)
            env["JPY_PARENT_PID"] = str(os.getpid())  # the kernel exits when the server does
            cwd = str(kwargs.get("cwd") or os.getcwd())
            try:
                pid = await server.fork(cmd[1 + len(KERNEL_COMMAND) :], env, cwd)
            except ForkServerError as exc:
                server.fallbacks += 1
                log.warning("kernel started without the fork server", extra={"reason": str(exc)})
            else:
                self.process = ForkedProcess(pid)
                self.pid = self.pgid = pid  # the child called setsid()
                self.cwd = cwd
                log.info("kernel forked", extra={"kernel_id": self.kernel_id, "pid": pid})
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)

    async def send_signal(self, signum: int) -> None:
        """Signal the kernel's process group; remember a fatal signal for the exit status."""
        if isinstance(self.process, ForkedProcess) and signum in (signal.SIGKILL, signal.SIGTERM):
            self.process._signal = signum
        await super().send_signal(signum)
