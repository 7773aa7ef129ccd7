"""The real server's handlers in-process, without kernels: ``/healthz``, headers, the caps.

A page request refused by the caps never needs a kernel, so the busy page, the health endpoint
and the headers of both are checked on the real application (``tests/support/inproc_server``).
Requests admitted but still waiting for a kernel count against the caps
(:mod:`mdvax.serve.admission`): the tests fill the caps with such tickets.
"""

from __future__ import annotations

import json
import re

import pytest

from mdvax.serve.headers import CSP
from tests.support import aio
from tests.support.inproc_server import bare_server, fetch

#: None of these is the default (the machine's cap, 2 per client, 10 s, no token, "healthz").
MAX_KERNELS, PER_CLIENT, RETRY_AFTER = 5, 3, 17
TOKEN, HEALTH_PATH = "t0ken-for-tests", "ready"
#: The test client is on loopback; as the trusted proxy, it says which visitor it forwards.
PROXY = "127.0.0.1"


def serve(tmp_path):
    """The in-process server with the settings above."""
    return bare_server(
        tmp_path,
        MAX_KERNELS,
        f"--MdvaxVoila.kernels_per_client={PER_CLIENT}",
        f"--MdvaxVoila.retry_after={RETRY_AFTER}",
        f"--MdvaxVoila.health_token={TOKEN}",
        f"--MdvaxVoila.health_path={HEALTH_PATH}",
        f"--MdvaxVoila.trusted_proxies={PROXY}",
    )


def visitor(address: str) -> dict:
    """Headers of a request the proxy forwards for ``address``."""
    return {"X-Forwarded-For": f"203.0.113.250, {address}"}  # the left part is the client's


def run(scenario, tmp_path):
    """Run ``scenario(app, base_url)`` against a fresh in-process server."""

    async def main():
        async with serve(tmp_path) as (app, base):
            return await scenario(app, base)

    return aio.run(main())


def check_headers(response, nonce: str = "") -> None:
    """The security headers of every response (see :mod:`mdvax.serve.headers`)."""
    headers = response.headers
    assert "Server" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    expected = CSP.format(nonce=f" 'nonce-{nonce}'" if nonce else "")
    assert headers["Content-Security-Policy"] == expected
    assert "'unsafe-inline'" not in expected.split("script-src")[1].split(";")[0]


def test_health_details_for_local_callers_and_the_token_only(tmp_path):
    async def scenario(app, base):
        held = [app.admission.admit(f"198.51.100.{n}") for n in (3, 4)]  # waiting for kernels
        url = f"{base}{HEALTH_PATH}"
        answers = {
            "local": await fetch(url),
            "token": await fetch(
                url, headers={**visitor("192.0.2.5"), "Authorization": f"Bearer {TOKEN}"}
            ),
            "wrong": await fetch(
                url, headers={**visitor("192.0.2.5"), "Authorization": "Bearer nope"}
            ),
            "remote": await fetch(url, headers=visitor("192.0.2.5")),
            "old path": await fetch(f"{base}healthz", follow_redirects=False),
        }
        for ticket, token in reversed(held):
            app.admission.release(ticket, token)
        return answers

    answers = run(scenario, tmp_path)
    details = {
        "status": "ok",
        "live": 0,
        "pool_ready": 0,
        "in_use": 0,
        "waiting": 2,
        "max_kernels": MAX_KERNELS,
        "static_views": 0,
        "views_drawn": 0,
        "rate_limited": 0,
    }
    for name in ("local", "token"):
        assert answers[name].code == 200, name
        assert json.loads(answers[name].body) == details, name
        assert answers[name].headers["Cache-Control"] == "no-store"
    for name in ("wrong", "remote"):
        assert answers[name].code == 200, name
        assert json.loads(answers[name].body) == {"status": "ok"}, name
    for answer in answers.values():
        check_headers(answer)
    assert answers["old path"].code == 404  # not health: only "/" is a page


def busy_nonce(response) -> str:
    """The nonce of the busy page's retry script."""
    found = re.findall(r'<script nonce="([^"]+)">', response.body.decode())
    assert len(found) == 1
    return found[0]


def test_a_client_over_its_share_gets_429_and_the_busy_page(tmp_path):
    client = "198.51.100.23"

    async def scenario(app, base):
        held = [app.admission.admit(client) for _ in range(PER_CLIENT)]
        refused = await fetch(base, headers=visitor(client))
        health = json.loads((await fetch(f"{base}{HEALTH_PATH}")).body)
        for ticket, token in reversed(held):
            app.admission.release(ticket, token)
        return refused, health

    refused, health = run(scenario, tmp_path)
    assert refused.code == 429
    assert refused.headers["Retry-After"] == str(RETRY_AFTER)
    assert refused.headers["Cache-Control"] == "no-store"
    page = refused.body.decode()
    assert f"this address holds {PER_CLIENT} live pages" in page
    assert f'content="{RETRY_AFTER}"' in page
    assert f"var wait = {RETRY_AFTER} *" in page
    check_headers(refused, busy_nonce(refused))
    assert (health["waiting"], health["live"]) == (PER_CLIENT, 0)  # refused: nothing started


def test_over_the_global_cap_a_new_client_gets_503(tmp_path):
    # Visitors' kernels fill all MAX_KERNELS slots (no pool), none over its share of PER_CLIENT.
    clients = [f"192.0.2.{10 + n // PER_CLIENT}" for n in range(MAX_KERNELS)]

    async def scenario(app, base):
        held = [app.admission.admit(client) for client in clients]
        refused = await fetch(base, headers=visitor("192.0.2.99"))
        own_share = await fetch(base, headers=visitor(clients[0]))  # holds PER_CLIENT already
        for ticket, token in reversed(held):
            app.admission.release(ticket, token)
        return refused, own_share

    refused, own_share = run(scenario, tmp_path)
    assert max(clients.count(c) for c in clients) <= PER_CLIENT
    assert refused.code == 503
    assert refused.headers["Retry-After"] == str(RETRY_AFTER)
    assert "too many people are looking at it right now" in refused.body.decode()
    check_headers(refused, busy_nonce(refused))
    assert own_share.code == 429  # its own share is checked first


@pytest.mark.parametrize(
    ("query", "cache_control"),
    [("?v=0a1b2c", "public, max-age=31536000, immutable"), ("", "public, max-age=86400")],
)
def test_voila_static_files_get_long_lived_cache_headers(tmp_path, query, cache_control):
    async def scenario(app, base):
        return await fetch(f"{base}voila/static/voila.js{query}")

    response = run(scenario, tmp_path)
    assert response.code == 200
    assert response.headers["Cache-Control"] == cache_control
    assert "Server" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
