"""The fast tier's guard: a test not marked for it cannot start a server, a kernel or a browser."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from mdvax.errors import ServeError
from mdvax.serve.settings import SHARE_DIR
from tests.support.process import ServeProcess
from tests.support.tiers import UnmarkedSpawnError, heavy_command
from tests.support.voila_server import BARE_PAGE

REPO = Path(__file__).resolve().parent.parent


def test_commands_that_start_servers_kernels_or_browsers_are_told_apart():
    serve = ServeProcess("--notebook", str(BARE_PAGE), "--pool-size", "2")
    kernel = KernelSpecManager().get_kernel_spec("python3").argv
    driver = [
        "/venv/lib/playwright/driver/node",
        "/venv/lib/playwright/driver/cli.js",
        "run-driver",
    ]
    assert heavy_command(serve.args) == ("slow", "an `mdvax serve` server")
    assert heavy_command(["bash", "-c", f"{sys.executable} -m mdvax serve --port 9"])[0] == "slow"
    assert heavy_command(kernel) == ("slow", "a Jupyter kernel")
    served = json.loads((SHARE_DIR / "kernels" / "python3" / "kernel.json").read_text())["argv"]
    assert heavy_command([sys.executable, *served[1:]]) == ("slow", "a Jupyter kernel")
    code = "from mdvax.serve.kernel import use_bytecode_cache"  # imports it, starts no kernel
    assert heavy_command([sys.executable, "-OO", "-c", code]) is None
    assert heavy_command(driver)[0] == "browser"
    assert heavy_command(["/usr/sbin/nginx", "-p", "/tmp/x"]) == ("slow", "`nginx`")
    assert heavy_command([sys.executable, "-m", "pip", "install", "."])[0] == "slow"
    # Light commands stay in the fast tier.
    assert (
        heavy_command([sys.executable, "-m", "mdvax", "update", "--source", "maryland-csv"]) is None
    )
    assert heavy_command(["git", "-C", str(REPO), "log", "-1"]) is None
    assert heavy_command(f"{sys.executable} -c pass") is None


def test_an_unmarked_test_cannot_start_mdvax_serve(tmp_path):
    # The guard refuses before anything runs: no server process is left behind.
    server = ServeProcess("--notebook", str(BARE_PAGE), log_path=tmp_path / "serve.log")
    with pytest.raises(
        UnmarkedSpawnError, match=r"starts an `mdvax serve` server but is not marked `slow`"
    ):
        server.start(pool_timeout=1)
    assert server.process is None
    assert (tmp_path / "serve.log").read_bytes() == b""


@pytest.mark.slow
def test_a_server_that_never_gets_ready_is_stopped(tmp_path):
    server = ServeProcess("--notebook", str(BARE_PAGE), log_path=tmp_path / "serve.log")
    with pytest.raises(ServeError, match="condition not met"):
        server.start(pool_timeout=0.01)  # no server answers that soon
    assert server.process.poll() is not None


def test_tests_run_coroutines_through_the_helper_not_asyncio_run():
    # The session's Chromium keeps an asyncio loop running in the main thread: a test calling
    # asyncio.run() there would fail depending on the order tests run in.
    import ast

    offenders = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        if path == REPO / "tests" / "support" / "aio.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "asyncio"
            ):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == [], "use tests.support.aio.run instead of asyncio.run: " + ", ".join(
        offenders
    )
