"""Everything ``mdvax serve`` assumes about Voila and jupyter_server internals, in one place.

Checked against voila 0.5.13 (jupyter_server 2.21, tornado 6.6). Public hooks are used where
Voila has them: ``VoilaConfiguration.multi_kernel_manager_class`` (our kernel manager, which
Voila wraps with its preheated pool), ``Voila.kernel_websocket_connection_class`` (our message
filter), the kernel model's ``connections`` count. What is not public is named here, and
:func:`problems` checks each assumption; ``tests/test_serve_compat.py`` fails loudly when one
breaks, and ``mdvax serve`` refuses to start.

Upstream bug (voila 0.5.13, ``voila/request_info_handler.py``): ``RequestInfoSocketHandler.on_close``
looks for the closing socket in the class-level ``_waiters`` dict and, when it is not there
(two sockets opened under one kernel id, the first one closed), deletes whichever entry the loop
ended on: the *newest* waiter, a preheated kernel waiting for its visitor's request. That
kernel never gets the request and stays busy forever. ``mdvax.serve.sockets.QuerySocketHandler``
replaces it (see docs/serving.md, "Upstream bug report").
"""

from __future__ import annotations

import inspect

import voila
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from voila import handler as voila_handler
from voila.app import Voila
from voila.exporter import VoilaExporter
from voila.request_info_handler import RequestInfoSocketHandler
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler
from voila.utils import ENV_VARIABLE
from voila.voila_kernel_manager import voila_kernel_manager_factory

from mdvax.errors import ServeError

#: The Voila release these assumptions were checked against.
VOILA_CHECKED = "0.5.13"

__all__ = [
    "VOILA_CHECKED",
    "AsyncMappingKernelManager",
    "RequestInfoSocketHandler",
    "TemplateStaticFileHandler",
    "TornadoVoilaHandler",
    "Voila",
    "VoilaExporter",
    "VoilaKernelWebsocketHandler",
    "ZMQChannelsWebsocketConnection",
    "problems",
    "query_cache",
    "query_waiters",
    "require_compatible",
    "wrap_pool_take",
]


def query_waiters() -> dict:
    """Voila's ``/voila/query`` sockets by kernel id (read by its page handler's ``send_updates``)."""
    return RequestInfoSocketHandler._waiters


def query_cache() -> dict:
    """Requests Voila could not deliver yet, by kernel id (kept until a socket opens)."""
    return RequestInfoSocketHandler._cache


def wrap_pool_take(manager, on_taken) -> None:
    """Call ``on_taken(kernel_id)`` each time Voila hands a preheated kernel to a page request.

    Voila's pool class (made by ``voila_kernel_manager_factory``) has no hook for this; its
    ``get_rendered_notebook`` returns ``(render_task, rendered_cells, kernel_id)``.
    """
    take = getattr(manager, "get_rendered_notebook", None)
    if take is None:  # no preheating: nothing to wrap
        return

    async def get_rendered_notebook(*args, **kwargs):
        result = await take(*args, **kwargs)
        on_taken(result[2])
        return result

    manager.get_rendered_notebook = get_rendered_notebook


def problems() -> list[str]:
    """Broken assumptions about the installed Voila / jupyter_server (empty when all hold)."""
    found = []

    def need(condition: bool, what: str) -> None:
        if not condition:
            found.append(what)

    waiters, cache = (getattr(RequestInfoSocketHandler, n, None) for n in ("_waiters", "_cache"))
    need(isinstance(waiters, dict) and isinstance(cache, dict), "RequestInfoSocketHandler dicts")
    need(
        "RequestInfoSocketHandler.send_updates" in inspect.getsource(voila_handler),
        "Voila's page handler sends the request through RequestInfoSocketHandler.send_updates",
    )
    for name in ("VOILA_PREHEAT", "VOILA_KERNEL_ID", "VOILA_APP_PORT", "QUERY_STRING"):
        need(hasattr(ENV_VARIABLE, name), f"voila.utils.ENV_VARIABLE.{name}")
    pooled = voila_kernel_manager_factory(AsyncMappingKernelManager, True, 1)
    need(
        inspect.iscoroutinefunction(getattr(pooled, "get_rendered_notebook", None)),
        "preheated kernel manager's get_rendered_notebook coroutine",
    )
    need(
        "kernel_id" in inspect.getsource(pooled.get_rendered_notebook).rsplit("return", 1)[-1],
        "get_rendered_notebook returns the kernel id last",
    )
    need(
        "multi_kernel_manager_class" in voila.configuration.VoilaConfiguration.class_traits(),
        "VoilaConfiguration.multi_kernel_manager_class",
    )
    need("kernel_websocket_connection_class" in Voila.class_traits(), "Voila websocket hook")
    need("self.app.listen(" in inspect.getsource(Voila.listen), "Voila.listen uses app.listen")
    need('"connections"' in inspect.getsource(AsyncMappingKernelManager.kernel_model), "model")
    for name in ("handle_incoming_message", "handle_outgoing_message", "get_part"):
        need(hasattr(ZMQChannelsWebsocketConnection, name), f"connection.{name}")
    handlers = inspect.getsource(Voila.init_handlers)
    for cls in (RequestInfoSocketHandler, VoilaKernelWebsocketHandler, TornadoVoilaHandler):
        need(cls.__name__ in handlers, f"Voila routes {cls.__name__}")
    need(r"/voila/templates/(.*)" in handlers, "template static route pattern")
    need(
        "Environment(" in inspect.getsource(VoilaExporter._create_environment),
        "VoilaExporter._create_environment makes the Jinja environment (template_cache)",
    )
    return found


def require_compatible(log=None) -> None:
    """Raise :class:`ServeError` if an assumption broke; warn about another Voila version."""
    broken = problems()
    if broken:
        raise ServeError(
            f"voila {voila.__version__} breaks assumptions of mdvax serve (checked against "
            f"{VOILA_CHECKED}): " + "; ".join(broken)
        )
    if voila.__version__ != VOILA_CHECKED and log is not None:
        log.warning("voila %s, checked against %s", voila.__version__, VOILA_CHECKED)
