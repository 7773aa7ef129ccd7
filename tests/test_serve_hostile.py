"""One hostile client must not take ``mdvax serve`` down (issue 15), without a browser.

Each test runs an attack against a real server on loopback, bounded in count and time, checks
what the server refused, and checks that an honest visitor is still served: a complete page
whose kernel answers (``assert_honest_visitor_served``). The server trusts 127.0.0.1 as its
proxy, so each simulated client is named by ``X-Forwarded-For``, as behind nginx.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from pathlib import Path

import psutil
import pytest
import websocket

from mdvax.config import MAX_UPLOAD_BYTES
from mdvax.query_token import query_token
from mdvax.serve.app import MAX_BODY_BYTES, MAX_MESSAGE_BYTES
from tests.hostile_client import (
    KERNEL_ID,
    KernelClient,
    assert_honest_visitor_served,
    forwarded,
    get,
    take_kernel,
)
from tests.support.query_page_server import REPO, query_page_server, wait_idle

pytestmark = pytest.mark.slow  # real `mdvax serve` servers or kernels

TOKEN = "health-token-for-tests"
#: The operator's config file of this server (``mdvax serve --config``).
LIMITS = {
    "MdvaxVoila": {
        "trusted_proxies": ["127.0.0.1"],
        "kernels_per_client": 2,
        "sockets_per_client": 3,
        "connect_timeout": 4,
        "request_timeout": 3,
    }
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hostile")
    env = {"MDVAX_SERVE_HEALTH_TOKEN": TOKEN}  # a secret: from the environment
    with query_page_server(
        directory, max_kernels=7, cull_idle_s=4, limits=LIMITS, env=env
    ) as running:
        yield running


@pytest.fixture
def idle(server):
    """The server with no visitor kernel left from an earlier test, and a full pool."""
    return wait_idle(server)


def log_records(server) -> list[dict]:
    lines = server.log.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def kernel_files(server) -> dict[str, Path]:
    """Connection files of the server's kernels by kernel id (:meth:`ServeProcess.kernel_files`)."""
    return {kernel_id: path for kernel_id, (_, path) in server.kernel_files().items()}


def kernel_ids(server) -> set[str]:
    return set(kernel_files(server))


def kernel_token(server, kernel_id: str) -> list[str]:
    """The header only the kernel itself can make (its key is in its connection file)."""
    key = json.loads(kernel_files(server)[kernel_id].read_text())["key"].encode()
    return [f"Authorization: Kernel {query_token(key, kernel_id)}"]


def query_socket(server, kernel_id: str, headers: list[str] | None = None, origin=None):
    return websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/voila/query/{kernel_id}",
        header=headers or [],
        origin=origin,
        timeout=10,
    )


def handshake_status(server, kernel_id: str, **kwargs) -> int:
    try:
        query_socket(server, kernel_id, **kwargs).close()
    except websocket.WebSocketBadStatusException as error:
        return error.status_code
    return 101


# 1. /voila/query/<id> ------------------------------------------------------------------------


def test_query_socket_cannot_be_used_to_lock_visitors_out(idle):
    server = idle
    assert len(kernel_ids(server)) == 2
    taken = set()
    for round_ in range(10):
        # The attack: two sockets under one made-up id, close the first, while visitors come.
        made_up = str(uuid.uuid4())
        assert handshake_status(server, made_up) == 403
        assert handshake_status(server, made_up) == 403
        # A pooled kernel's id (which a visitor cannot learn) is not enough: only the kernel
        # can make its token. With it, the kernel already holds the one socket per id (409),
        # except in the moment it reconnects (101, then it gets 409 itself: both 1 socket).
        for kernel_id in kernel_ids(server) - taken:
            assert handshake_status(server, kernel_id) == 403
            token = kernel_token(server, kernel_id)
            for _ in range(20):  # a kernel being restocked is not live until it started
                status = handshake_status(server, kernel_id, headers=token)
                if status != 403:
                    break
                time.sleep(0.5)
            assert status in (101, 409)
        # Through the proxy, no id at all is accepted.
        assert handshake_status(server, made_up, headers=["X-Forwarded-For: 10.9.9.9"]) == 403
        if round_ % 3 == 0:
            query = f"?date=2021-03-{10 + round_}&round={round_}"
            body = assert_honest_visitor_served(server, f"198.51.100.{round_}", query)
            assert f"query=date=2021-03-{10 + round_}&amp;round={round_}" in body
            taken.add(KERNEL_ID.search(body).group(1))
    health = server.health()
    assert health["in_use"] <= 4  # the four honest visitors at most, never stuck
    # A visitor cannot re-open the query socket of its own kernel once its request arrived.
    kernel_id = take_kernel(server, "198.51.100.50")
    assert handshake_status(server, kernel_id) == 403
    server.wait_for(lambda h: h["in_use"] == 0, timeout=60)  # nobody connected: reclaimed


