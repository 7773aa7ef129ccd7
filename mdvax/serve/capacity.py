"""Default kernel cap and pool size of ``mdvax serve``, from the machine's cores and memory.

    pool_size   = min(2, cores)
    max_kernels = max(pool_size + 1,
                      min(KERNELS_PER_CORE * cores + pool_size,
                          (MEMORY_SHARE * available_MB - SERVER_MB) // kernel_MB))

A launched dashboard kernel holds ~142 MB RSS (:data:`KERNEL_MB` rounds it up) and needs about
a CPU-second to start; a kernel forked from the preloaded template (the default, see
:mod:`mdvax.serve.fork.forkserver`) shares most of its pages with the template and its siblings:
~42 MB USS, ~61 MB PSS (:data:`FORKED_KERNEL_MB` rounds the PSS up). Once started a kernel
idles between a visitor's clicks, so a core carries a few of them (:data:`KERNELS_PER_CORE`). Visitors beyond the cap get the still picture of their
view. ``MdvaxVoila.max_kernels``/``pool_size`` (``--max-kernels``/``--pool-size``)
override either. On the 2-core, 24 GiB development machine: pool 2, cap 10.

Connections, from the open-file limit (raised to the hard limit first)::

    max_connections = min(MAX_CONNECTIONS, file_limit - BASE_FDS
                          - max_kernels * (KERNEL_FDS + sockets_per_kernel * WEBSOCKET_ZMQ_FDS))

At 1024 with 10 kernels of 2 websockets: 1024 - 64 - 10 * 48 = 480.
``MdvaxVoila.max_connections`` overrides it (never above that figure).
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

import psutil

from mdvax.errors import ServeError

KERNEL_MB = 160
FORKED_KERNEL_MB = 80
SERVER_MB = 400
KERNELS_PER_CORE = 4
#: Share of the memory available at start the kernels may take.
MEMORY_SHARE = 0.8

#: Descriptors the server holds whatever its traffic (measured ~35 with one pooled kernel, less
#: its 24): listening socket, epoll, the archive, logs, the fork server's socket, files being
#: sent, with room to spare.
BASE_FDS = 64
#: Descriptors one kernel costs the server, measured: 24 while pooled (ZMQ sockets of its
#: renderer and restarter, their I/O threads' eventfds), 5 more once its page is out.
KERNEL_FDS = 32
#: ZMQ descriptors each of a kernel's websockets adds (measured 8; the TCP socket itself is a
#: connection, under the connection cap).
WEBSOCKET_ZMQ_FDS = 8
#: Connections never exceed this, however high the limit: each costs memory and event-loop time.
MAX_CONNECTIONS = 4096
#: Fewer connections than this and the server could not serve its own pages' static files.
MIN_CONNECTIONS = 16


def cores() -> int:
    """CPUs this process may run on (its affinity, else the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_pool_size(n_cores: int | None = None) -> int:
    """Preheated kernels: one per core, two at most."""
    return min(2, n_cores or cores())


def default_max_kernels(
    n_cores: int | None = None,
    available_mb: float | None = None,
    pool_size: int | None = None,
    kernel_mb: int = KERNEL_MB,
) -> int:
    """The cap on live kernels (pool included) the formula above gives.

    ``kernel_mb`` is what one kernel costs: :data:`KERNEL_MB` launched,
    :data:`FORKED_KERNEL_MB` forked.
    """
    n_cores = n_cores or cores()
    if available_mb is None:
        available_mb = psutil.virtual_memory().available / 2**20
    pool = default_pool_size(n_cores) if pool_size is None else pool_size
    by_memory = int((MEMORY_SHARE * available_mb - SERVER_MB) // kernel_mb)
    return max(pool + 1, min(KERNELS_PER_CORE * n_cores + pool, by_memory))


def raise_file_limit() -> int:
    """Raise this process's soft open-file limit to its hard limit; the soft limit now in force.

    Every connection, ZMQ socket and pipe is a descriptor. The hard limit is the operator's
    (``LimitNOFILE`` in the systemd unit, ``--ulimit nofile`` for the container); when it is
    unlimited, the kernel's own ceiling (``/proc/sys/fs/nr_open``) applies and the soft limit
    stays where it is if that cannot be read.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard
    if hard == resource.RLIM_INFINITY:
        try:
            target = int(Path("/proc/sys/fs/nr_open").read_text())
        except (OSError, ValueError):
            target = soft
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        return soft
    return target


def connection_headroom(max_kernels: int, sockets_per_kernel: int) -> int:
    """Descriptors kept for everything but connections: the server itself and its kernels."""
    return BASE_FDS + max_kernels * (KERNEL_FDS + sockets_per_kernel * WEBSOCKET_ZMQ_FDS)


def default_max_connections(file_limit: int, max_kernels: int, sockets_per_kernel: int) -> int:
    """The cap on open connections: the open-file limit less :func:`connection_headroom`.

    At most :data:`MAX_CONNECTIONS`; raises :class:`ServeError` when fewer than
    :data:`MIN_CONNECTIONS` would be left (the limit is too low for that many kernels).
    """
    cap = min(MAX_CONNECTIONS, file_limit - connection_headroom(max_kernels, sockets_per_kernel))
    if cap < MIN_CONNECTIONS:
        raise ServeError(
            f"the open-file limit ({file_limit}) leaves {cap} connections for {max_kernels}"
            f" kernels (at least {MIN_CONNECTIONS} needed): raise it (LimitNOFILE, ulimit -n,"
            " --ulimit nofile) or lower --max-kernels"
        )
    return cap


def size_connections(configured: int | None, max_kernels: int, sockets_per_kernel: int) -> int:
    """The connection cap: ``configured`` if it fits under the raised file limit, else computed.

    Raises the soft open-file limit first (:func:`raise_file_limit`); a configured cap above
    what the limit leaves is a :class:`ServeError` naming both figures.
    """
    limit = raise_file_limit()
    fits = default_max_connections(limit, max_kernels, sockets_per_kernel)
    if configured is None:
        return fits
    if configured > fits:
        raise ServeError(
            f"max connections ({configured}) does not fit under the open-file limit ({limit})"
            f" with {max_kernels} kernels: at most {fits}"
        )
    return configured
