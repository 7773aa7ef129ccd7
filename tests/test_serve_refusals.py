"""The low-severity findings of issue 22, against a real ``mdvax serve`` on loopback.

Each test runs an attack bounded in count and time, checks what the server answered and logged,
and checks that an honest visitor is still served (a complete page whose kernel answers):

- a trusted proxy's request must name its client (``X-Forwarded-For``), else 400;
- a page that leaves (Voila's beacon, or its kernel websocket closed with 1000/1001) frees its
  kernel at once, so reloading twice does not meet "already open"; an abrupt disconnect keeps
  the grace period; nobody else can free it;
- traversal variants of the template static route and ``/logout`` are 404s, and refusals log
  one clean line (no traceback, no ``TemplateNotFound``);
- a foreign ``Host`` (DNS rebinding) is refused with 400, pages and websockets alike.
"""

from __future__ import annotations

import json
import socket
import time
import uuid

import pytest
import websocket

from tests.hostile_client import (
    KERNEL_ID,
    KernelClient,
    assert_honest_visitor_served,
    forwarded,
    get,
    take_kernel,
)
from tests.support.query_page_server import query_page_server, wait_idle

pytestmark = pytest.mark.slow  # real `mdvax serve` servers and kernels

PER_CLIENT = 2
#: Seconds a page that disconnected abruptly keeps its kernel (the culler's idle timeout).
GRACE_S = 8
LIMITS = {
    "MdvaxVoila": {
        "trusted_proxies": ["127.0.0.1"],
        "kernels_per_client": PER_CLIENT,
        "sockets_per_client": 4,
        "connect_timeout": 6,
    }
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("refusals")
    with query_page_server(directory, max_kernels=9, cull_idle_s=GRACE_S, limits=LIMITS) as running:
        yield running


@pytest.fixture
def idle(server):
    """The server with no visitor kernel left from an earlier test, and a full pool."""
    return wait_idle(server)


def log_since(server, offset: int, until=None) -> list[dict]:
    """The server's JSON log records written after ``offset`` bytes (once ``until`` holds)."""
    deadline = time.monotonic() + 5
    while True:
        text = server.log.read_bytes()[offset:].decode("utf-8", "replace")
        records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        if until is None or until(records) or time.monotonic() > deadline:
            return records
        time.sleep(0.1)


def count(records: list[dict], **fields) -> int:
    """Records with all of ``fields``."""
    return sum(all(r.get(k) == v for k, v in fields.items()) for r in records)


def log_size(server) -> int:
    return server.log.stat().st_size


def assert_no_errors(records: list[dict]) -> None:
    """No traceback, no error, no template lookup failure in ``records``."""
    text = json.dumps(records)
    assert "Traceback" not in text
    assert "TemplateNotFound" not in text
    assert "Uncaught exception" not in text
    assert [r["message"][:200] for r in records if r.get("level") == "ERROR"] == []


def handshake(server, kernel_id: str, headers: list[str], host: str | None = None) -> int:
    """Status of a kernel websocket handshake (101: opened, then closed cleanly at once)."""
    try:
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels",
            origin=f"http://{host or f'127.0.0.1:{server.port}'}",
            header=headers,
            host=host,
            timeout=20,
        )
    except websocket.WebSocketBadStatusException as error:
        return error.status_code
    ws.close()
    return 101


# 1. A trusted proxy must say whom it forwards -------------------------------------------------


def test_a_trusted_proxy_without_forwarded_for_is_refused(idle):
    server = idle
    start = log_size(server)
    kernel_id = take_kernel(server, "198.51.100.71")
    began = time.monotonic()
    statuses = [get(server, "/")[0] for _ in range(12)]  # no X-Forwarded-For: whose page?
    assert time.monotonic() - began < 30
    assert statuses == [400] * 12
    status, headers, body = get(server, "/", {"X-Forwarded-For": " "})
    assert status == 400
    assert "X-Forwarded-For required" in body
    assert "Content-Security-Policy" in headers
    assert handshake(server, kernel_id, []) == 400  # the kernel websocket too
    assert server.health()["in_use"] == 1  # no kernel given to a request nobody is named on
    records = log_since(server, start, until=lambda rs: count(rs, status=400) >= 14)
    refusals = [r for r in records if "X-Forwarded-For required" in r.get("message", "")]
    assert len(refusals) == 14
    assert_no_errors(records)
    # The kernels' own connections and the health check are local and name no client.
    assert get(server, "/healthz")[0] == 200
    assert_honest_visitor_served(server, "198.51.100.72")


