"""The real ``mdvax serve`` application served in-process on loopback, without kernels.

For the fast tier: :func:`in_process` builds the application as ``MdvaxVoila.start`` and
``listen`` do (Voila's settings and handlers with ours swapped in, the output transforms), on a
Tornado server bound to an unused port of the running event loop. Nothing starts a kernel:
use ``pool_size=0`` and stay off admitted page requests (a refused one never needs a kernel).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import nbformat
import tornado.web
from tornado.httpclient import AsyncHTTPClient, HTTPResponse
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port

from tests.support.serve_options import resolved


def bare_notebook(folder: Path) -> Path:
    """A one-cell notebook (not the dashboard: no still pictures, no data to load)."""
    path = folder / "page.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("A page.")])
    nbformat.write(notebook, path)
    return path


@contextlib.asynccontextmanager
async def in_process(folder: Path, **options) -> AsyncIterator[tuple[object, str]]:
    """The app of :func:`resolved` ``(**options)`` serving on loopback: ``(app, base URL)``.

    Call inside a running event loop (``asyncio.run``). ``folder`` holds its connection files.
    """
    from mdvax.serve.app import TRANSFORMS
    from mdvax.serve.headers import SecurityHeaders

    trusted = SecurityHeaders.trusted  # set process-wide by the app: put back afterwards
    options.setdefault("fork_kernels", False)  # forking would start the template kernel
    app = resolved(**options)
    app.connection_dir = str(folder)
    app.app = tornado.web.Application(**app.init_settings())
    app.kernel_manager.start_kernel = _no_kernels  # an admitted page request fails at once
    app.app.settings.update(app.tornado_settings)
    app.app.add_handlers(".*$", app.init_handlers())
    for transform in TRANSFORMS:
        app.app.add_transform(transform)
    sock, port = bind_unused_port()
    server = HTTPServer(app.app)
    server.add_sockets([sock])
    try:
        yield app, f"http://127.0.0.1:{port}{app.base_url}"
    finally:
        server.stop()
        await server.close_all_connections()
        app.kernel_manager.context.destroy(linger=0)
        SecurityHeaders.trusted = trusted


def bare_server(folder: Path, max_kernels: int, *traitlets: str):
    """:func:`in_process` serving :func:`bare_notebook` with no kernel pool.

    The notebook is written to ``folder``, the connection files go to ``folder / "connections"``;
    ``traitlets``: further options (``--MdvaxVoila.page_rate=3``...).
    """
    (folder / "connections").mkdir()
    return in_process(
        folder / "connections",
        notebook=bare_notebook(folder),
        max_kernels=max_kernels,
        pool_size=0,
        traitlets=list(traitlets),
    )


async def _no_kernels(*args, **kwargs):
    raise RuntimeError("in-process server tests start no kernels (refuse the request instead)")


async def fetch(url: str, **kwargs) -> HTTPResponse:
    """GET ``url`` (any status: no exception for 4xx/5xx)."""
    return await AsyncHTTPClient().fetch(url, raise_error=False, **kwargs)