def test_kernel_without_its_request_falls_back_to_the_defaults(idle, monkeypatch):
    # query_string() as a kernel runs it, against the real server, for an id it refuses: the
    # request is lost, so the page opens on the defaults instead of waiting forever.
    from mdvax.dashboard.state import query_string

    for name, value in {
        "VOILA_PREHEAT": "True",
        "VOILA_KERNEL_ID": str(uuid.uuid4()),
        "VOILA_APP_PORT": str(idle.port),
        "QUERY_STRING": "",
    }.items():
        monkeypatch.setenv(name, value)
    start = time.monotonic()
    assert query_string(timeout=5, poll=2) == ""
    assert time.monotonic() - start < 10
    assert_honest_visitor_served(idle, "198.51.100.60")


# 2. websocket flood ---------------------------------------------------------------------------


def test_websocket_flood_is_refused_per_kernel_and_per_client(idle):
    server = idle
    kernel_id = take_kernel(server, "203.0.113.2")
    opened, refused = [], []
    for _ in range(40):
        try:
            opened.append(KernelClient(server, kernel_id, "203.0.113.2", timeout=20))
        except websocket.WebSocketBadStatusException as error:
            refused.append(error.status_code)
    try:
        assert len(opened) == 2  # a page needs one, two while it reconnects
        assert set(refused) == {429}
        assert len(refused) == 38
        # A second kernel of the same client: the client's third socket is its last.
        other = take_kernel(server, "203.0.113.2")
        opened.append(KernelClient(server, other, "203.0.113.2"))
        with pytest.raises(websocket.WebSocketBadStatusException, match="429"):
            KernelClient(server, other, "203.0.113.2")
        assert opened[0].request("kernel_info_request", {})["content"]["status"] == "ok"
        status, _, body = get(server, "/healthz")
        assert status == 200
        assert json.loads(body)["status"] == "ok"
        assert_honest_visitor_served(server, "198.51.100.2")
    finally:
        for client in opened:
            client.close()


def test_health_is_unhealthy_when_zmq_sockets_run_out():
    import zmq

    from mdvax.serve.health import kernel_problem

    class Manager:
        context = zmq.Context()
        start_errors = 0

    Manager.context.set(zmq.MAX_SOCKETS, 1)
    first = Manager.context.socket(zmq.DEALER)
    try:
        assert "cannot open ZMQ sockets" in kernel_problem(Manager)
    finally:
        first.close(linger=0)
        Manager.context.term()
    healthy = type("Healthy", (), {"context": zmq.Context(), "start_errors": 0})
    assert kernel_problem(healthy) is None
    healthy.start_errors = 2
    assert "2 kernel start(s) failed" in kernel_problem(healthy)
    healthy.context.term()


# 3. widgets created from the browser --------------------------------------------------------


def test_browser_cannot_create_widgets(idle):
    server = idle
    kernel_id = take_kernel(server, "203.0.113.3")
    client = KernelClient(server, kernel_id, "203.0.113.3")
    try:
        before = client.widget_comms()
        big = "x" * (1024 * 1024)
        for n in range(20):
            state = {
                "_model_name": "TextModel",
                "_model_module": "@jupyter-widgets/controls",
                "_model_module_version": "2.0.0",
                "_view_name": "TextView",
                "value": big + str(n),
            }
            client.send(
                "comm_open",
                {
                    "comm_id": uuid.uuid4().hex,
                    "target_name": "jupyter.widget",
                    "data": {"state": state, "buffer_paths": []},
                },
            )
        after = client.widget_comms()
        assert after.keys() == before.keys()  # not one widget created
    finally:
        client.close()
    refused = [
        r for r in log_records(server) if r["message"] == "comm_open from the browser refused"
    ]
    assert len(refused) >= 20
    assert_honest_visitor_served(server, "198.51.100.3")


# 4. kernel slots taken with plain GETs ---------------------------------------------------------


