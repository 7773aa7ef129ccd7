"""Every assumption ``mdvax.upstream`` makes about upstream internals, against what is installed.

The server checks only version ranges at start (:func:`mdvax.upstream.unsupported`); these
tests read the installed sources, so an upgrade of the lock file that breaks an assumption
fails here, and a cosmetic refactor upstream never stops a running deployment.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest
import tornado.httpserver
import tornado.netutil
import tornado.tcpserver
import tornado.testing
import tornado.web
import tornado.websocket
import voila
from jupyter_client.manager import AsyncKernelManager
from nbconvert.exporters.templateexporter import TemplateExporter
from packaging.specifiers import SpecifierSet
from voila import handler as voila_handler
from voila.utils import ENV_VARIABLE
from voila.voila_kernel_manager import voila_kernel_manager_factory

from mdvax.errors import ServeError
from mdvax.upstream import SUPPORTED, unsupported
from mdvax.upstream.voila import (
    TEMPLATE_STATIC_ROUTE,
    AsyncMappingKernelManager,
    RequestInfoSocketHandler,
    TornadoVoilaHandler,
    Voila,
    VoilaExporter,
    VoilaKernelWebsocketHandler,
    ZMQChannelsWebsocketConnection,
    require_compatible,
)
from tests.support import aio


def test_installed_versions_are_within_the_supported_ranges():
    assert unsupported() == []


def test_a_version_outside_its_range_is_named_with_the_range():
    found = unsupported({"voila": SpecifierSet(">=99")})
    assert found == [f"voila {voila.__version__} (supported: >=99)"]
    assert unsupported({"no-such-package-mdvax": SpecifierSet(">=1")}) == [
        "no-such-package-mdvax missing (supported: >=1)"
    ]


def test_the_server_refuses_to_start_outside_the_ranges(monkeypatch):
    monkeypatch.setitem(SUPPORTED, "tornado", SpecifierSet("<1"))
    with pytest.raises(ServeError, match=r"tornado \S+ \(supported: <1\)"):
        require_compatible()


def test_query_registry_is_two_class_level_dicts():
    assert isinstance(RequestInfoSocketHandler._waiters, dict)
    assert isinstance(RequestInfoSocketHandler._cache, dict)
    # Voila's page handler reads them through send_updates.
    assert "RequestInfoSocketHandler.send_updates" in inspect.getsource(voila_handler)


def test_kernel_environment_variables_voila_sets():
    for name in ("VOILA_PREHEAT", "VOILA_KERNEL_ID", "VOILA_APP_PORT", "QUERY_STRING"):
        assert hasattr(ENV_VARIABLE, name), name


def test_pool_take_returns_the_kernel_id_last():
    pooled = voila_kernel_manager_factory(AsyncMappingKernelManager, True, 1)
    take = pooled.get_rendered_notebook
    assert inspect.iscoroutinefunction(take)
    assert "kernel_id" in inspect.getsource(take).rsplit("return", 1)[-1]


def test_public_hooks_mdvax_uses_exist():
    assert "multi_kernel_manager_class" in voila.configuration.VoilaConfiguration.class_traits()
    assert "kernel_websocket_connection_class" in Voila.class_traits()
    assert '"connections"' in inspect.getsource(AsyncMappingKernelManager.kernel_model)
    for name in ("handle_incoming_message", "handle_outgoing_message", "get_part"):
        assert hasattr(ZMQChannelsWebsocketConnection, name), name


def test_voila_routes_the_handlers_mdvax_replaces():
    handlers = inspect.getsource(Voila.init_handlers)
    for cls in (RequestInfoSocketHandler, VoilaKernelWebsocketHandler, TornadoVoilaHandler):
        assert cls.__name__ in handlers
    assert TEMPLATE_STATIC_ROUTE in handlers


def test_voila_listens_through_the_tornado_application():
    assert "self.app.listen(" in inspect.getsource(Voila.listen)


def test_tcp_servers_register_accept_handlers_as_accept_with_does():
    # mdvax.upstream.voila.accept_with repeats TCPServer.add_sockets with its own accept loop.
    source = inspect.getsource(tornado.tcpserver.TCPServer.add_sockets)
    assert "self._sockets[sock.fileno()] = sock" in source
    assert "self._handlers[sock.fileno()] = add_accept_handler(" in source
    assert "self._handle_connection" in source
    # Tornado's own loop still lets accept()'s EMFILE escape (mdvax.serve.connections).
    accept = inspect.getsource(tornado.netutil.add_accept_handler)
    assert "EMFILE" not in accept
    assert "except OSError" not in accept


def test_exporters_make_their_jinja_environment_in_one_method():
    assert "Environment(" in inspect.getsource(TemplateExporter._create_environment)
    assert issubclass(VoilaExporter, TemplateExporter)


def test_shutdown_interrupts_through_the_private_coroutine():
    # mdvax.upstream.kernels overrides it; if shutdown stopped calling it, the override is moot.
    source = inspect.getsource(AsyncKernelManager._async_shutdown_kernel)
    assert "self._async_interrupt_kernel()" in source


def test_voilas_own_query_handler_still_drops_another_kernels_socket():
    # The upstream bug QuerySocketHandler works around (docs/serving.md): two sockets under one
    # id, the first closed, and the newest *other* registration is gone. When this fails, Voila
    # fixed it: QuerySocketHandler could go back to Voila's handler.
    waiters = RequestInfoSocketHandler._waiters
    saved = dict(waiters)
    waiters.clear()
    try:
        assert aio.run(_close_duplicate_then_list()) == ["made-up-id"]
    finally:
        waiters.clear()
        waiters.update(saved)


async def _close_duplicate_then_list() -> list[str]:
    sock, port = tornado.testing.bind_unused_port()
    app = tornado.web.Application([(r"/voila/query/(.+)", RequestInfoSocketHandler)])
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets([sock])
    url = f"ws://127.0.0.1:{port}/voila/query/"
    try:
        # Two sockets under a made-up id, then a preheated kernel starts waiting for its
        # visitor (the newest registration); the first socket closes.
        ids = ("made-up-id", "made-up-id", "waiting-kernel")
        sockets = [await tornado.websocket.websocket_connect(url + i) for i in ids]
        await _until(lambda: len(RequestInfoSocketHandler._waiters) == 2)
        sockets[0].close()
        await _until(lambda: "waiting-kernel" not in RequestInfoSocketHandler._waiters, 5)
        remaining = sorted(RequestInfoSocketHandler._waiters)
        # Closing the others would hit Voila's second bug (UnboundLocalError once the dict is
        # empty): give each of their on_close() a stand-in entry to delete.
        RequestInfoSocketHandler._waiters.update({f"stand-in-{i}": None for i in range(3)})
        for socket in sockets[1:]:
            socket.close()
        await _until(lambda: len(RequestInfoSocketHandler._waiters) == 2)
        return remaining
    finally:
        server.stop()


async def _until(condition, seconds: float = 5) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
