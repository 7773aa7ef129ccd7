"""The token a kernel shows the server's ``/voila/query/<kernel id>`` socket to prove who it is.

Shared by both ends, so it lives below both: the server checks it
(:class:`mdvax.serve.sockets.QuerySocketHandler`) and a preheated dashboard kernel sends it
(:func:`mdvax.dashboard.request.query_string`). Neither end imports the other.
"""

from __future__ import annotations

import hashlib
import hmac
import json


def query_token(key: bytes, kernel_id: str) -> str:
    """What a kernel shows ``/voila/query/<kernel id>`` to prove it is that kernel.

    An HMAC of the id under the kernel's message-signing key, which only the server and the
    kernel know (from its connection file).
    """
    return hmac.new(key, kernel_id.encode(), hashlib.sha256).hexdigest()


def own_query_token(kernel_id: str) -> str:
    """:func:`query_token` for the kernel this code runs in ("" outside a kernel)."""
    try:
        from ipykernel.connect import get_connection_info

        key = json.loads(get_connection_info())["key"]
    except Exception:  # not in a kernel, or no key
        return ""
    return query_token(key.encode(), kernel_id)
