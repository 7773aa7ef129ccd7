"""``MdvaxKernelManager`` with real kernels: a visitor's kernel with no page is reclaimed, busy
or not (Jupyter's culler never reclaims a busy kernel)."""

from __future__ import annotations

import asyncio

from mdvax.serve.kernels import MdvaxKernelManager


def test_busy_kernel_without_a_page_is_reclaimed_and_pool_kernels_are_not(tmp_path):
    assert asyncio.run(_scenario(tmp_path)) == "reclaimed"


async def _scenario(tmp_path) -> str:
    manager = MdvaxKernelManager(connect_timeout=3.0, root_dir=str(tmp_path))
    client = None
    try:
        visitor = await manager.start_kernel(kernel_name="python3")
        pooled = await manager.start_kernel(kernel_name="python3")
        manager.take(visitor, "203.0.113.1")
        client = manager.get_kernel(visitor).client()
        client.start_channels()
        # Wait until the manager follows the kernel's status (its iopub watcher may connect
        # after a slow first start): the busy state of the request below must not be missed.
        await client.wait_for_ready(timeout=120)
        for _ in range(240):
            if manager.get_kernel(visitor).execution_state != "starting":
                break
            client.kernel_info()  # answered with a busy/idle status pair on iopub
            await asyncio.sleep(0.5)
        client.execute("import time; time.sleep(300)")  # busy, and no page connected
        # A kernel starting on a loaded machine may take many seconds to report busy.
        for _ in range(1200):
            if manager.get_kernel(visitor).execution_state == "busy":
                break
            await asyncio.sleep(0.1)
        assert manager.get_kernel(visitor).execution_state == "busy"
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
