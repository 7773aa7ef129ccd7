"""Run ``mdvax serve`` as a child process: for the tests, the benchmarks and the load script."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from mdvax.errors import ServeError

#: Every visitor of a test or benchmark server shares one address (127.0.0.1): the per-client
#: limits (kernels, websockets, page requests) are lifted unless the caller's options set them.
SHARED_ADDRESS_OPTIONS = (
    "--MdvaxVoila.kernels_per_client=1000",
    "--MdvaxVoila.sockets_per_client=1000",
    "--MdvaxVoila.page_rate=1000",
    "--MdvaxVoila.page_burst=100000",
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServeProcess:
    """``python -m mdvax serve`` on a free loopback port, stopped on exit of the ``with`` block.

    Parameters
    ----------
    *args : str
        Extra ``mdvax serve`` options (``--notebook``, ``--max-kernels``,
        ``--MdvaxVoila.connect_timeout=4``...). Per-client limits are lifted
        (:data:`SHARED_ADDRESS_OPTIONS`) unless set here or a ``--config`` file is given.
    env : dict, optional
        Extra environment variables (``MDVAX_DATA_DIR``...).
    log_path : Path, optional
        File receiving the server's JSON log lines (stdout and stderr).
    file_limit : int, optional
        Open-file limit (soft and hard ``RLIMIT_NOFILE``) the server starts under.
    """

    def __init__(
        self,
        *args: str,
        env: dict | None = None,
        log_path: Path | None = None,
        file_limit: int | None = None,
    ):
        given = {arg.split("=", 1)[0] for arg in args}
        lifted = [
            option
            for option in SHARED_ADDRESS_OPTIONS
            if "--config" not in given and option.split("=", 1)[0] not in given
        ]
        self.options = [*lifted, *args]
        self.env = {**os.environ, **(env or {})}
        self.log_path = Path(log_path) if log_path else None
        self.file_limit = file_limit
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.url = ""

    @property
    def args(self) -> list[str]:
        """The command line (the port is picked when the server starts)."""
        port = ["--port", str(self.port)]
        return [sys.executable, "-m", "mdvax", "serve", *port, *self.options]

    def start(self, pool_timeout: float = 120.0) -> ServeProcess:
        """Start the server and wait until ``/healthz`` answers and the pool is preheated."""
        self.port = free_port()  # picked as late as possible: another server may be starting
        self.url = f"http://127.0.0.1:{self.port}/"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                self.args,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=self._limit_files if self.file_limit else None,
            )
        finally:
            if self.log_path:
                log.close()
        try:
            self.wait_for(lambda health: health["pool_ready"] >= self.pool_size(), pool_timeout)
        except BaseException:
            self.stop()  # `with` calls no __exit__ when __enter__ fails: leave no server behind
            raise
        return self

    def _limit_files(self) -> None:
        """In the child, before ``exec``: the open-file limit asked for."""
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (self.file_limit, self.file_limit))

    def pool_size(self) -> int:
        """The pool size asked for on the command line, else the machine's default."""
        if "--pool-size" in self.options:
            return int(self.options[self.options.index("--pool-size") + 1])
        from mdvax.serve.capacity import default_pool_size

        return default_pool_size()

    def health(self) -> dict:
        """The parsed ``/healthz`` answer."""
        with urllib.request.urlopen(self.url + "healthz", timeout=10) as response:
            return json.load(response)

    def wait_for(self, condition, timeout: float) -> dict:
        """Poll ``/healthz`` until ``condition(health)`` holds; raise ServeError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise ServeError(f"mdvax serve exited with status {self.process.returncode}")
            try:
                health = self.health()
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                health = None
            if health is not None and condition(health):
                return health
            if time.monotonic() > deadline:
                raise ServeError(f"mdvax serve: condition not met in {timeout} s: {health}")
            time.sleep(0.25)

    def kernel_pids(self) -> list[int]:
        """Process ids of the kernels the server started (forked ones included)."""
        import psutil

        server = psutil.Process(self.process.pid)
        return [
            child.pid
            for child in server.children(recursive=True)
            if child.pid != self.template_pid()
        ]

    def template_pid(self) -> int | None:
        """Process id of the fork server's template, if it runs."""
        import psutil

        for child in psutil.Process(self.process.pid).children():
            try:
                if "mdvax.serve.fork.forkserver" in child.cmdline()[1:4]:
                    return child.pid
            except psutil.NoSuchProcess:
                continue
        return None

    def kernel_files(self) -> dict[str, tuple[int, Path]]:
        """Kernels by id: their process id and connection file.

        The file is named on a launched kernel's command line; a forked kernel (whose command
        line is the template's) keeps it open instead (:mod:`mdvax.serve.fork.forkserver`).
        """
        import psutil

        found = {}
        for pid in self.kernel_pids():
            try:
                process = psutil.Process(pid)
                paths = [*process.cmdline(), *(f.path for f in process.open_files())]
            except psutil.Error:  # a kernel just ended (reclaimed)
                continue
            for path in paths:
                name = Path(path).name
                if name.startswith("kernel-") and name.endswith(".json"):
                    found[name[len("kernel-") : -len(".json")]] = (pid, Path(path))
                    break
        return found

    def kernel_pid(self, kernel_id: str) -> int:
        """Process id of kernel ``kernel_id`` (ServeError if there is none)."""
        try:
            return self.kernel_files()[kernel_id][0]
        except KeyError:
            raise ServeError(f"no process found for kernel {kernel_id}") from None

    def stop(self) -> None:
        """SIGTERM the server (it shuts its kernels down), SIGKILL the group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
