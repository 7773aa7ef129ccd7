"""The ``Host`` check and the trusted proxy's ``X-Forwarded-For``, on the real app in-process.

The slow tier repeats both against a real ``mdvax serve`` (``tests/test_serve_refusals.py``) and
behind nginx (``tests/test_serve_nginx.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mdvax.serve.hosts import default_allowed_hosts, host_name
from tests.support import aio
from tests.support.inproc_server import bare_server, fetch
from tests.support.serve_options import resolved

REPO = Path(__file__).resolve().parent.parent
#: Not a default: the name a proxy in front of the server forwards.
PUBLIC = "dash.example.org"


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost", "localhost"),
        ("LocalHost:8866", "localhost"),
        ("dash.example.org.", "dash.example.org"),
        ("[::1]:8866", "::1"),
        ("[::1]", "::1"),
        ("127.0.0.1:80", "127.0.0.1"),
        ("", None),
        ("a:b:c", None),
        ("evil.example:80:80", None),
        ("[::1", None),
        ("localhost:port", None),
    ],
)
def test_host_name_drops_the_port_and_refuses_malformed_headers(header, name):
    assert host_name(header) == name


def test_default_names_are_the_bind_address_and_loopback():
    assert default_allowed_hosts("192.0.2.14") == ["192.0.2.14", "localhost", "127.0.0.1", "::1"]
    assert default_allowed_hosts("[::1]") == ["::1", "localhost", "127.0.0.1"]
    assert resolved().allowed_hosts == ["127.0.0.1", "localhost", "::1"]


def test_allowed_hosts_is_a_documented_option():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `MdvaxVoila.")]
    assert any("`MdvaxVoila.allowed_hosts`" in row for row in rows)
    app = resolved(traitlets=[f"--MdvaxVoila.allowed_hosts={PUBLIC}"])
    assert app.allowed_hosts == [PUBLIC]


def run(tmp_path, scenario, *traitlets: str):
    async def main():
        async with bare_server(tmp_path, 3, *traitlets) as (app, base):
            return await scenario(app, base)

    return aio.run(main())


def test_foreign_hosts_are_refused_and_configured_ones_served(tmp_path):
    async def scenario(app, base):
        port = re.search(r":(\d+)/", base).group(1)
        answers = {}
        for host in ("evil.example", f"evil.example:{port}", f"{PUBLIC}.evil.example", PUBLIC):
            answers[host] = await fetch(f"{base}healthz", headers={"Host": host})
        for host in ("localhost", f"127.0.0.1:{port}", f"[::1]:{port}"):  # always served
            answers[host] = await fetch(f"{base}healthz", headers={"Host": host})
        return {host: (a.code, a.reason) for host, a in answers.items()}

    refused = (400, "Host not allowed")
    answers = run(tmp_path, scenario)  # the defaults: loopback names only
    assert [answers.pop(h) for h in list(answers)[:4]] == [refused] * 4
    assert set(answers.values()) == {(200, "OK")}
    (tmp_path / "configured").mkdir()
    answers = run(tmp_path / "configured", scenario, f"--MdvaxVoila.allowed_hosts={PUBLIC}")
    assert list(answers.values()) == [refused] * 3 + [(200, "OK")] * 4


def test_a_trusted_proxy_must_name_its_client(tmp_path):
    async def scenario(app, base):
        bare = await fetch(base)
        blank = await fetch(base, headers={"X-Forwarded-For": ""})
        named = await fetch(base, headers={"X-Forwarded-For": "198.51.100.5"})
        return bare, blank, named

    bare, blank, named = run(tmp_path, scenario, "--MdvaxVoila.trusted_proxies=127.0.0.1")
    for answer in (bare, blank):
        assert (answer.code, answer.reason) == (
            400,
            "X-Forwarded-For required from a trusted proxy",
        )
        assert b"X-Forwarded-For required" in answer.body  # the error page, not a traceback
    assert named.code != 400  # identified (then refused for want of kernels in this tier)
