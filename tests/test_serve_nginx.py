"""Debian nginx with ``deploy/nginx-mdvax.conf`` in front of two ``mdvax serve`` instances.

Chromium loads the page through the proxy: the county map draws and a slider step restyles it,
which needs the kernel websocket to be upgraded through nginx and to reach the instance that
owns the kernel (sticky by client address).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.parts import missing_part
from tests.support.probe import slider_step, wait_for_map
from tests.support.process import ServeProcess, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
BARE_PAGE = REPO / "benchmarks" / "bare_page.ipynb"
SITE_CONF = REPO / "deploy" / "nginx-mdvax.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

MAIN_CONF = """
{user}
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/site.conf;
}}
"""


def site_conf(port: int, upstreams: list[int], prefix: Path) -> str:
    """The shipped site config with this test's ports and folders."""
    text = SITE_CONF.read_text(encoding="utf-8")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    text = text.replace("127.0.0.1:8866", f"127.0.0.1:{upstreams[0]}")
    text = text.replace("127.0.0.1:8867", f"127.0.0.1:{upstreams[1]}")
    text = text.replace("/srv/mdvax/reports/", f"{prefix}/reports/")
    assert text.count(f"127.0.0.1:{upstreams[1]}") == 1
    return text


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    if not os.path.exists(NGINX):
        missing_part("nginx is not installed (bash scripts/system-deps.sh)")
    prefix = tmp_path_factory.mktemp("nginx")
    (prefix / "reports").mkdir()
    (prefix / "reports" / "index.html").write_text("<h1>daily report</h1>", encoding="utf-8")
    args = ("--notebook", str(BARE_PAGE), "--pool-size", "1")
    with (
        ServeProcess(*args, log_path=prefix / "a.log") as first,
        ServeProcess(*args, log_path=prefix / "b.log") as second,
    ):
        port = free_port()
        (prefix / "site.conf").write_text(site_conf(port, [first.port, second.port], prefix))
        # As root (CI), workers would switch to "nobody", who cannot read pytest's 0700 folders.
        user = "user root root;" if os.geteuid() == 0 else ""
        (prefix / "nginx.conf").write_text(MAIN_CONF.format(prefix=prefix, user=user))
        check = subprocess.run(
            [NGINX, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr
        nginx = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")])
        try:
            url = f"http://127.0.0.1:{port}/"
            ServeProcess.wait_for(_Probe(url), lambda health: True, timeout=30)
            yield url, prefix, (first, second)
        finally:
            nginx.terminate()
            nginx.wait(timeout=20)


class _Probe:
    """Just enough of a ServeProcess for ``wait_for`` to poll ``/healthz`` through nginx."""

    def __init__(self, url: str):
        self.url = url
        self.process = None
        self.health = ServeProcess.health.__get__(self)


def test_dashboard_through_nginx_with_websocket(proxy, browser):
    url, _, instances = proxy
    context = browser.new_context()  # the session's Chromium (one Playwright per process)
    try:
        page = context.new_page()
        page.goto(url)
        wait_for_map(page)
        slider_step(page)  # needs the kernel websocket, through nginx
        page.wait_for_function(
            "document.querySelector('path.leaflet-interactive')"
            ".getAttribute('fill-opacity') === '0.51'"
        )
        page.goto("about:blank")
    finally:
        context.close()
    # The browser only talked to nginx; the instance saw the websocket upgrade (101).
    # Sticky: the page and its websocket were served by the same single instance.
    logs = [(p.log_path.read_text(encoding="utf-8")) for p in instances]
    served = [i for i, text in enumerate(logs) if '"path": "/", "status": 200' in text]
    upgraded = [i for i, text in enumerate(logs) if '/channels", "status": 101' in text]
    assert served == upgraded
    assert len(served) == 1
    assert '"forwarded_for": "127.0.0.1"' in logs[served[0]]


def test_static_reports_and_health_through_nginx(proxy):
    url, _, _ = proxy
    with urllib.request.urlopen(url + "reports/index.html") as response:
        assert response.read() == b"<h1>daily report</h1>"
    with urllib.request.urlopen(url + "healthz") as response:
        assert response.headers["Content-Type"] == "application/json"
        assert b'"status": "ok"' in response.read()


def test_proxy_limits_page_loads_refuses_query_sockets_and_sends_hsts(proxy):
    url, _, _ = proxy
    with urllib.request.urlopen(url + "healthz") as response:
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        assert response.headers["Server"] == "nginx"  # no version
    statuses = []
    for _ in range(16):  # HEAD: counted like a page load, but takes no kernel upstream
        request = urllib.request.Request(url, method="HEAD")
        try:
            with urllib.request.urlopen(request) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    assert 429 in statuses
    assert statuses.count(429) >= 16 - 11  # a burst of 10 (and 1 in the rate) at most passes
    for path in ("voila/query/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12, "voila/query/x"):
        with pytest.raises(urllib.error.HTTPError, match="403"):
            urllib.request.urlopen(url + path)
    with urllib.request.urlopen(url + "reports/index.html") as response:
        assert response.status == 200  # static files are not rate-limited


def test_a_foreign_host_is_refused_through_nginx(proxy):
    # nginx forwards the visitor's Host ($http_host): the instances check it (DNS rebinding).
    url, _, instances = proxy
    host, port = url.split("//", 1)[1].rstrip("/").split(":")
    statuses = {}
    for name in ("evil.example", f"evil.example:{port}", f"localhost:{port}", f"{host}:{port}"):
        request = urllib.request.Request(url + "healthz", headers={"Host": name})
        try:
            with urllib.request.urlopen(request) as response:
                statuses[name] = response.status
        except urllib.error.HTTPError as error:
            statuses[name] = error.code
    assert list(statuses.values()) == [400, 400, 200, 200]
    logs = "".join(p.log_path.read_text(encoding="utf-8") for p in instances)
    assert logs.count('"host": "evil.example') == 2  # refused by the instance, one line each
