"""Run a coroutine to completion from a synchronous test, whatever loop the thread has.

The session's Chromium (Playwright's sync API) keeps an asyncio loop running in the main thread
while it is open, so ``asyncio.run()`` there fails with "cannot be called from a running event
loop". :func:`run` gives the coroutine a fresh loop in a thread of its own instead; tests call it,
never ``asyncio.run`` (``tests/test_tiers.py`` checks).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T], timeout: float = 300) -> T:
    """``asyncio.run(coroutine)``; in a new thread when this one has a running loop.

    Returns its result, or re-raises its exception.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop running here: the plain way, in this thread
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-asyncio") as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=timeout)
