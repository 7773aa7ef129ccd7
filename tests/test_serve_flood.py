"""Flood control's pure parts (:mod:`mdvax.serve.flood`, throttled logs of :mod:`mdvax.serve.gate`)."""

from __future__ import annotations

import json
import logging
import struct

import pytest
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_binary_message,
    serialize_msg_to_ws_v1,
)

from mdvax.serve import flood
from mdvax.serve.flood import MessageRefusedError as Refused
from mdvax.serve.gate import Throttled


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_its_burst_then_its_rate():
    clock = Clock()
    bucket = flood.TokenBucket(rate=7, burst=23, clock=clock)
    assert sum(bucket.take() for _ in range(40)) == 23
    clock.now += 2.0  # 14 tokens back
    assert sum(bucket.take() for _ in range(40)) == 14
    clock.now += 100.0  # never more than the burst
    assert sum(bucket.take(5) for _ in range(10)) == 4  # 23 // 5
    assert flood.cost(3) == 1
    assert flood.cost(flood.COST_BYTES * 3 + 1) == 4


def v1(parts: list[bytes], channel: str = "shell") -> bytes:
    return serialize_msg_to_ws_v1(parts, channel)


def test_split_reads_the_v1_framing_as_upstream_does():
    parts = [b'{"msg_id": "a"}', b"{}", b"{}", b'{"x": 1}', b"buffer one", b"two"]
    frame = flood.split(v1(parts, "control"), v1=True)
    channel, upstream = deserialize_msg_from_ws_v1(v1(parts, "control"))
    assert (frame.channel, frame.parts) == (channel, upstream) == ("control", parts)
    assert frame.buffers == 2


def test_split_refuses_framing_that_lies_about_its_parts():
    good = v1([b"{}"] * 4)
    huge_count = (10**12).to_bytes(8, "little") + good[8:]  # upstream would loop 10**12 times
    past_the_end = bytearray(good)
    past_the_end[16:24] = (len(good) + 50).to_bytes(8, "little")
    too_few = v1([b"{}"] * 2)
    for message in (huge_count, bytes(past_the_end), too_few, b"\x01", "text on v1"):
        with pytest.raises(Refused):
            flood.split(message, v1=True)
    legacy = serialize_binary_message({"header": {}, "buffers": [b"abc"]})
    assert json.loads(flood.split(legacy, v1=False).parts[0]) == {"header": {}}
    with pytest.raises(Refused):
        flood.split(struct.pack("!i", 2**30) + legacy[4:], v1=False)
    assert flood.split('{"a": 1}', v1=False).parts == [b'{"a": 1}']


def test_depth_is_checked_without_parsing():
    deep = b"[" * 120_000 + b"]" * 120_000
    for part in (deep, b'{"a": ' + deep + b"}", b"[" * 200 + b"]" * 200):
        with pytest.raises(Refused, match="deep"):
            flood.check_depth(part)
    shallow = json.dumps({"s": "[[[[{{{{" * 500, "list": [[n] for n in range(300)]}).encode()
    flood.check_depth(shallow)  # brackets in strings do not count; many, but two deep
    nested = json.dumps({"a": {"b": {"c": [[[1]]]}}}).encode()
    flood.check_depth(nested)
    with pytest.raises(Refused, match="large"):
        flood.check_depth(b"[" * 40 + b" " * flood.MERGE_MAX_BYTES + b"]" * 40)


def update(comm: str, **state) -> dict:
    return {"comm_id": comm, "data": {"method": "update", "state": state, "buffer_paths": []}}


def test_only_state_only_updates_are_merged():
    assert flood.update_state(update("c1", value=3)) == ("c1", {"value": 3})
    custom = {"comm_id": "c1", "data": {"method": "custom", "content": {}}}
    with_buffers = update("c1", value=3)
    with_buffers["data"]["buffer_paths"] = [["value"]]
    extra = update("c1", value=3)
    extra["data"]["other"] = 1
    for content in (custom, with_buffers, extra, {"comm_id": 5, "data": {}}, None, []):
        assert flood.update_state(content) is None


def message(n: int, comm: str | None = None, **state) -> flood.Message:
    return flood.Message(raw=f"raw{n}", msg_id=f"id{n}", comm_key=comm, state=state)


def test_outbox_holds_a_window_merges_stale_updates_and_bounds_its_queue():
    clock = Clock()
    limits = flood.Limits(rate=10, burst=10, queued=5, in_flight=3)
    box = flood.Outbox(limits, clock=clock)
    for n in range(3):
        box.offer(message(n))
    assert [m.msg_id for m in box.take()] == ["id0", "id1", "id2"]  # the window is full
    box.offer(message(3))
    results = [box.offer(message(10 + n, "slider", value=n)) for n in range(400)]
    assert results == ["queued"] + ["merged"] * 399
    box.offer(message(4, "slider", description="last"))  # another state key: merged too
    assert box.take() == []
    assert box.done("id1")
    assert not box.done("id1")
    assert not box.done("unknown")
    sent = box.take()
    assert [m.msg_id for m in sent] == ["id3"]
    assert box.done("id0")
    assert box.done("id2")
    (slider,) = box.take()
    assert slider.msg_id == "id4"
    assert slider.merged == 400
    assert slider.state == {"value": 399, "description": "last"}
    # The queue is bounded; updates of a queued comm still merge when it is full.
    for n in range(5):
        assert box.offer(message(100 + n, f"comm{n}", v=n)) == "queued"
    assert box.offer(message(200)) == "dropped"
    assert box.offer(message(201, "comm2", v=9)) == "merged"
    assert box.dropped == 1


def test_a_message_the_kernel_never_answers_stops_counting():
    clock = Clock()
    box = flood.Outbox(flood.Limits(rate=10, burst=10, queued=8, in_flight=1), clock=clock)
    box.offer(message(1))
    assert box.next_expiry() is None
    box.take()
    box.offer(message(2))
    assert box.take() == []
    clock.now += 4
    assert box.next_expiry() == pytest.approx(flood.IN_FLIGHT_TIMEOUT_S - 4)
    clock.now += flood.IN_FLIGHT_TIMEOUT_S
    assert [m.msg_id for m in box.take()] == ["id2"]


def test_merging_keeps_order_after_other_messages():
    box = flood.Outbox(flood.Limits(queued=8, in_flight=1), clock=Clock())
    box.offer(message(0))
    box.take()
    box.offer(message(1, "a", v=1))
    box.offer(message(2))
    box.offer(message(3, "a", v=2))
    box.done("id0")
    order = []
    while box.waiting:
        (sent,) = box.take()
        order.append(sent.msg_id)
        box.done(sent.msg_id)
    assert order == ["id2", "id3"]  # the newest update comes after what was sent before it


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_throttled_logs_once_per_interval_with_a_count():
    clock, handler = Clock(), Records()
    logger = logging.getLogger("mdvax.tests.flood")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        throttled = Throttled(logger, interval=30, clock=clock)
        logged = [throttled.warning("refused", kernel_id="k") for _ in range(50)]
        clock.now += 31
        logged += [throttled.warning("refused"), throttled.warning("other")]
        logged += [throttled.warning("refused", key="one reason") for _ in range(2)]
    finally:
        logger.removeHandler(handler)
    assert logged == [True] + [False] * 49 + [True, True, True, False]
    assert [(r.getMessage(), r.count) for r in handler.records] == [
        ("refused", 1),
        ("refused", 50),
        ("other", 1),
        ("refused", 1),  # counted by its own key
    ]
