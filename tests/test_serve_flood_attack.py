"""Message floods into a visitor's own kernel (issue 22, item 1), against a real server.

Each attack is bounded in count and time. What is checked is behaviour, not timings: how many
messages the kernel actually handled (each handled message is answered by an ``idle`` status
naming it), that stale widget updates were merged and the newest applied, that a flooding
socket is closed with code 1008, that refusals are logged once per interval, and that an honest
visitor's widget change is applied during a flood. The figures are in
``benchmarks/bench_flood.py``.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.hostile_client import KernelClient, assert_honest_visitor_served, take_kernel
from tests.support.flood_client import (
    V1Client,
    close_frame,
    flood,
    send_at_once,
    update_frame,
)
from tests.support.query_page_server import query_page_server, wait_idle
from tests.support.widget_states import widget_states

pytestmark = pytest.mark.slow  # real `mdvax serve` servers and kernels

#: None of these is the default (50/s, 200, 32, 2).
RATE, BURST, QUEUED, IN_FLIGHT = 40, 120, 16, 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    options = (
        f"--MdvaxVoila.message_rate={RATE}",
        f"--MdvaxVoila.message_burst={BURST}",
        f"--MdvaxVoila.messages_queued={QUEUED}",
        f"--MdvaxVoila.messages_in_flight={IN_FLIGHT}",
    )
    directory = tmp_path_factory.mktemp("flood")
    with query_page_server(directory, *options, max_kernels=7, cull_idle_s=4) as running:
        yield running


@pytest.fixture
def idle(server):
    """The server with no visitor kernel left from an earlier test, and a full pool."""
    return wait_idle(server)


def log_records(server, message: str) -> list[dict]:
    lines = server.log.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return [r for r in records if r["message"] == message]


def slider(server, kernel_id: str) -> tuple[str, dict]:
    """The page's IntSlider: its comm id and state, as the kernel has them."""
    states = widget_states(server, kernel_id)
    (found,) = [(k, s["state"]) for k, s in states.items() if s["model_name"] == "IntSliderModel"]
    return found


def handled(messages: list[dict], ids: set[str]) -> int:
    """How many of ``ids`` the kernel finished (its ``idle`` status names each)."""
    return sum(
        1
        for m in messages
        if m.get("msg_type") == "status"
        and m["content"].get("execution_state") == "idle"
        and m.get("parent_header", {}).get("msg_id") in ids
    )