def test_a_client_cannot_pick_its_identity_behind_a_proxy_that_appends(idle):
    server = idle
    held = []
    # The proxy appends the address it sees; the client wrote the left part ("forged").
    for forged in ("203.0.113.1", "203.0.113.2", "10.0.0.1, 203.0.113.3"):
        status, _, body = get(server, "/", forwarded(f"{forged}, 198.51.100.73"))
        held.append((status, body))
    assert [status for status, _ in held] == [200] * PER_CLIENT + [429]
    # Honest: the proxy's entry names the client, whatever the client wrote.
    assert_honest_visitor_served(server, "198.51.100.74")


# 2. A page that leaves frees its kernel -------------------------------------------------------


def beacon(server, kernel_id: str, address: str, origin: str | None = "") -> int:
    """What Voila's page sends on ``beforeunload``; the status ("": this server's origin)."""
    headers = {**forwarded(address), "Content-Type": "application/x-www-form-urlencoded"}
    if origin is not None:
        headers["Origin"] = origin or f"http://127.0.0.1:{server.port}"
    path = f"/voila/api/shutdown/{kernel_id}"
    return get(server, path, {**headers, "Content-Length": "6"}, "POST", body="_xsrf=")[0]


def load_and_leave(server, address: str, how: int | str | None) -> str:
    """Load the page, connect its kernel, then leave: close code ``how``, the page's beacon
    (``"beacon"``, then the socket drops as a browser's does) or just drop (None)."""
    kernel_id = take_kernel(server, address)
    client = KernelClient(server, kernel_id, address)
    assert client.request("kernel_info_request", {})["content"]["status"] == "ok"
    if how == "beacon":
        assert beacon(server, kernel_id, address) == 204
    if how in (None, "beacon"):
        client.ws.shutdown()  # the connection drops: no close frame
    else:
        client.ws.close(status=how)
    return kernel_id


def test_reloading_twice_gets_a_live_kernel_at_once(idle):
    server = idle
    address = "198.51.100.75"
    began = time.monotonic()
    first = load_and_leave(server, address, "beacon")  # a browser's reload
    second = load_and_leave(server, address, 1001)  # a client saying goodbye
    assert_honest_visitor_served(server, address)  # the third load: a live kernel
    assert time.monotonic() - began < GRACE_S + 20
    server.wait_for(lambda h: h["in_use"] == 0, timeout=20)
    deadline = time.monotonic() + 20
    while {first, second} & set(server.kernel_files()) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert not {first, second} & set(server.kernel_files())  # shut down, not left running


def test_a_leave_beacon_frees_only_the_senders_own_kernel(idle):
    server = idle
    owner = "198.51.100.85"
    kernel_id = take_kernel(server, owner)
    page = KernelClient(server, kernel_id, owner)
    try:
        server.wait_for(lambda h: h["pool_ready"] >= 2 and h["live"] == 3, timeout=60)  # refilled
        pooled = set(server.kernel_files()) - {kernel_id}
        assert len(pooled) == 2
        began = time.monotonic()
        statuses = [beacon(server, kernel_id, "203.0.113.85") for _ in range(10)]  # not the owner
        statuses += [beacon(server, kernel_id, owner, o) for o in ("http://evil.example", None)]
        statuses += [beacon(server, pool_id, owner) for pool_id in pooled]  # Voila's ended them
        statuses += [beacon(server, str(uuid.uuid4()), owner) for _ in range(20)]
        assert time.monotonic() - began < 30
        assert statuses == [204] * 10 + [403, 403] + [204] * (len(pooled) + 20)
        assert page.request("kernel_info_request", {})["content"]["status"] == "ok"
        assert server.health()["in_use"] == 1
        assert pooled <= set(server.kernel_files())  # the pool's kernels live on
    finally:
        page.close()
    assert_honest_visitor_served(server, "198.51.100.86")


def test_the_per_client_cap_holds_against_pages_left_open_or_dropped(idle):
    server = idle
    address = "198.51.100.76"
    load_and_leave(server, address, None)  # dropped: kept for the page to reconnect
    take_kernel(server, address)  # loaded, never connected, never closed
    statuses = [get(server, "/", forwarded(address))[0] for _ in range(6)]
    assert statuses == [429] * 6
    assert server.health()["in_use"] == PER_CLIENT
    # Another client closing one of these kernels' sockets cleanly frees nothing.
    victim = take_kernel(server, "198.51.100.77")
    intruder = KernelClient(server, victim, "203.0.113.77")
    intruder.ws.close(status=1000)
    time.sleep(1)
    owner = KernelClient(server, victim, "198.51.100.77")
    try:
        assert owner.request("kernel_info_request", {})["content"]["status"] == "ok"
    finally:
        owner.close()
    assert_honest_visitor_served(server, "198.51.100.78")


