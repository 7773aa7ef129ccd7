"""Only live, ready kernels leave Voila's preheated pool.

Voila's pool hands out whatever its start task produced: a kernel whose start failed (the page
request then fails, and the pool is one kernel short for good: Voila refills only after a
successful take), or one whose process died or was restarted meanwhile (the page shows rendered
cells whose widgets no longer exist: no live map, no notice). :func:`install_ready_check` wraps
the pool's take so that each kernel is checked before it is handed out; a failed or dead one is
discarded, the pool refilled, and the next one tried, a few times at most. A visitor who gets no
kernel gets :class:`NoKernelError`, which the page handler turns into its reload notice.

It relies on the return value ``get_rendered_notebook`` documents (``render_task``,
``rendered_cache``, ``kernel_id``), as :func:`mdvax.upstream.voila.wrap_pool_take` does.
"""

from __future__ import annotations

import asyncio
import logging

from mdvax.errors import ServeError

LOG = logging.getLogger("mdvax.serve.pool")

#: Pooled kernels tried for one page request before it gets the reload notice.
ATTEMPTS = 3


class NoKernelError(ServeError):
    """No live kernel could be handed to a page request."""


async def not_ready(manager, kernel_id: str, render_task: asyncio.Task) -> str | None:
    """Why pooled kernel ``kernel_id`` must not be handed out, or ``None``."""
    if kernel_id in manager.restarted:
        return "kernel process died and was restarted (its page state is lost)"
    if await kernel_gone(manager, kernel_id):
        return "kernel process is not alive"
    if render_task.done():
        if render_task.cancelled():
            return "page rendering was cancelled"
        if render_task.exception() is not None:
            return f"page rendering failed: {render_task.exception()!r}"
    return None


async def kernel_gone(manager, kernel_id: str) -> bool:
    """Whether ``kernel_id``'s process ended (shut down, died, or restarted without its page)."""
    if kernel_id not in manager or kernel_id in manager.restarted:
        return True
    return not await manager.get_kernel(kernel_id).is_alive()


async def discard(manager, kernel_id: str, render_task: asyncio.Task) -> None:
    """Stop rendering for ``kernel_id`` and shut it down (it may already be gone)."""
    render_task.cancel()
    try:
        await manager.shutdown_kernel(kernel_id, now=True)
    except Exception as error:  # already gone
        LOG.info(
            "discarded kernel was already gone", extra={"kernel_id": kernel_id, "error": str(error)}
        )


def install_ready_check(manager, attempts: int = ATTEMPTS) -> None:
    """Make ``manager``'s pool hand out only kernels :func:`not_ready` finds nothing against.

    Install it before anything else wraps the take (those then see only good kernels).
    """
    take = getattr(manager, "get_rendered_notebook", None)
    if take is None:  # no preheating
        return

    async def get_rendered_notebook(notebook_name, *args, **kwargs):
        for _ in range(attempts):
            try:
                result = await take(notebook_name, *args, **kwargs)
            except Exception as error:
                if manager.get_pool_size(notebook_name) == 0 and "is empty" in str(error):
                    raise NoKernelError("the kernel pool is empty") from error
                # Voila refills only after a successful take: replace the failed kernel.
                LOG.warning("pooled kernel failed to start, replaced", extra={"error": repr(error)})
                manager.fill_if_needed(delay=0, notebook_name=notebook_name)
                continue
            render_task, _, kernel_id = result
            problem = await not_ready(manager, kernel_id, render_task)
            if problem is None:
                return result
            LOG.warning(
                "pooled kernel not handed out, discarded",
                extra={"kernel_id": kernel_id, "problem": problem},
            )
            await discard(manager, kernel_id, render_task)
        raise NoKernelError(f"no live kernel after {attempts} tries")

    manager.get_rendered_notebook = get_rendered_notebook
