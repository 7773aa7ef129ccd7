"""``mdvax serve`` without a browser: options, health, kernel cap, culling, hostile requests.

Real servers: ``python -m mdvax serve`` on a free loopback port serving the bare benchmark page
(an ipyleaflet map + slider), real kernels, a real websocket client.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from mdvax.cli import main
from mdvax.errors import ConfigError, ServeError
from mdvax.serve.app import KERNEL_ENV
from mdvax.serve.settings import ServeOptions
from tests.hostile_client import KernelClient
from tests.support.process import ServeProcess

REPO = Path(__file__).resolve().parent.parent
BARE_PAGE = REPO / "benchmarks" / "bare_page.ipynb"
KERNEL_ID = re.compile(r'"kernelId": "([0-9a-f-]{36})"')


def get(server: ServeProcess, path: str, follow: bool = True) -> tuple[int, dict, str]:
    """A raw GET (the path is sent exactly as given, no client-side normalisation)."""
    for _ in range(5):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        headers = dict(response.getheaders())
        connection.close()
        if follow and response.status in (301, 302) and "Location" in headers:
            path = re.sub(r"^https?://[^/]+", "", headers["Location"])
            continue
        return response.status, headers, body
    raise AssertionError(f"redirect loop at {path}")


def take_kernel(server: ServeProcess, query: str = "") -> str:
    """Open the page like a visitor's first request; returns the kernel id it was given."""
    server.wait_for(lambda h: h["pool_ready"] >= 1, timeout=120)
    status, _, body = get(server, "/" + query)
    assert status == 200, body[:500]
    return KERNEL_ID.search(body).group(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    args = ("--notebook", str(BARE_PAGE), "--pool-size", "1", "--max-kernels", "4")
    with ServeProcess(*args, log_path=log) as running:
        running.log = log
        yield running


# --- options ---------------------------------------------------------------------------------


def test_options_translate_to_voila_traitlets():
    options = ServeOptions(notebook=BARE_PAGE, port=9000, max_kernels=7, pool_size=3)
    argv = options.voila_argv()
    assert argv[0] == str(BARE_PAGE)
    assert "--Voila.ip=127.0.0.1" in argv
    assert "--Voila.port=9000" in argv
    assert "--MdvaxVoila.max_kernels=7" in argv
    assert "--MdvaxVoila.pool_size=3" in argv
    assert not any("cull" in arg for arg in argv)  # not given: the config files decide


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_kernels": 2, "pool_size": 2}, "must exceed the pool size"),
        ({"notebook": Path("/nonexistent/dash.ipynb")}, "notebook not found"),
        ({"port": 70000}, "port must be between"),
        ({"base_url": "vax"}, "base URL must start and end with '/'"),
        ({"cull_idle_timeout": 0}, "must be positive"),
    ],
)
def test_impossible_options_are_named(changes, message):
    options = ServeOptions(**{"notebook": BARE_PAGE, "pool_size": 1, **changes})
    with pytest.raises(ServeError, match=message):
        options.validate()


def test_bad_environment_value_is_named(monkeypatch):
    monkeypatch.setenv("MDVAX_SERVE_PORT", "lots")
    with pytest.raises(ConfigError, match="MDVAX_SERVE_PORT must be an integer"):
        ServeOptions(notebook=BARE_PAGE)


def test_cli_reports_bad_options_without_traceback(capsys):
    status = main(["serve", "--notebook", str(BARE_PAGE), "--max-kernels", "1", "--pool-size", "2"])
    assert status == 1
    err = capsys.readouterr().err
    assert "mdvax serve: error: max kernels (1) must exceed the pool size (2)" in err
    assert "Traceback" not in err


# --- health, cap, logs -----------------------------------------------------------------------


