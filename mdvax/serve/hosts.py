"""The ``Host`` check: requests naming a host the server is not known by are refused (400).

A page on another site can make a browser reach a loopback server under the other site's name
(DNS rebinding: ``evil.example`` first resolves to the attacker, then to 127.0.0.1); the browser
then treats the server's answers as that site's. Such requests carry the foreign name in
``Host``: only the names in ``MdvaxVoila.allowed_hosts`` are served (the port is not compared),
and the loopback names, always: the kernels and local health checks use them, and no other
site's page can make a browser send them.

:func:`host_rule` is a Tornado routing rule put before every route, so plain requests and
websocket upgrades are refused alike, before any handler of the application runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from tornado import web
from tornado.routing import Matcher, Rule

log = logging.getLogger("mdvax.serve")

#: Names always served (the default adds the address the server listens on).
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
#: In ``allowed_hosts``: any name (the check is off; for a proxy that checks the name itself).
ANY_HOST = "*"
#: ``name``, ``name:port``, ``[v6]``, ``[v6]:port``.
_HOST = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<name>[^:\[\]]+))(?::\d{1,5})?$")


def host_name(header: str) -> str | None:
    """The name in a ``Host`` header: lower case, no port, brackets or final dot (None: malformed)."""
    match = _HOST.match(header.strip())
    if match is None:
        return None
    return (match.group("v6") or match.group("name")).lower().rstrip(".") or None


def default_allowed_hosts(bind: str) -> list[str]:
    """The names of a server listening on ``bind``: that address and the loopback names."""
    names = [bind.strip("[]").lower(), *LOCAL_NAMES]
    return list(dict.fromkeys(name for name in names if name))


def normalized(names: Iterable[str]) -> frozenset[str]:
    """Configured names as :func:`host_name` gives them (``*`` kept)."""
    return frozenset(ANY_HOST if n == ANY_HOST else host_name(n) or n.lower() for n in names)


class ForeignHost(Matcher):
    """Matches the requests whose ``Host`` is missing, malformed or not in ``allowed``."""

    def __init__(self, allowed: Iterable[str]):
        self.allowed = normalized([*allowed, *LOCAL_NAMES])

    def match(self, request):
        if ANY_HOST in self.allowed:
            return None
        name = host_name(request.headers.get("Host", ""))
        return None if name in self.allowed else {}


class HostRefusedHandler(web.RequestHandler):
    """400 for any method: the request names a host this server is not."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")

    def prepare(self):
        log.warning(
            "request refused: host not allowed",
            extra={"host": self.request.headers.get("Host", "")[:100]},
        )
        self.set_status(400, reason="Host not allowed")
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("400: the Host header names a host this server does not serve.\n")


def host_rule(allowed: Iterable[str]) -> Rule:
    """The routing rule refusing requests for hosts not in ``allowed`` (put it first)."""
    return Rule(ForeignHost(allowed), HostRefusedHandler)
