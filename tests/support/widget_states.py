"""The widgets' states of a kernel, fetched over its websocket as the page's JavaScript does.

ipywidgets' front end opens a ``jupyter.widget.control`` comm and sends ``request_states``;
the kernel answers with every widget's state (``update_states``).
"""

from __future__ import annotations

import json
import uuid

from tests.hostile_client import KernelClient

#: ipywidgets' control protocol version (``ipywidgets._version.__control_protocol_version__``).
CONTROL_PROTOCOL = "1.0.0"


def widget_states(server, kernel_id: str, timeout: float = 60) -> dict:
    """``{model_id: {"model_name": ..., "state": {...}}}`` of kernel ``kernel_id``."""
    client = KernelClient(server, kernel_id, timeout=timeout)
    try:
        comm_id = uuid.uuid4().hex
        header = {"msg_id": comm_id, "msg_type": "comm_open", "username": "", "date": ""}
        header |= {"session": client.session, "version": "5.3"}
        opening = {
            "header": header,
            "parent_header": {},
            "metadata": {"version": CONTROL_PROTOCOL},
            "content": {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}},
            "channel": "shell",
            "buffers": [],
        }
        client.ws.send(json.dumps(opening))
        client.send("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}})
        messages = client.messages(
            timeout,
            until=lambda m: m.get("content", {}).get("data", {}).get("states") is not None,
        )
    finally:
        client.drop()  # a look at the kernel, not its page leaving (that frees the kernel)
    states = messages[-1].get("content", {}).get("data", {}).get("states") if messages else None
    assert states is not None, f"kernel {kernel_id} sent no widget states"
    return states


def html_values(states: dict) -> list[str]:
    """The ``value`` of every HTML widget."""
    return [s["state"].get("value", "") for s in states.values() if s["model_name"] == "HTMLModel"]
