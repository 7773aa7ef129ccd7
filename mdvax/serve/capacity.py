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
"""

from __future__ import annotations

import os
import resource

import psutil

KERNEL_MB = 160
FORKED_KERNEL_MB = 80
SERVER_MB = 400
KERNELS_PER_CORE = 4
#: Share of the memory available at start the kernels may take.
MEMORY_SHARE = 0.8


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


def raise_file_limit(needed: int) -> None:
    """Raise this process's open-file limit towards ``needed`` (ZMQ sockets are files)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
