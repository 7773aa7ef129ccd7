"""Clients of the flood tests (``tests/test_serve_flood_attack.py``): the kernel websocket on
Jupyter's binary v1 protocol, widget updates in either protocol, frames sent at once, and the
server's close frame."""

from __future__ import annotations

import json
import struct
import uuid

import websocket
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)

from tests.hostile_client import KernelClient
from tests.support.process import ServeProcess

V1 = "v1.kernel.websocket.jupyter.org"


class V1Client(KernelClient):
    """The kernel websocket on Jupyter's binary v1 protocol, which the page's JavaScript uses."""

    def __init__(self, server: ServeProcess, kernel_id: str):
        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels"
            f"?session_id={self.session}",
            origin=f"http://127.0.0.1:{server.port}",
            subprotocols=[V1],
            timeout=60,
        )

    def send(self, msg_type: str, content: dict, channel: str = "shell") -> str:
        msg_id, raw = message_frame(self, msg_type, content)
        self.ws.send_binary(raw)
        return msg_id

    def decode(self, frame: str | bytes) -> dict:
        """A v1 message's type, parent header and content."""
        _, parts = deserialize_msg_from_ws_v1(frame)
        header, parent, _, content = (json.loads(part) for part in parts[:4])
        return {"msg_type": header["msg_type"], "parent_header": parent, "content": content}


def message_frame(client: KernelClient, msg_type: str, content: dict) -> tuple[str, str | bytes]:
    """``(msg_id, websocket message)`` in ``client``'s protocol, as the page sends it."""
    msg_id = f"flood-{uuid.uuid4().hex}"
    header = {"msg_id": msg_id, "msg_type": msg_type, "username": "", "date": ""}
    header |= {"session": client.session, "version": "5.3"}
    if isinstance(client, V1Client):
        parts = [json.dumps(part).encode() for part in (header, {}, {}, content)]
        return msg_id, serialize_msg_to_ws_v1(parts, "shell")
    message = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
    return msg_id, json.dumps(message | {"channel": "shell", "buffers": []})


def update_frame(client: KernelClient, comm_id: str, **state) -> tuple[str, str | bytes]:
    """A widget update as the page sends it."""
    data = {"method": "update", "state": state, "buffer_paths": []}
    return message_frame(client, "comm_msg", {"comm_id": comm_id, "data": data})


def close_frame(ws) -> tuple[int, str]:
    """Read until the server's close frame: its code and reason."""
    ws.settimeout(30)
    while True:
        frame = ws.recv_frame()
        if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
            return struct.unpack("!H", frame.data[:2])[0], frame.data[2:].decode()


def flood(client: KernelClient, frames: list[str]) -> int:
    """Send ``frames`` as fast as possible until the server stops reading; how many went."""
    sent = 0
    try:
        for frame in frames:
            client.ws.send(frame)
            sent += 1
    except (OSError, websocket.WebSocketConnectionClosedException):
        pass
    return sent


def send_at_once(client: KernelClient, frames: list[str]) -> None:
    """Send ``frames`` in one write: the server reads them before its kernel says anything."""
    opcode = (
        websocket.ABNF.OPCODE_BINARY if isinstance(frames[0], bytes) else websocket.ABNF.OPCODE_TEXT
    )
    blob = b"".join(websocket.ABNF.create_frame(f, opcode).format() for f in frames)
    client.ws.sock.sendall(blob)
