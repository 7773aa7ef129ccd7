"""``MdvaxKernelManager`` with real kernels: a visitor's kernel with no page is reclaimed, busy
or not (Jupyter's culler never reclaims a busy kernel)."""

from __future__ import annotations

import asyncio

import pytest

from mdvax.serve.kernels import MdvaxKernelManager
from tests.support import aio

pytestmark = pytest.mark.slow  # real `mdvax serve` servers or kernels


def test_busy_kernel_without_a_page_is_reclaimed_and_pool_kernels_are_not(tmp_path):
    assert aio.run(_scenario(tmp_path)) == "reclaimed"


async def _scenario(tmp_path) -> str:
    manager = MdvaxKernelManager(connect_timeout=3.0, root_dir=str(tmp_path))
    client = None
    try:
        visitor = await manager.start_kernel(kernel_name="python3")
        pooled = await manager.start_kernel(kernel_name="python3")
        manager.take(visitor, "203.0.113.1")
        client = manager.get_kernel(visitor).client()
        client.start_channels()
        await client.wait_for_ready(timeout=120)
        msg_id = client.execute("import time; time.sleep(300)")  # busy, and no page connected
        # The kernel's own word that it is busy with that request (read on this client's iopub:
        # the manager's status watcher may join too late to see it after a slow first start).
        while True:
            msg = await client.get_iopub_msg(timeout=60)
            content, parent = msg["content"], msg["parent_header"]
            if parent.get("msg_id") == msg_id and content.get("execution_state") == "busy":
                break
        manager.page_sent(visitor)  # the connect timeout runs from here
        assert manager.counts() == {"live": 2, "pool_ready": 1, "in_use": 1}
        assert await manager.reclaim() == []  # within its connect timeout
        await asyncio.sleep(3.2)
        assert await manager.reclaim() == [visitor]
        assert visitor not in manager
        assert pooled in manager
        assert manager.counts() == {"live": 1, "pool_ready": 1, "in_use": 0}
        return "reclaimed"
    finally:
        if client is not None:
            client.stop_channels()
        await manager.shutdown_all(now=True)
        manager.context.destroy(linger=0)


def test_kernel_limits_travel_on_the_kernel_command_line():
    from mdvax.serve.kernel import KernelLimits

    limits = KernelLimits(memory_mb=700, niceness=3)  # not the defaults
    argv = ["-f", "conn.json", *limits.argv(), "--HistoryManager.enabled=False"]
    rest = ["-f", "conn.json", "--HistoryManager.enabled=False"]
    assert KernelLimits.from_argv(argv) == (limits, rest)
    assert KernelLimits.from_argv(["-f", "x"]) == (KernelLimits(), ["-f", "x"])
