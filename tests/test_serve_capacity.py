"""The default kernel cap and pool size follow the machine (``mdvax.serve.capacity``)."""

from __future__ import annotations

import pytest

from mdvax.serve.capacity import (
    FORKED_KERNEL_MB,
    KERNEL_MB,
    default_max_kernels,
    default_pool_size,
)
from tests.support.serve_options import resolved


@pytest.mark.parametrize(
    ("cores", "available_mb", "pool", "expected"),
    [
        (2, 20_000, 2, 10),  # CPU-bound: 4 per core plus the pool
        (8, 3_000, 2, 12),  # memory-bound: (0.8 * 3000 - 400) // 160
        (1, 500, 1, 2),  # never below one visitor slot
    ],
)
def test_cap_from_cores_and_memory(cores, available_mb, pool, expected):
    assert default_pool_size(cores) == pool
    assert default_max_kernels(cores, available_mb) == expected
    assert KERNEL_MB >= 142  # a measured dashboard kernel's RSS


@pytest.mark.parametrize(
    ("cores", "available_mb", "expected"),
    [
        (8, 3_000, 25),  # memory-bound: (0.8 * 3000 - 400) // 80
        (2, 2_000, 10),  # a small Binder-like box: cores bound it, (1600 - 400) // 80 = 15
        (4, 1_200, 7),  # (960 - 400) // 80
    ],
)
def test_forked_kernels_cost_less_memory(cores, available_mb, expected):
    assert default_max_kernels(cores, available_mb, kernel_mb=FORKED_KERNEL_MB) == expected
    assert FORKED_KERNEL_MB >= 61  # a forked dashboard kernel's measured PSS


def test_the_server_counts_a_forked_kernel_at_its_own_cost():
    forked = resolved(pool_size=1)  # forking is the default
    launched = resolved(pool_size=1, fork_kernels=False)
    assert forked.max_kernels == default_max_kernels(pool_size=1, kernel_mb=FORKED_KERNEL_MB)
    assert launched.max_kernels == default_max_kernels(pool_size=1, kernel_mb=KERNEL_MB)


def test_the_server_uses_the_formula_unless_told():
    machine = resolved()
    assert machine.pool_size == default_pool_size() > 0
    assert machine.voila_configuration.default_pool_size == machine.pool_size
    assert machine.voila_configuration.preheat_kernel is True
    assert resolved(max_kernels=3, pool_size=1).max_kernels == 3
    none = resolved(max_kernels=3, pool_size=0)
    assert none.voila_configuration.preheat_kernel is False
