"""Slow sockets past the open-file limit, and pooled kernels that died (issue 22, item 3).

The server starts under an open-file limit of 256 (soft and hard), so a few hundred sockets
exhaust it: more connections than its cap are refused at accept with a 503, the log stays a
few JSON lines, ``/healthz`` keeps answering, and once the sockets close an honest visitor gets
a live page. A pooled kernel killed before a visitor arrives is never handed out.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from mdvax.serve.pool import ATTEMPTS
from mdvax.serve.sockets import SOCKETS_PER_KERNEL
from mdvax.serve.static_view import FAILED_NOTICE
from tests.hostile_client import KERNEL_ID, assert_honest_visitor_served, get
from tests.support.process import ServeProcess

pytestmark = pytest.mark.slow  # real `mdvax serve` servers and kernels

REPO = Path(__file__).resolve().parent.parent
QUERY_PAGE = REPO / "tests" / "notebooks" / "query_page.ipynb"
DYING_PAGE = REPO / "tests" / "notebooks" / "dying_page.ipynb"
FILE_LIMIT = 256
#: More slow sockets than the server has descriptors.
SLOW_SOCKETS = 330
ATTACK_S = 6.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("fdlimit") / "serve.log"
    args = ("--notebook", str(QUERY_PAGE), "--pool-size", "1", "--max-kernels", "3",
            "--cull-idle-timeout", "2", "--cull-interval", "1")  # fmt: skip
    with ServeProcess(*args, log_path=log, file_limit=FILE_LIMIT) as running:
        running.log = log
        yield running


@pytest.fixture
def idle(server):
    """No visitor kernel left, the pooled one ready."""

    def one_pooled(health) -> bool:
        # The kernel files too: a kernel still shutting down is briefly counted as pooled.
        pooled = health["live"] == 1 and health["pool_ready"] == 1
        return pooled and len(server.kernel_files()) == 1

    server.wait_for(one_pooled, timeout=90)
    return server


def health_status(server) -> tuple[int, float]:
    """``/healthz``'s status and how long it took."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(server.url + "healthz", timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def slow_sockets(server, count: int) -> list[socket.socket]:
    """``count`` connections each sending the start of a request line, then nothing."""
    opened = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        client.send(b"GET / HTTP/1.1\r\n")
        opened.append(client)
    return opened


def test_slow_sockets_past_the_file_limit_are_refused_cheaply(idle):
    log_start = idle.log.stat().st_size
    clients = slow_sockets(idle, SLOW_SOCKETS)
    try:
        answers = []
        deadline = time.monotonic() + ATTACK_S
        while time.monotonic() < deadline:
            answers.append(health_status(idle))
            time.sleep(0.3)
        with idle.log.open("rb") as file:
            file.seek(log_start)
            during = file.read()
    finally:
        for client in clients:
            client.close()
    # /healthz answers at once: 200, or the cheap 503 of a server at its connection cap.
    assert {status for status, _ in answers} <= {200, 503}
    assert max(seconds for _, seconds in answers) < 2.0, answers
    # The log: a few JSON lines, the refusals counted in them (no traceback per socket).
    lines = during.decode().splitlines()
    assert len(during) < 20_000, lines[:5]
    assert len(lines) < 40, lines[:5]
    records = [json.loads(line) for line in lines]
    refused = [r for r in records if r["message"] == "connections refused or not accepted"]
    assert 1 <= len(refused) <= 2  # one line per 10 s
    assert refused[0]["refused_at_cap"] >= 1
    # The cap: the limit less the server's 64 and 32 + 8 per websocket for each of 3 kernels.
    assert refused[0]["max_connections"] == FILE_LIMIT - 64 - 3 * (32 + SOCKETS_PER_KERNEL * 8)
    # Once the sockets are gone, an honest visitor gets a live page.
    health = idle.wait_for(lambda h: h["connections"]["open"] < 10, timeout=30)
    assert health["status"] == "ok"
    assert_honest_visitor_served(idle)


def restarted_pid(server, kernel_id: str, old_pid: int) -> int | None:
    """The new process id of ``kernel_id`` once Jupyter's restarter replaced ``old_pid``."""
    pid = server.kernel_files().get(kernel_id, (None,))[0]
    return pid if pid not in (None, old_pid) else None


@pytest.mark.parametrize("restarted", [False, True], ids=["dead", "restarted"])
def test_a_pooled_kernel_that_died_is_not_handed_out(idle, restarted):
    (dead_id, (pid, _)),  = idle.kernel_files().items()  # fmt: skip
    os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(pid).wait(timeout=10)
    if restarted:  # the same kernel id, a fresh process without the page's widgets
        deadline = time.monotonic() + 30
        while restarted_pid(idle, dead_id, pid) is None:
            assert time.monotonic() < deadline, "the kernel was not restarted"
            time.sleep(0.2)
    log_start = idle.log.stat().st_size
    body = assert_honest_visitor_served(idle)
    assert KERNEL_ID.search(body).group(1) != dead_id
    with idle.log.open("rb") as file:
        file.seek(log_start)
        lines = file.read().decode().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    discarded = [r for r in records if r["message"] == "pooled kernel not handed out, discarded"]
    assert [r["kernel_id"] for r in discarded] == [dead_id]
    if restarted:
        assert "restarted" in discarded[0]["problem"]


def test_a_visitor_gets_the_reload_notice_when_no_pooled_kernel_lives(tmp_path):
    # Every kernel of this page ends while its cells run: the pooled one before the visitor
    # comes (discarded), the next ones before or while the page is sent.
    log = tmp_path / "serve.log"
    args = ("--notebook", str(DYING_PAGE), "--pool-size", "1", "--max-kernels", "3")
    with ServeProcess(*args, log_path=log) as server:
        deadline = time.monotonic() + 60
        while "Kernel died" not in log.read_text():
            assert time.monotonic() < deadline, "the pooled kernel did not die"
            time.sleep(0.2)
        started = time.monotonic()
        status, _, body = get(server)
        assert time.monotonic() - started < 60
    assert status == 200  # the page's start (the still picture) went out first
    assert FAILED_NOTICE in body
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    discarded = [r for r in records if r["message"] == "pooled kernel not handed out, discarded"]
    assert 1 <= len(discarded) <= ATTEMPTS
    assert "Traceback" not in body
