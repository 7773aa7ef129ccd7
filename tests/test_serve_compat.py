"""What ``mdvax serve`` assumes about Voila (``mdvax/serve/voila_compat.py``) still holds."""

from __future__ import annotations

import asyncio

import tornado.web
import tornado.websocket
import voila

from mdvax.serve.voila_compat import VOILA_CHECKED, RequestInfoSocketHandler, problems
from tests.support.process import free_port


def test_every_assumption_about_voila_holds():
    assert problems() == [], "mdvax/serve/voila_compat.py must be revised for this Voila"


def test_voila_is_the_version_the_assumptions_were_checked_against():
    # A new Voila may have fixed or moved what voila_compat.py works around: check it, then
    # update VOILA_CHECKED (and the pin in pyproject.toml / environment.yml).
    assert voila.__version__ == VOILA_CHECKED


def test_voilas_own_query_handler_still_drops_another_kernels_socket():
    # The upstream bug QuerySocketHandler works around (docs/serving.md): two sockets under one
    # id, the first closed, and the newest *other* registration is gone. When this fails, Voila
    # fixed it: QuerySocketHandler could go back to Voila's handler.
    waiters = RequestInfoSocketHandler._waiters
    saved = dict(waiters)
    waiters.clear()
    try:
        assert asyncio.run(_close_duplicate_then_list()) == ["made-up-id"]
    finally:
        waiters.clear()
        waiters.update(saved)


async def _close_duplicate_then_list() -> list[str]:
    port = free_port()
    app = tornado.web.Application([(r"/voila/query/(.+)", RequestInfoSocketHandler)])
    server = app.listen(port, "127.0.0.1")
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