def test_plain_gets_take_two_slots_per_client_reclaimed_within_seconds(idle):
    server = idle
    statuses = [get(server, "/", forwarded("203.0.113.4"))[0] for _ in range(10)]
    assert statuses[:2] == [200, 200]
    assert set(statuses[2:]) == {429}
    status, headers, body = get(server, "/", forwarded("203.0.113.4"))
    assert status == 429
    assert headers["Retry-After"] == "10"
    assert "You already have the dashboard open" in body
    assert server.health()["in_use"] == 2
    assert_honest_visitor_served(server, "198.51.100.4")
    # The two pages never connected: their kernels go within the connect timeout (4 s here).
    start = time.monotonic()
    server.wait_for(lambda h: h["in_use"] <= 1, timeout=30)
    assert time.monotonic() - start < 15
    assert get(server, "/", forwarded("203.0.113.4"))[0] == 200


def test_health_details_only_locally_or_with_the_token(idle):
    local = json.loads(get(idle, "/healthz")[2])
    assert {"live", "pool_ready", "in_use", "max_kernels"} <= local.keys()
    remote = get(idle, "/healthz", forwarded("203.0.113.5"))
    assert remote[0] == 200
    assert json.loads(remote[2]) == {"status": "ok"}
    wrong = get(idle, "/healthz", {**forwarded("203.0.113.5"), "Authorization": "Bearer no"})
    assert json.loads(wrong[2]) == {"status": "ok"}
    token = {**forwarded("203.0.113.5"), "Authorization": f"Bearer {TOKEN}"}
    assert json.loads(get(idle, "/healthz", token)[2])["max_kernels"] == 7
    assert_honest_visitor_served(idle, "198.51.100.5")


# 5. tracebacks and printed output -------------------------------------------------------------


def test_kernel_errors_and_output_stay_on_the_server(idle):
    server = idle
    kernel_id = take_kernel(server, "203.0.113.6")
    client = KernelClient(server, kernel_id, "203.0.113.6")
    try:
        comms = list(client.widget_comms())
        for comm_id in [*comms, uuid.uuid4().hex]:  # the last one: "No such comm" (stream)
            for value in ("not a number", -1e309, {"__class__": 1}, [None] * 50):
                client.send(
                    "comm_msg",
                    {
                        "comm_id": comm_id,
                        "data": {
                            "method": "update",
                            "state": {"value": value, "max": value},
                            "buffer_paths": [],
                        },
                    },
                )
        received = client.messages(4)
        assert client.request("kernel_info_request", {})["content"]["status"] == "ok"
    finally:
        client.close()
    types = {m.get("msg_type") for m in received}
    assert not types & {"error", "stream"}, types
    text = json.dumps(received)
    assert "Traceback" not in text
    assert str(REPO) not in text
    withheld = [r for r in log_records(server) if r["message"].startswith("kernel output withheld")]
    assert any("No such comm" in r["text"] for r in withheld)
    assert_honest_visitor_served(server, "198.51.100.6")


# 6. message size ------------------------------------------------------------------------------


def send_then_read_until_closed(client, message: str) -> None:
    client.ws.send(message)
    client.ws.settimeout(20)
    while True:
        client.ws.recv()


def test_websocket_messages_are_capped_just_above_the_upload_limit(idle):
    server = idle
    assert MAX_UPLOAD_BYTES < MAX_MESSAGE_BYTES <= MAX_UPLOAD_BYTES + 512 * 1024
    kernel_id = take_kernel(server, "203.0.113.7")
    client = KernelClient(server, kernel_id, "203.0.113.7")
    try:
        # An upload-sized message passes (the comm is unknown: the kernel just ignores it).
        client.send("comm_msg", {"comm_id": "x", "data": {"blob": "y" * MAX_UPLOAD_BYTES}})
        assert client.request("kernel_info_request", {})["content"]["status"] == "ok"
        # One byte more: the server closes the connection (code 1009, "message too big")
        # without reading it; the page says the file was too big (kernel_watch.js).
        with pytest.raises((ConnectionError, websocket.WebSocketConnectionClosedException)):
            send_then_read_until_closed(client, "z" * (MAX_MESSAGE_BYTES + 1))
    finally:
        client.close()
    assert_honest_visitor_served(server, "198.51.100.7")


# 7. request bodies ------------------------------------------------------------------------------


def test_request_bodies_are_refused_unread(idle):
    server = idle
    rss = psutil.Process(server.process.pid).memory_info().rss
    for _ in range(4):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 99000000\r\n\r\n")
            try:
                for _ in range(64):  # 4 MiB at most, then the server must have given up
                    sock.sendall(b"a" * 65536)
            except OSError:
                pass
            answer = sock.recv(200)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer
    small = get(server, "/healthz", method="POST", headers={"Content-Length": "0"})[0]
    assert small == 405
    status, _, _ = get(server, "/healthz", {"Content-Type": "text/plain"}, method="PUT")
    assert status == 405
    assert MAX_BODY_BYTES <= 16 * 1024
    grown = psutil.Process(server.process.pid).memory_info().rss - rss
    assert grown < 30 * 2**20, grown
    assert_honest_visitor_served(server, "198.51.100.8")


