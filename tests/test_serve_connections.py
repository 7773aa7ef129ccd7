"""The connection cap from the open-file limit, and accept failures logged once per interval."""

from __future__ import annotations

import json
import logging
import re
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mdvax.errors import ServeError
from mdvax.serve import capacity
from mdvax.serve.app import MdvaxVoila
from mdvax.serve.connections import ConnectionGuard
from mdvax.serve.limits import VisitorLimits
from mdvax.serve.sockets import SOCKETS_PER_KERNEL
from tests.support.serve_options import resolved

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("file_limit", "kernels", "sockets", "expected"),
    [
        (1024, 10, 2, 1024 - 64 - 10 * (32 + 2 * 8)),  # the usual limit: 480
        (256, 3, 2, 256 - 64 - 3 * (32 + 2 * 8)),  # the attack test's server: 48
        (4000, 7, 3, 4000 - 64 - 7 * (32 + 3 * 8)),
        (1_048_576, 12, 2, 4096),  # a high limit: bounded all the same
    ],
)
def test_connection_cap_leaves_room_for_the_kernels(file_limit, kernels, sockets, expected):
    assert capacity.default_max_connections(file_limit, kernels, sockets) == expected


def test_a_file_limit_too_low_for_the_kernels_is_named():
    with pytest.raises(ServeError, match=r"open-file limit \(300\).*12 kernels.*LimitNOFILE"):
        capacity.default_max_connections(300, 12, 2)


def run_under_limit(soft: int, hard: int, code: str) -> str:
    """Run ``code`` in a fresh Python under the open-file limit ``(soft, hard)``; its stdout."""

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, preexec_fn=limit, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_soft_file_limit_is_raised_to_the_hard_limit():
    code = (
        "import resource; from mdvax.serve.capacity import raise_file_limit; "
        "print(raise_file_limit(), *resource.getrlimit(resource.RLIMIT_NOFILE))"
    )
    assert run_under_limit(300, 1337, code).split() == ["1337", "1337", "1337"]


def test_the_server_caps_connections_from_its_limit_unless_told():
    soft = capacity.raise_file_limit()  # what the server does at start
    app = resolved(max_kernels=3, pool_size=1)
    assert app.max_connections == min(4096, soft - 64 - 3 * (32 + SOCKETS_PER_KERNEL * 8))
    assert resolved(max_kernels=3, pool_size=1, traitlets=[
        "--MdvaxVoila.max_connections=37"]).max_connections == 37  # fmt: skip
    with pytest.raises(ServeError, match=r"max connections \(99999999\).*at most"):
        resolved(max_kernels=3, pool_size=1, traitlets=["--MdvaxVoila.max_connections=99999999"])


def test_the_readme_table_names_real_options_and_the_connection_cap():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `MdvaxVoila.")]
    named = {name for row in rows for name in re.findall(r"`MdvaxVoila\.(\w+)`", row)}
    assert "max_connections" in named
    options = set(MdvaxVoila.class_own_traits(config=True)) | set(VisitorLimits.class_traits())
    assert sorted(named - options) == []


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_refusals_are_logged_once_per_interval_with_their_count(caplog):
    clock = FakeClock()
    guard = ConnectionGuard(cap=1, interval=10.0, clock=clock)
    caplog.set_level(logging.WARNING, logger="mdvax.serve.connections")
    refused_replies = []
    for second in range(25):  # 3 refusals a second for 25 s
        clock.now = 1000.0 + second
        for _ in range(3):
            ours, theirs = socket.socketpair()
            guard.refuse(ours)
            refused_replies.append(theirs.recv(200))
            theirs.close()
        guard.report()  # the server's periodic flush
    records = [r for r in caplog.records if r.name == "mdvax.serve.connections"]
    # The first refusal at once; then one line at 10 s and at 20 s with what came meanwhile.
    assert [r.refused_at_cap for r in records] == [1, 30, 30]
    assert guard.refused == 2 + 4 * 3  # since 20 s: logged when the interval is up
    assert all(reply.startswith(b"HTTP/1.1 503 ") for reply in refused_replies)


@pytest.mark.slow
def test_accept_failures_under_descriptor_exhaustion_are_counted_not_tracebacked():
    # A real accept loop under a real EMFILE: 64 descriptors, 150 slow clients.
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.accept_server", "100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=limit,
        cwd=REPO,
    )
    clients = []
    try:
        port = int(server.stdout.readline())
        started = time.monotonic()
        for _ in range(150):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client.send(b"GET / HTTP/1.1\r\n")  # and never the rest
            clients.append(client)
        time.sleep(3.5 - (time.monotonic() - started))
        for client in clients:
            client.close()
        time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as honest:
            honest.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert honest.recv(1000).startswith(b"HTTP/1.1 200 ")
    finally:
        for client in clients:
            client.close()
        server.kill()
        _, stderr = server.communicate(timeout=30)
    lines = stderr.decode().splitlines()
    records = [json.loads(line) for line in lines]  # every line is JSON: no traceback
    failures = [r for r in records if r["message"] == "connections refused or not accepted"]
    assert 1 <= len(failures) <= 6  # at most one a second for ~4 s
    others = [r for r in records if r not in failures and r["logger"] != "tornado.access"]
    assert others == []
    assert sum(r["accept_errors"].get("EMFILE", 0) for r in failures) >= 1


def test_the_shipped_unit_and_image_give_room_for_a_thousand_slow_sockets():
    unit = (REPO / "deploy" / "mdvax-serve@.service").read_text(encoding="utf-8")
    limit = int(re.search(r"^LimitNOFILE=(\d+)$", unit, re.M).group(1))
    kernels = int(re.search(r"--max-kernels (\d+)", unit).group(1))
    assert capacity.default_max_connections(limit, kernels, SOCKETS_PER_KERNEL) >= 1100
    containerfile = (REPO / "deploy" / "container" / "Containerfile").read_text(encoding="utf-8")
    assert "--ulimit nofile=" in containerfile
