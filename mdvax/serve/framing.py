"""Framing checks for a visitor's kernel websocket: pure logic, no sockets.

Split from :mod:`mdvax.serve.flood` (which re-exports these names): :func:`split` reads a
message's framing with bounds (the upstream readers trust the part count a client sends),
:func:`check_depth` refuses deep JSON before anything parses it, :func:`parse` reads a JSON part.
"""

from __future__ import annotations

import itertools
import json
import re
import struct
from dataclasses import dataclass

#: Parts of a message (header, parent header, metadata, content, buffers): an upload of a few
#: files has a buffer each.
MAX_PARTS = 64
#: Deepest JSON accepted from a browser (widget state is a few levels deep).
MAX_DEPTH = 32
#: Content larger than this is forwarded as it is, never parsed to be merged.
MERGE_MAX_BYTES = 64 * 1024

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


class MessageRefusedError(ValueError):
    """A message refused unread; the text says why."""


@dataclass
class Frame:
    """A websocket message split into its parts, nothing decoded yet."""

    channel: str | None
    parts: list  # v1: header, parent, metadata, content, buffers; legacy: the message JSON
    v1: bool

    @property
    def buffers(self) -> int:
        return max(0, len(self.parts) - 4) if self.v1 else 0


def _offsets(data: bytes, width: int, order: str, count: int, base: int) -> list[int]:
    if not 0 < count <= MAX_PARTS + 2 or base + width * count > len(data):
        raise MessageRefusedError("bad framing")
    fmt = ("<" if order == "little" else "!") + ("Q" if width == 8 else "I") * count
    offsets = [*struct.unpack_from(fmt, data, base), len(data)]
    if any(b < a for a, b in itertools.pairwise(offsets)):
        raise MessageRefusedError("bad framing")
    return offsets


def split(ws_msg: bytes | str, v1: bool) -> Frame:
    """The parts of a message, checked to be within it; :class:`MessageRefusedError` otherwise."""
    if isinstance(ws_msg, str):
        if v1:
            raise MessageRefusedError("text frame on the binary protocol")
        return Frame(None, [ws_msg.encode("utf-8", "surrogateescape")], v1=False)
    data = bytes(ws_msg)
    if v1:  # 8-byte count, then offsets: channel, header, parent, metadata, content, buffers
        count = int.from_bytes(data[:8], "little") if len(data) >= 8 else 0
        offsets = _offsets(data, 8, "little", count, 8)
        if count < 6:
            raise MessageRefusedError("bad framing")
        parts = [data[a:b] for a, b in itertools.pairwise(offsets[:count])]
        return Frame(parts[0].decode("utf-8", "replace"), parts[1:], v1=True)
    count = struct.unpack_from("!i", data)[0] if len(data) >= 4 else 0
    offsets = _offsets(data, 4, "big", count, 4)
    return Frame(None, [data[offsets[0] : offsets[1]]], v1=False)  # JSON; the rest: buffers


def check_depth(part: bytes, limit: int = MAX_DEPTH) -> None:
    """:class:`MessageRefusedError` if JSON ``part`` nests deeper than about ``limit`` (up to twice).

    Cheap first: a part with no more brackets than ``limit`` is fine. Otherwise strings are
    removed, then innermost pairs, ``limit`` times (all in C, never recursion).
    """
    if part.count(b"[") + part.count(b"{") <= limit:
        return
    if len(part) > MERGE_MAX_BYTES:
        raise MessageRefusedError("large and deeply structured")
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", part))
    for _ in range(limit):
        if not brackets:
            return
        brackets = brackets.replace(b"[]", b"").replace(b"{}", b"")
    if brackets:
        raise MessageRefusedError("nested too deep")


def parse(part: bytes) -> dict:
    """A JSON part as a dict (:class:`MessageRefusedError` if it is not one)."""
    try:
        value = json.loads(part)
    except (ValueError, RecursionError) as error:
        raise MessageRefusedError("not JSON") from error
    if not isinstance(value, dict):
        raise MessageRefusedError("not a JSON object")
    return value
