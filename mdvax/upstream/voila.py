"""Everything ``mdvax serve`` assumes about Voila, jupyter_server, nbconvert and Tornado internals.

Public hooks are used where they exist: ``VoilaConfiguration.multi_kernel_manager_class`` (our
kernel manager, which Voila wraps with its preheated pool), ``Voila.kernel_websocket_connection_class``
(our message filter), the kernel model's ``connections`` count, ``Application.listen``'s server
options, ``StaticFileHandler``'s documented overrides. Each function below wraps one private
name; its docstring names the upstream issue or the proposal (``docs/serving.md``, "Upstream
proposals") that would make it public. ``tests/test_upstream.py`` checks every assumption against
the installed versions; :func:`require_compatible` only checks the version ranges at start.

Upstream bug (voila 0.5.13, ``voila/request_info_handler.py``): ``RequestInfoSocketHandler.on_close``
looks for the closing socket in the class-level ``_waiters`` dict and, when it is not there
(two sockets opened under one kernel id, the first one closed), deletes whichever entry the loop
ended on: the *newest* waiter, a preheated kernel waiting for its visitor's request. That
kernel never gets the request and stays busy forever. ``mdvax.serve.sockets.QuerySocketHandler``
replaces it (see docs/serving.md, "Upstream proposals").
"""

from __future__ import annotations

import voila
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.httpserver import HTTPServer
from voila.app import Voila
from voila.exporter import VoilaExporter
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from mdvax.errors import ServeError
from mdvax.upstream import unsupported

__all__ = [
    "TEMPLATE_STATIC_ROUTE",
    "AsyncMappingKernelManager",
    "RequestInfoSocketHandler",
    "TemplateStaticFileHandler",
    "TornadoVoilaHandler",
    "Voila",
    "VoilaExporter",
    "VoilaKernelWebsocketHandler",
    "VoilaShutdownKernelHandler",
    "ZMQChannelsWebsocketConnection",
    "accept_with",
    "listen_with_options",
    "query_cache",
    "query_waiters",
    "require_compatible",
    "restrict_template_route",
    "share_jinja_bytecode",
    "wrap_pool_take",
]

#: Voila's route for template static files (``Voila.init_handlers``).
TEMPLATE_STATIC_ROUTE = "/voila/templates/(.*)"


def query_waiters() -> dict:
    """Voila's ``/voila/query`` sockets by kernel id (read by its page handler's ``send_updates``).

    Private: ``RequestInfoSocketHandler._waiters``. Proposal 1 (a fix of ``on_close``) would let
    mdvax drop its replacement handler and this accessor with it.
    """
    return RequestInfoSocketHandler._waiters


def query_cache() -> dict:
    """Requests Voila could not deliver yet, by kernel id (kept until a socket opens).

    Private: ``RequestInfoSocketHandler._cache`` (see :func:`query_waiters`).
    """
    return RequestInfoSocketHandler._cache


def wrap_pool_take(manager, on_taken) -> None:
    """Call ``on_taken(kernel_id)`` each time Voila hands a preheated kernel to a page request.

    Voila's pool class (made by ``voila_kernel_manager_factory``, voila-dashboards/voila#936) has
    no hook for this; its ``get_rendered_notebook`` returns ``(render_task, rendered_cells,
    kernel_id)``. Proposal 2: a ``kernel_taken`` callback trait on the pool.
    """
    take = getattr(manager, "get_rendered_notebook", None)
    if take is None:  # no preheating: nothing to wrap
        return

    async def get_rendered_notebook(*args, **kwargs):
        result = await take(*args, **kwargs)
        on_taken(result[2])
        return result

    manager.get_rendered_notebook = get_rendered_notebook


def share_jinja_bytecode(cache, exporter_class=VoilaExporter) -> None:
    """Give every Jinja environment ``exporter_class`` makes the bytecode cache ``cache`` (once).

    Private: nbconvert's ``TemplateExporter._create_environment``, the only place an exporter's
    environment is made. Proposal 3: a ``jinja_bytecode_cache`` trait on ``TemplateExporter``.
    """
    create = exporter_class._create_environment
    if getattr(create, "mdvax_shared", None) is cache:
        return

    def _create_environment(self):
        environment = create(self)
        environment.bytecode_cache = cache
        return environment

    _create_environment.mdvax_shared = cache
    exporter_class._create_environment = _create_environment


def restrict_template_route(pattern: str, route: str) -> str:
    """Voila's template static ``pattern`` with its catch-all group replaced by ``route``.

    Voila's ``TemplateStaticFileHandler`` asserts on the shape ``<template>/static/<file>``, so
    ``../x`` or a NUL byte gives a 500. Proposal 4: answer 404 for such paths upstream.
    """
    return pattern.replace(TEMPLATE_STATIC_ROUTE, route)


def listen_with_options(app: Voila, server_class=HTTPServer, **server_options) -> None:
    """Make ``app``'s next ``listen()`` serve with ``server_class(tornado_app, **server_options)``.

    ``Voila.listen`` calls ``self.app.listen(port, ip)`` without server options (body size,
    header size, timeouts) and Tornado's ``Application.listen`` always makes a plain
    ``HTTPServer``. Proposal 5: an ``http_server_options`` trait, as jupyter_server's
    ``ServerApp`` has ``max_body_size`` and ``max_buffer_size``.
    """
    tornado_app = app.app

    def listen(port, address=None, **kwargs):
        server = server_class(tornado_app, **server_options)
        server.listen(port, address, **kwargs)
        return server

    tornado_app.listen = listen


def accept_with(server: HTTPServer, sockets, add_accept_handler) -> None:
    """Make ``server`` accept on ``sockets`` through ``add_accept_handler(sock, callback)``.

    What ``TCPServer.add_sockets`` does with ``tornado.netutil.add_accept_handler``, whose loop
    lets ``accept()``'s ``EMFILE`` escape on every readiness event (a traceback each, the loop
    spinning). Private: ``TCPServer._sockets``, ``._handlers``, ``._handle_connection``.
    Proposal 8: pause accepting on ``EMFILE``/``ENFILE`` upstream, or an ``accept_handler``
    hook on ``TCPServer``.
    """
    for sock in sockets:
        server._sockets[sock.fileno()] = sock
        server._handlers[sock.fileno()] = add_accept_handler(sock, server._handle_connection)


def require_compatible(log=None) -> None:
    """Raise :class:`ServeError` when an upstream package is outside the supported range.

    Whether each private assumption holds is the tests' job (``tests/test_upstream.py``); a
    version inside the range is one the suite has run against, or a patch release of it.
    """
    outside = unsupported()
    if outside:
        raise ServeError(
            "mdvax serve was tested with other versions of: "
            + "; ".join(outside)
            + ". Install the locked versions (see README, 'Upgrading the stack')."
        )
    if log is not None:
        log.debug("voila %s within the supported range", voila.__version__)
