"""``mdvax serve`` of the one-slider query page, as the hostile-visitor tests start it.

One setup for ``test_serve_refusals``, ``test_serve_hostile`` and ``test_serve_flood_attack``:
a pool of :data:`POOL` kernels, idle visitor kernels culled every second, the server's JSON
log in a file (``server.log``), and optionally an operator's config file (``--config``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.process import ServeProcess

REPO = Path(__file__).resolve().parents[2]
#: The page served: one IntSlider.
QUERY_PAGE = REPO / "tests" / "notebooks" / "query_page.ipynb"
#: Kernels kept started ahead of visitors.
POOL = 2


@contextmanager
def query_page_server(
    directory: Path,
    *options: str,
    max_kernels: int,
    cull_idle_s: int,
    limits: dict | None = None,
    env: dict | None = None,
) -> Iterator[ServeProcess]:
    """The running server, its log in ``directory / "serve.log"`` (also ``server.log``).

    Parameters
    ----------
    directory : Path
        An empty folder for the log (and ``serve.json``, the ``limits`` config file).
    *options : str
        Further ``mdvax serve`` options (``--MdvaxVoila.message_rate=40``...).
    max_kernels, cull_idle_s : int
        ``--max-kernels`` and ``--cull-idle-timeout`` (seconds).
    limits : dict, optional
        Written as the operator's config file and passed with ``--config``.
    env : dict, optional
        Extra environment variables of the server.
    """
    log = directory / "serve.log"
    args = ["--notebook", str(QUERY_PAGE), "--pool-size", str(POOL)]
    args += ["--max-kernels", str(max_kernels), "--cull-idle-timeout", str(cull_idle_s)]
    args += ["--cull-interval", "1"]
    if limits is not None:
        config = directory / "serve.json"
        config.write_text(json.dumps(limits), encoding="utf-8")
        args[:0] = ["--config", str(config)]
    with ServeProcess(*args, *options, env=env, log_path=log) as running:
        running.log = log
        yield running


def wait_idle(server: ServeProcess) -> ServeProcess:
    """``server`` once no visitor kernel is left from an earlier test and the pool is full."""
    server.wait_for(lambda h: h["in_use"] == 0 and h["pool_ready"] >= POOL, timeout=90)
    return server
