"""The fork server's template: one process that has imported what a kernel needs, then forks.

``mdvax serve`` runs ``python -OO -m mdvax.serve.fork.forkserver <socket> <server pid> <hook>``
(:class:`mdvax.serve.fork.provisioner.ForkServer`). This process imports ipykernel, then calls
the preload hook named ``<hook>`` (``module:function``, :data:`PRELOAD_HOOK` by default: see
:mod:`mdvax.serve.fork` for what a hook must do), which imports the dashboard and loads its
data. It then moves every object out of the garbage collector's reach (``gc.freeze()``: a
collection in a child would otherwise write to, and so copy, every page), and listens on a UNIX
socket (mode 0600, in a 0700 folder). Each connection from the server (same user, checked) is
one kernel: a JSON line ``{"args", "env", "cwd"}``; the template calls the hook again (it
reloads what changed), forks, and the child becomes that kernel (:func:`become_kernel`) and
answers ``{"pid": ...}``.

Forking is only safe with a single thread: the libraries are told not to start any
(:data:`TEMPLATE_ENV`), and the template refuses to serve (exits with status 4) if one did.
It ignores ``SIGCHLD`` so its children never linger as zombies, and exits when the server does.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import logging
import os
import pkgutil
import select
import signal
import socket
import struct
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

#: Set in the template's environment (unless set): no BLAS worker threads, no jemalloc
#: background thread in pyarrow; either would make forking unsafe.
TEMPLATE_ENV = {"OPENBLAS_NUM_THREADS": "1", "JE_ARROW_MALLOC_CONF": "background_thread:false"}

#: What every kernel imports, whatever notebook it runs: loaded once here.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "mdvax.serve.logs")

#: The preload hook of the served dashboard (:func:`mdvax.dashboard.preload.preload`), by name:
#: the serving layer never imports the dashboard's modules itself.
PRELOAD_HOOK = "mdvax.dashboard.preload:preload"

#: The kernel command the template can become: ``<python> -OO -m mdvax.serve.kernel ...``.
KERNEL_COMMAND = ("-OO", "-m", "mdvax.serve.kernel")

#: Largest fork request (the kernel's environment is most of it).
MAX_REQUEST_BYTES = 1024 * 1024

log = logging.getLogger("mdvax.forkserver")


def native_threads() -> int:
    """Threads of this process, Python's and native ones (``/proc/self/task``)."""
    return len(os.listdir("/proc/self/task"))


def preload_hook(name: str) -> Callable[[], bool]:
    """The hook named ``name`` (``module:function``); ValueError naming it if there is none."""
    try:
        hook = pkgutil.resolve_name(name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"fork server: no preload hook {name!r} ({exc})") from exc
    if not callable(hook):
        raise ValueError(f"fork server: preload hook {name!r} is not a function")
    return hook


def load(hook: Callable[[], bool]) -> None:
    """Import what kernels use, call the preload ``hook``, then freeze the heap for forking."""
    from mdvax.serve import kernel

    kernel.prepare()
    for name in PRELOAD:
        importlib.import_module(name)
    hook()
    gc.collect()
    gc.freeze()


def ready_to_fork(hook: Callable[[], bool]) -> bool:
    """Let ``hook`` reload what changed (refreeze then); False if a thread runs (unsafe)."""
    if hook():  # it replaced objects: collect the old ones, freeze the new ones
        gc.unfreeze()
        gc.collect()
        gc.freeze()
    threads = native_threads()
    if threads != 1:
        log.error("fork server: %d threads; not forking", threads)
    return threads == 1


