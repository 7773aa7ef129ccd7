"""The default kernel cap and pool size follow the machine (``mdvax.serve.capacity``)."""

from __future__ import annotations

import pytest

from mdvax.serve.capacity import KERNEL_MB, default_max_kernels, default_pool_size
from mdvax.serve.settings import ServeOptions


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


def test_options_use_the_formula_unless_set(monkeypatch):
    monkeypatch.delenv("MDVAX_SERVE_MAX_KERNELS", raising=False)
    monkeypatch.delenv("MDVAX_SERVE_POOL_SIZE", raising=False)
    options = ServeOptions(pool_size=1)
    argv = options.voila_argv()
    assert options.max_kernels == default_max_kernels(pool_size=1) > 1
    assert f"--MdvaxVoila.max_kernels={options.max_kernels}" in argv
    assert ServeOptions(max_kernels=3, pool_size=1).voila_argv()[-2].endswith("=3")
