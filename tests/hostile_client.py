"""Clients for the hostile-visitor tests of ``mdvax serve``: raw HTTP, the kernel websocket, and
the honest visitor every such test checks is still served."""

from __future__ import annotations

import http.client
import json
import re
import time
import uuid

import websocket

from tests.support.process import ServeProcess

KERNEL_ID = re.compile(r'"kernelId": "([0-9a-f-]{36})"')


def get(
    server: ServeProcess,
    path: str = "/",
    headers: dict | None = None,
    method: str = "GET",
    body: str | None = None,
):
    """One raw request (path sent as given); ``(status, headers, body)``."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, dict(response.getheaders()), body
    finally:
        connection.close()


def forwarded(address: str) -> dict:
    """Headers of a request relayed by the (trusted) proxy for client ``address``."""
    return {"X-Forwarded-For": address}


def take_kernel(server: ServeProcess, address: str | None = None, query: str = "") -> str:
    """Load the page like a visitor (from ``address`` via the proxy); its kernel id."""
    status, _, body = get(server, "/" + query, forwarded(address) if address else None)
    assert status == 200, (status, body[:300])
    return KERNEL_ID.search(body).group(1)


class KernelClient:
    """A kernel websocket as a page opens it (JSON messages, the server's own Origin)."""

    def __init__(
        self,
        server: ServeProcess,
        kernel_id: str,
        address: str | None = None,
        origin: str | None = None,
        timeout: float = 60,
    ):
        headers = [f"X-Forwarded-For: {address}"] if address else []
        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels"
            f"?session_id={self.session}",
            origin=origin or f"http://127.0.0.1:{server.port}",
            header=headers,
            timeout=timeout,
        )

    def send(self, msg_type: str, content: dict, channel: str = "shell") -> str:
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": "",
            "session": self.session,
            "version": "5.3",
            "date": "",
        }
        message = {
            "header": header,
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": channel,
            "buffers": [],
        }
        self.ws.send(json.dumps(message))
        return msg_id

    def messages(self, seconds: float, until=None) -> list[dict]:
        """Messages received for ``seconds`` (or until ``until(message)`` holds)."""
        received, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                message = self.decode(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            received.append(message)
            if until is not None and until(message):
                break
        return received

    def decode(self, frame: str | bytes) -> dict:
        """A received websocket message as a dict (a binary one: ``{"binary": frame}``)."""
        return json.loads(frame) if isinstance(frame, str) else {"binary": frame}

    def request(self, msg_type: str, content: dict, seconds: float = 30) -> dict:
        """Send a shell request; its reply (AssertionError if none comes)."""
        msg_id = self.send(msg_type, content)
        replies = self.messages(
            seconds,
            until=lambda m: (
                m.get("parent_header", {}).get("msg_id") == msg_id
                and m["msg_type"].endswith("_reply")
            ),
        )
        assert replies, f"no answer to {msg_type}"
        assert replies[-1]["msg_type"].endswith("_reply"), replies[-3:]
        return replies[-1]

    def widget_comms(self) -> dict:
        """The kernel's widget comms (``comm_info_request``): ``{comm_id: {...}}``."""
        reply = self.request("comm_info_request", {"target_name": "jupyter.widget"})
        return reply["content"]["comms"]

    def close(self) -> None:
        """Leave as a page does: a clean close (the server may then free the kernel)."""
        self.ws.close()
        self.ws.shutdown()  # close() leaves the socket open when the server already dropped it

    def drop(self) -> None:
        """Disconnect without a close frame: a probe that looked, not a page that left."""
        self.ws.shutdown()


def assert_honest_visitor_served(
    server: ServeProcess, address: str | None = None, query: str = ""
) -> str:
    """A visitor gets a complete page whose kernel answers on the widget layer; its body."""
    status, _, body = get(server, "/" + query, forwarded(address) if address else None)
    assert status == 200, (status, body[:300])
    assert body.rstrip().endswith("</html>"), body[-300:]
    assert "Traceback" not in body
    kernel_id = KERNEL_ID.search(body).group(1)
    client = KernelClient(server, kernel_id, address)
    try:
        assert client.request("kernel_info_request", {})["content"]["status"] == "ok"
        assert client.widget_comms(), "no widgets in the visitor's kernel"
    finally:
        client.close()
    return body