# 3. Traversal variants, /logout, refusals: 404s and one clean log line -------------------------

VARIANTS = [
    "/voila/templates/lab/static/..%2f..%2f..%2fpyproject.toml",
    "/voila/templates/lab/static/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
    "/voila/templates/lab/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/voila/templates/lab/static/%252e%252e%252fpyproject.toml",
    "/voila/templates/lab/static/..%5c..%5cpyproject.toml",
    "/voila/templates/lab/static/index.css%00.js",
    "/voila/templates/lab/static/index.css%00",
    "/voila/templates/lab/static/.%2e/.%2e/x",
    "/voila/templates/lab/static/",
    "/voila/templates/lab/static/%2e",
    "/voila/templates/lab/%2e%2e/static/index.css",
    "/voila/templates/%2e%2e/static/index.css",
    "/voila/templates/lab%2fstatic%2findex.css",
    "/index.css%00.js",
    "/logout",
    "/logout/",
    "/login",
]


def test_traversal_variants_and_logout_are_404_and_log_no_traceback(idle):
    server = idle
    start = log_size(server)
    began = time.monotonic()
    answers = {path: get(server, path) for path in VARIANTS}
    assert time.monotonic() - began < 30
    assert {path: a[0] for path, a in answers.items()} == dict.fromkeys(VARIANTS, 404)
    assert all("[project]" not in a[2] and "Traceback" not in a[2] for a in answers.values())
    records = log_since(server, start, until=lambda rs: count(rs, status=404) >= len(VARIANTS))
    assert_no_errors(records)
    assert count(records, status=404) == len(VARIANTS)
    # Honest: the template's real files are served.
    status, headers, _ = get(server, "/voila/templates/lab/static/index.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert_honest_visitor_served(server, "198.51.100.79")


def test_a_refused_kernel_websocket_logs_one_line(idle):
    server = idle
    address = "198.51.100.80"
    kernel_id = take_kernel(server, address)
    opened = [KernelClient(server, kernel_id, address) for _ in range(2)]  # the kernel's share
    start = log_size(server)
    try:
        statuses = [handshake(server, kernel_id, [f"X-Forwarded-For: {address}"]) for _ in range(8)]
        assert statuses == [429] * 8
        records = log_since(server, start, until=lambda rs: count(rs, status=429) >= 8)
        assert_no_errors(records)
        warnings = [
            r for r in records if r["level"] != "INFO" and r.get("logger") != "tornado.access"
        ]
        assert [r["message"] for r in warnings] == ["kernel websocket refused: too many"] * 8
    finally:
        for client in opened:
            client.close()
    assert_honest_visitor_served(server, "198.51.100.81")


# 4. Host: names the server is known by only -------------------------------------------------


def test_a_foreign_host_is_refused_pages_and_websockets(idle):
    server = idle
    start = log_size(server)
    kernel_id = take_kernel(server, "198.51.100.82")
    address = "198.51.100.83"
    visitor = forwarded(address)
    began = time.monotonic()
    for host in ("evil.example", f"evil.example:{server.port}", "localhost.evil.example", ""):
        for path in ("/", "/healthz", "/voila/static/voila.js", "/logout"):
            status, _, body = get(server, path, {**visitor, "Host": host})
            assert status == 400, (host, path)
            assert "Host" in body
        if host:  # (the websocket client sends its own Host for an empty one)
            assert handshake(server, kernel_id, [f"X-Forwarded-For: {address}"], host) == 400
    assert time.monotonic() - began < 30
    assert server.health()["in_use"] == 1  # no kernel for a refused page
    assert_no_errors(log_since(server, start))
    # Honest: the names of a loopback server, with or without the port.
    for host in ("localhost", f"localhost:{server.port}", f"127.0.0.1:{server.port}", "[::1]"):
        assert get(server, "/healthz", {"Host": host})[0] == 200, host
    status, _, body = get(server, "/", {**visitor, "Host": f"localhost:{server.port}"})
    assert status == 200
    client = KernelClient(server, KERNEL_ID.search(body).group(1), address)
    client.close()
    assert_honest_visitor_served(server, "198.51.100.84")


def test_a_raw_request_without_host_is_refused(idle):
    # HTTP/1.0 allows no Host header: such a request names no host this server serves.
    with socket.create_connection(("127.0.0.1", idle.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400 Host not allowed")