@pytest.mark.parametrize("protocol", [KernelClient, V1Client], ids=["json", "v1"])
def test_stale_widget_updates_are_merged_and_the_newest_applied(idle, protocol):
    server = idle
    kernel_id = take_kernel(server)
    comm_id, before = slider(server, kernel_id)
    client = protocol(server, kernel_id)
    try:
        count = BURST - 20  # within the burst: nothing is refused, only merged
        frames = [update_frame(client, comm_id, value=n) for n in range(1, count + 1)]
        frames[count // 2] = update_frame(client, comm_id, description="merged")
        ids = {msg_id for msg_id, _ in frames}
        send_at_once(client, [frame for _, frame in frames])
        client.send("kernel_info_request", {})
        messages = client.messages(30, until=lambda m: m.get("msg_type") == "kernel_info_reply")
        done = messages[-1]
        messages += client.messages(1)  # statuses still on their way
    finally:
        client.drop()  # not a page leaving: the test looks at the kernel again
    assert done["content"]["status"] == "ok"
    after = widget_states(server, kernel_id)[comm_id]["state"]
    assert (after["value"], after["description"]) == (count, "merged")
    assert (before["value"], before["description"]) != (count, "merged")
    # Merged while the kernel was busy: it saw a small fraction of the stale positions.
    assert 1 <= handled(messages, ids) <= count // 4


def attack(server, kernel_id: str, comm_id: str, count: int) -> tuple[int, tuple[int, str]]:
    """One socket flooding ``kernel_id`` with ``count`` updates: how many went, how it closed."""
    client = KernelClient(server, kernel_id)
    try:
        frames = [update_frame(client, comm_id, value=n % 97)[1] for n in range(count)]
        sent = flood(client, frames)
        return sent, close_frame(client.ws)
    finally:
        client.drop()  # not a page leaving: the test looks at the kernel again


def test_a_flooding_socket_is_closed_and_its_kernel_left_idle(idle):
    server = idle
    kernels = [take_kernel(server) for _ in range(2)]  # two attackers, as in the issue
    comms = [slider(server, kernel_id)[0] for kernel_id in kernels]
    closes = [attack(server, k, c, 3_000)[1] for k, c in zip(kernels, comms, strict=True)]
    assert closes == [(1008, "message flood")] * 2
    # The kernel is not working through a queue: what it still had was at most the window.
    for kernel_id in kernels:
        client = KernelClient(server, kernel_id)
        try:
            client.send("kernel_info_request", {})
            seen = client.messages(30, until=lambda m: m.get("msg_type") == "kernel_info_reply")
        finally:
            client.drop()  # not a page leaving: the test looks at the kernel again
        assert seen
        assert seen[-1]["msg_type"] == "kernel_info_reply"
        stale = [
            m
            for m in seen
            if m.get("msg_type") == "status"
            and m.get("parent_header", {}).get("msg_id", "").startswith("flood-")
        ]
        assert len(stale) <= 2 * IN_FLIGHT  # busy and idle of each message in flight
    records = log_records(server, "kernel websocket closed: message flood")
    assert 1 <= len(records) < len(closes) + 1  # once per interval: one record for both
    assert records[0]["kernel_id"] in kernels


def test_deep_messages_are_refused_unparsed_and_the_socket_closed(idle):
    server = idle
    kernel_id = take_kernel(server)
    client = KernelClient(server, kernel_id)
    try:
        deep = "[" * 120_000 + "]" * 120_000
        frame = json.dumps({"header": {"msg_type": "comm_msg"}, "content": "X"}).replace(
            '"X"', deep
        )
        sent = flood(client, [frame] * 40)
        code, reason = close_frame(client.ws)
    finally:
        client.drop()  # not a page leaving: the test looks at the kernel again
    assert (code, reason) == (1008, "message flood")
    assert sent >= BURST // 25  # REFUSED_COST each: the bucket ran dry on refused messages
    refused = log_records(server, "kernel websocket message refused")
    # 240 KB of brackets: refused for its size and bracket count, before any depth is measured.
    assert {r["reason"] for r in refused} == {"large and deeply structured"}
    assert len(refused) <= 2  # not one record per message
    assert_honest_visitor_served(server)


def test_honest_visitor_change_is_applied_during_a_flood(idle):
    server = idle
    attackers = [take_kernel(server) for _ in range(2)]
    comms = [slider(server, kernel_id)[0] for kernel_id in attackers]
    stop, rounds = threading.Event(), []

    def keep_flooding(kernel_id: str, comm_id: str) -> None:
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline and len(rounds) < 40:
            rounds.append(attack(server, kernel_id, comm_id, 1_500)[1])

    threads = [
        threading.Thread(target=keep_flooding, args=pair)
        for pair in zip(attackers, comms, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        assert_honest_visitor_served(server)  # a complete page whose kernel answers
        honest = take_kernel(server)
        comm_id, _ = slider(server, honest)
        client = KernelClient(server, honest)
        try:
            msg_id, frame = update_frame(client, comm_id, value=4321)
            client.ws.send(frame)
            answered = client.messages(30, until=lambda m: handled([m], {msg_id}))
        finally:
            client.drop()  # not a page leaving: the test looks at the kernel again
        state = widget_states(server, honest)[comm_id]["state"]
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
    assert handled(answered, {msg_id}) == 1
    assert state["value"] == 4321
    assert rounds
    assert set(rounds) == {(1008, "message flood")}


def test_binary_framing_that_lies_about_its_parts_is_refused(idle):
    # Jupyter's reader loops over the part count the client sends: 10**12 parts in 72 bytes
    # held the event loop (and filled memory) until the server died.
    server = idle
    kernel_id = take_kernel(server)
    client = V1Client(server, kernel_id)
    try:
        client.ws.send_binary((10**12).to_bytes(8, "little") + bytes(64))
        assert client.request("kernel_info_request", {})["content"]["status"] == "ok"
    finally:
        client.drop()  # not a page leaving: the test looks at the kernel again
    refused = log_records(server, "kernel websocket message refused")
    assert "bad framing" in {r["reason"] for r in refused}
    assert_honest_visitor_served(server)