def test_kernel_launcher_keeps_its_bytecode_in_its_own_cache(tmp_path):
    cache = tmp_path / "bytecode"
    code = (
        "import sys; from mdvax.serve.kernel import use_bytecode_cache; use_bytecode_cache(); "
        "import colorsys; print(sys.pycache_prefix, sys.dont_write_bytecode)"
    )
    env = {**os.environ, "MDVAX_CACHE_DIR": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPYCACHEPREFIX", None)
    result = subprocess.run(
        [sys.executable, "-OO", "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [str(cache), "False"]
    assert [p.name for p in cache.rglob("colorsys*.pyc")] == [
        f"colorsys.{sys.implementation.cache_tag}.opt-2.pyc"
    ]


@pytest.mark.slow
def test_health_check_takes_no_kernel(server):
    before = server.wait_for(lambda h: h["pool_ready"] == 1, timeout=120)
    for _ in range(5):
        status, headers, body = get(server, "/healthz")
        assert status == 200
        assert headers["Content-Type"] == "application/json"
    after = json.loads(body)
    assert after["status"] == "ok"
    assert after["max_kernels"] == 4
    assert (after["live"], after["in_use"]) == (before["live"], before["in_use"])


@pytest.mark.slow
def test_template_and_theme_cannot_be_overridden(server):
    server.wait_for(lambda h: h["pool_ready"] >= 1, timeout=120)
    status, _, body = get(server, "/?template=classic&theme=dark")
    assert status == 200
    assert "mdvax-reload-notice" in body  # still the mdvax template
    assert "theme-light" in body
    assert "STYLE = " not in body  # sources stripped


@pytest.mark.slow
def test_execute_request_over_the_websocket_is_refused(server, tmp_path):
    kernel_id = take_kernel(server)
    marker = tmp_path / "executed"
    client = KernelClient(server, kernel_id)
    try:
        code = f"open({str(marker)!r}, 'w').write('ran')"
        content = {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
        }
        execute_id = client.send("execute_request", content)
        info_id = client.send("kernel_info_request", {})
        # The shell channel answers in order: an executed request would reply first.
        seen = client.messages(
            60,
            until=lambda m: (
                m["parent_header"].get("msg_id") == info_id and m["msg_type"] == "kernel_info_reply"
            ),
        )
    finally:
        client.close()
    reply = seen[-1]
    assert reply["msg_type"] == "kernel_info_reply"
    assert not marker.exists()
    assert all(m["parent_header"].get("msg_id") != execute_id for m in seen), seen
    assert reply["content"]["status"] == "ok"
    # mdvax serve's kernel spec (mdvax/serve/share/kernels/python3): ipykernel without debugpy
    assert "debugger" not in reply["content"]["supported_features"]


@pytest.mark.slow
def test_kernels_get_the_lean_environment(server):
    take_kernel(server)
    kernels = [psutil.Process(pid) for pid in server.kernel_pids()]
    assert kernels
    for kernel in kernels:
        # Launched (the kernel spec's command line) or forked from the template, which runs
        # with the same interpreter flags (its environment is the server's, as a kernel's).
        assert kernel.cmdline()[1:4] in (
            ["-OO", "-m", "mdvax.serve.kernel"],
            ["-OO", "-m", "mdvax.serve.fork.forkserver"],
        )
        assert kernel.cmdline()[1:4] == ["-OO", "-m", "mdvax.serve.fork.forkserver"] or (
            "--HistoryManager.enabled=False" in kernel.cmdline()
        )
        environment = kernel.environ()
        for name, value in KERNEL_ENV.items():
            assert environment[name] == value


@pytest.mark.slow
def test_kernel_cap_sends_busy_page_with_retry_after(server):
    statuses = []
    for _ in range(6):
        server.wait_for(lambda h: h["pool_ready"] >= 1 or h["in_use"] >= 3, timeout=120)
        status, headers, body = get(server, "/")
        statuses.append(status)
        if status == 503:
            break
    assert statuses[-1] == 503, statuses
    assert headers["Retry-After"] == "10"
    assert "The dashboard is busy" in body
    health = server.health()
    assert health["in_use"] == 3  # max_kernels 4 minus the pool of 1
    assert health["live"] <= 4


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [
        "/voila/files/../",
        "/voila/files/../pyproject.toml",
        "/voila/files/%2e%2e/pyproject.toml",
        "/voila/files/..%2fpyproject.toml",
        "/voila/files/%252e%252e%252fpyproject.toml",
        "/voila/files/bare_page.ipynb",
        "/voila/files/../data/README.md",
        "/voila/files/../mdvax/serve/voila.json",
        "/voila/static/../../../../../../pyproject.toml",
        "/voila/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
        "/voila/templates/../../../../pyproject.toml",
        "/voila/labextensions/../../../../../pyproject.toml",
        "/.git/config",
        "/voila/files/../.git/config",
        "/api/contents",
        "/api/contents/pyproject.toml",
        "/api/kernels",
        "/api/sessions",
        "/api/kernelspecs",
        "/tree",
        "/lab",
        "/voila/tree",
        "/voila/render/bare_page.ipynb",
        "/voila/api/contents/",
        "/bare_page.ipynb",
    ],
)
def test_nothing_but_the_dashboard_is_served(server, path):
    status, _, body = get(server, path)
    assert status in (403, 404, 405), (status, body[:300])
    for leaked in (
        "[project]",
        "[core]",
        "nbformat",
        "repositoryformatversion",
        "VoilaConfiguration",
        "Traceback",
        "kernel_id",
    ):
        assert leaked not in body, (path, leaked)


@pytest.mark.slow
def test_logs_are_json_lines_without_query_strings(server):
    get(server, "/healthz?date=<script>alert(1)</script>")
    lines = server.log.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    # The kernels' stderr, which Voila passes through, is JSON too.
    assert all(line.startswith("{") for line in lines), [
        line for line in lines if not line.startswith("{")
    ]
    health = [r for r in records if r.get("path") == "/healthz"]
    assert health
    assert {"time", "level", "logger", "message", "status", "duration_ms"} <= set(health[-1])
    assert "<script>" not in server.log.read_text(encoding="utf-8")
    assert any(r.get("status") == 403 for r in records)


@pytest.mark.slow
def test_burst_is_capped_then_idle_kernels_are_culled_back_to_the_pool():
    args = (
        "--notebook",
        str(BARE_PAGE),
        "--pool-size",
        "1",
        "--max-kernels",
        "5",
        "--cull-idle-timeout",
        "2",
        "--cull-interval",
        "1",
    )
    with ServeProcess(*args) as server:
        # 8 simultaneous first requests for 4 visitor slots: all pass a naive check at once.
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda _: get(server, "/"), range(8)))
        statuses = sorted(status for status, _, _ in answers)
        assert set(statuses) == {200, 503}, statuses
        assert statuses.count(200) <= 4
        taken = [KERNEL_ID.search(body).group(1) for status, _, body in answers if status == 200]
        assert len(set(taken)) == len(taken)
        # Nobody connected a websocket: every visitor kernel is idle and must be culled.
        final = server.wait_for(lambda h: h["in_use"] == 0 and h["live"] == 1, timeout=90)
        assert final["pool_ready"] == 1
        assert final["waiting"] == 0
        assert len(server.kernel_pids()) == 1
        for kernel_id in taken:
            status, _, body = get(server, f"/api/kernels/{kernel_id}")
            assert status == 404, body


@pytest.mark.slow
def test_without_a_pool_each_visitor_kernel_is_counted_and_reachable():
    from tests.hostile_client import take_kernel

    with ServeProcess("--notebook", str(BARE_PAGE), "--pool-size", "0") as server:
        pages = []  # open: a page closing its socket cleanly frees its kernel at once
        for visitors in (1, 2):
            pages.append(KernelClient(server, take_kernel(server)))
            assert pages[-1].request("kernel_info_request", {})["content"]["status"] == "ok"
            health = server.health()
            assert (health["in_use"], health["pool_ready"]) == (visitors, 0)
        for page in pages:
            page.close()