def read_request(conn: socket.socket) -> dict:
    """The fork request on ``conn``: checked to come from this user and to be well formed."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    if uid != os.getuid():
        raise ValueError(f"fork request from user {uid}")
    buffer = b""
    while not buffer.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            raise ValueError("fork request cut short")
        buffer += chunk
        if len(buffer) > MAX_REQUEST_BYTES:
            raise ValueError("fork request too large")
    request = json.loads(buffer)
    args, env, cwd = request["args"], request["env"], request["cwd"]
    if not (isinstance(args, list) and all(isinstance(a, str) for a in args)):
        raise ValueError("fork request: args must be a list of strings")
    if not (isinstance(env, dict) and all(isinstance(v, str) for v in env.values())):
        raise ValueError("fork request: env must map names to strings")
    if not (isinstance(cwd, str) and os.path.isdir(cwd)):
        raise ValueError("fork request: cwd must be a folder")
    return request


def become_kernel(conn: socket.socket, listener: socket.socket, request: dict) -> None:
    """In the child: set up the process as a fresh kernel launch would be, run it, exit."""
    code = 1
    try:
        listener.close()
        os.setsid()  # its own session and process group, as jupyter_client's launcher does
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()  # exactly the environment a launched kernel would get
        for name, value in request["env"].items():
            os.environ[name] = value
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
        conn.close()
        from mdvax.serve import kernel

        watch_server(int(request["env"].get("JPY_PARENT_PID") or 0))
        limits, args = kernel.KernelLimits.from_argv(request["args"])
        kernel.limit(limits)
        # parent_handle 1: no parent poller (ours is watch_server) and no banner on stderr
        # (ipykernel prints one, not JSON, when it has no parent).
        sys.argv = [kernel.__file__, *args, "--IPKernelApp.parent_handle=1"]
        keep_open(args)
        kernel.run()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # closed or broken: nothing left to tell
                stream.flush()
        os._exit(code)


def keep_open(args: list[str]) -> None:
    """Keep the connection file (``-f <file>``) open, to tell which kernel this process is.

    Its command line is the template's; ``/proc/<pid>/fd`` shows the file instead.
    """
    if "-f" in args[:-1]:
        with contextlib.suppress(OSError):
            os.open(args[args.index("-f") + 1], os.O_RDONLY | os.O_CLOEXEC)


def watch_server(pid: int) -> None:
    """End this kernel when the server ``pid`` exits.

    ipykernel's own check watches the parent, which here is the template.
    """
    if pid <= 1:
        return
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)

    def watch() -> None:
        select.select([pidfd], [], [])
        os._exit(1)

    threading.Thread(target=watch, name="mdvax-server-watch", daemon=True).start()


def serve(listener: socket.socket, server_pid: int, hook: Callable[[], bool]) -> None:
    """Fork a kernel for each request until the server exits (``hook``: before each fork)."""
    server = os.pidfd_open(server_pid)
    while True:
        ready, _, _ = select.select([listener, server], [], [])
        if server in ready:
            return
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(10)
            try:
                request = read_request(conn)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.error("bad fork request: %s", exc)
                continue
            if not ready_to_fork(hook):  # the server launches this kernel the usual way
                continue
            if os.fork() == 0:
                become_kernel(conn, listener, request)


def listen(path: Path) -> socket.socket:
    """A UNIX socket at ``path`` (mode 0600), appearing only once it accepts connections."""
    partial = path.with_name(path.name + ".new")
    partial.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        listener.bind(str(partial))
    finally:
        os.umask(old)
    listener.listen(64)
    os.replace(partial, path)
    return listener


def main(argv: list[str] | None = None) -> int:
    """``python -OO -m mdvax.serve.fork.forkserver <socket path> <server pid> [<hook>]``."""
    from mdvax.serve.logs import json_handler

    log.addHandler(json_handler())
    log.setLevel(logging.INFO)
    log.propagate = False
    path, server_pid, *rest = argv or sys.argv[1:]
    hook = preload_hook(rest[0] if rest else PRELOAD_HOOK)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server handles Ctrl-C, then stops us
    load(hook)
    if threading.active_count() != 1 or native_threads() != 1:
        log.error("fork server: %d threads after loading; not forking", native_threads())
        return 4
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener = listen(Path(path))
    log.info("fork server ready", extra={"pid": os.getpid()})
    serve(listener, int(server_pid), hook)
    return 0


if __name__ == "__main__":
    sys.exit(main())