# 8. headers -------------------------------------------------------------------------------------


def assert_security_headers(headers: dict) -> None:
    assert "Server" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "http" not in csp
    assert "*" not in csp


def test_every_response_carries_the_security_headers(idle):
    server = idle
    status, headers, body = get(server, "/", forwarded("203.0.113.8"))
    assert status == 200
    assert_security_headers(headers)
    nonce = headers["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    tags = [t for t in body.split("<script")[1:]]
    assert tags
    assert [t[:60] for t in tags if not t.startswith(f' nonce="{nonce}"')] == []
    assert "SameSite=Lax" in headers["Set-Cookie"]
    assert "Secure" not in headers["Set-Cookie"]
    https = {**forwarded("203.0.113.9"), "X-Forwarded-Proto": "https"}
    secure = get(server, "/", https)[1]
    assert "; Secure" in secure["Set-Cookie"]
    assert (
        get(server, "/", forwarded("203.0.113.8"))[1]["Content-Security-Policy"]
        != headers["Content-Security-Policy"]
    )  # a fresh nonce per page
    for path in ("/healthz", "/nonexistent", "/api/kernels"):
        answer = get(server, path)[1]
        assert_security_headers(answer)
        assert "SameSite=Lax" in answer.get("Set-Cookie", "SameSite=Lax")  # _xsrf on errors
    # Scripts and stylesheets: no document policies (browsers ignore them there), nosniff kept.
    script = get(server, "/voila/static/voila.js")[1]
    assert "Server" not in script
    assert script["X-Content-Type-Options"] == "nosniff"
    assert script["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy" not in script
    # The websocket upgrade too (a fresh page: the first one's kernel may be reclaimed by now).
    kernel_id = take_kernel(server, "203.0.113.10")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            f"GET /api/kernels/{kernel_id}/channels HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Forwarded-For: 203.0.113.10\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 16384:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
        head = head.decode()
    assert head.startswith("HTTP/1.1 101")
    assert "X-Content-Type-Options: nosniff" in head
    assert "\r\nServer:" not in head
    assert_honest_visitor_served(server, "198.51.100.9")


# 9. slow clients ---------------------------------------------------------------------------------


def test_slow_headers_and_idle_connections_are_closed(idle):
    server = idle
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    idle_conn = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    start = time.monotonic()
    slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    closed_after = None
    try:
        for _ in range(40):  # one header byte every 0.25 s
            slow.sendall(b"X")
            time.sleep(0.25)
    except OSError:
        closed_after = time.monotonic() - start
    else:
        slow.settimeout(5)
        if slow.recv(100) == b"":
            closed_after = time.monotonic() - start
    assert closed_after is not None
    assert closed_after < 8, closed_after  # the timeout is 3 s here
    idle_conn.settimeout(10)
    assert idle_conn.recv(100) == b""  # never sent anything: closed too
    slow.close()
    idle_conn.close()
    assert_honest_visitor_served(server, "198.51.100.10")


# These held and must keep holding ---------------------------------------------------------------


def test_ill_typed_values_deep_json_and_cross_site_sockets(idle):
    server = idle
    kernel_id = take_kernel(server, "203.0.113.11")
    origin = "http://evil.example"
    with pytest.raises(websocket.WebSocketBadStatusException, match="403"):
        KernelClient(server, kernel_id, "203.0.113.11", origin=origin)
    for pooled in kernel_ids(server) - {kernel_id}:
        with pytest.raises(websocket.WebSocketBadStatusException, match="403"):
            query_socket(server, pooled, kernel_token(server, pooled), origin=origin)
    client = KernelClient(server, kernel_id, "203.0.113.11")
    try:
        comm_id = next(iter(client.widget_comms()))
        deep = "[" * 200_000 + "]" * 200_000
        client.ws.send('{"header": ' + deep + "}")
        client.send(
            "comm_msg",
            {"comm_id": comm_id, "data": {"method": "update", "state": {"value": "NaN"}}},
        )
        assert client.request("kernel_info_request", {})["content"]["status"] == "ok"
    finally:
        client.close()
    assert_honest_visitor_served(server, "198.51.100.11")
