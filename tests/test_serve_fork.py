"""Kernels forked from the fork server's template, with a real ``mdvax serve`` and real kernels.

What a kernel shows is read over its websocket as the page's JavaScript reads it (the widget
states), and checked against figures computed from the raw CSV (:mod:`tests.support.raw_views`).
"""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import date, datetime
from pathlib import Path

import psutil
import pytest

from mdvax.config import get_settings
from mdvax.serve.fork.provisioner import RESTART_DELAY_S
from tests.hostile_client import take_kernel
from tests.support.process import ServeProcess
from tests.support.raw_views import raw_view
from tests.support.voila_server import DASHBOARD, fill_cache
from tests.support.widget_states import html_values, widget_states

pytestmark = pytest.mark.slow  # real `mdvax serve` servers or kernels

RAW_DAY = "2021-03-30"  # the snapshot the cache is filled from
DAY = date(2021, 3, 26)  # a middle day, not the default (the last)
QUERY = f"?date={DAY.isoformat()}&measure=fully_vaccinated&per_capita=0"


def serve(data_env: dict, log, *args: str) -> ServeProcess:
    """``mdvax serve`` on the dashboard, no pool (each visit starts its kernel), 3 s to connect."""
    options = ("--notebook", str(DASHBOARD), "--pool-size", "0", "--max-kernels", "4")
    connect = "--MdvaxVoila.connect_timeout=3"
    return ServeProcess(*options, connect, *args, env=data_env, log_path=log)


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> dict:
    return fill_cache(tmp_path_factory.mktemp("fork") / "data", day=RAW_DAY)


@pytest.fixture(scope="module")
def server(filled, tmp_path_factory):
    with serve(filled, tmp_path_factory.mktemp("fork-log") / "serve.log") as running:
        yield running


def records(server: ServeProcess) -> list[dict]:
    lines = server.log_path.read_text(encoding="utf-8").splitlines()
    assert all(line.startswith("{") for line in lines), [x for x in lines if x[:1] != "{"]
    return [json.loads(line) for line in lines]


def forked(server: ServeProcess, kernel_id: str) -> bool:
    """The server logged that it forked ``kernel_id``."""
    return any(
        r.get("message") == "kernel forked" and r.get("kernel_id") == kernel_id
        for r in records(server)
    )


def headline(server: ServeProcess, kernel_id: str) -> str:
    """The dashboard's headline as the kernel holds it (what the page's JavaScript fetches)."""
    values = html_values(widget_states(server, kernel_id))
    return next(v for v in values if "mdvax-headline" in v)


def expected_headline(snapshot: str, day: date) -> str:
    view = raw_view(snapshot, day, "fully_vaccinated", daily=False, per_capita=False)
    return f'<span class="mdvax-big">{view.total:,}</span> fully vaccinated in Maryland on {day:%d %b %Y}'


def gone(pid: int, timeout: float = 15) -> bool:
    """The process ``pid`` ended and was reaped (a zombie still has its pid)."""
    deadline = time.monotonic() + timeout
    while psutil.pid_exists(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_forked_kernel_serves_the_view_asked_for(server):
    kernel_id = take_kernel(server, query=QUERY)
    assert forked(server, kernel_id)
    kernel = psutil.Process(server.kernel_pid(kernel_id))
    assert kernel.ppid() == server.template_pid()
    assert os.getpgid(kernel.pid) == kernel.pid  # its own process group, as a launched kernel
    # Below the server's priority (the default niceness, 10, added to the template's).
    assert kernel.nice() == psutil.Process(server.template_pid()).nice() + 10
    assert expected_headline(RAW_DAY, DAY) in headline(server, kernel_id)
    records(server)  # every line of the server's and kernels' stderr is JSON


def test_a_reclaimed_forked_kernel_dies_and_is_reaped(server):
    kernel_id = take_kernel(server)  # no websocket: reclaimed after the 3 s connect timeout
    assert forked(server, kernel_id)
    pid = server.kernel_pid(kernel_id)
    server.wait_for(lambda h: h["live"] == 0, timeout=60)
    assert gone(pid)


def test_kernels_still_start_when_the_template_dies(server):
    survivor_id = take_kernel(server)
    survivor = server.kernel_pid(survivor_id)
    template = server.template_pid()
    os.kill(template, signal.SIGKILL)
    kernel_id = take_kernel(server, query=QUERY)  # launched the usual way
    assert not forked(server, kernel_id)
    assert gone(template)  # the server noticed, and reaped it
    assert any(
        r.get("message") == "kernel started without the fork server" for r in records(server)
    )
    launched = psutil.Process(server.kernel_pid(kernel_id))
    assert launched.cmdline()[1:4] == ["-OO", "-m", "mdvax.serve.kernel"]
    assert expected_headline(RAW_DAY, DAY) in headline(server, kernel_id)
    assert psutil.pid_exists(survivor)  # a forked kernel outlives its template
    # The next launch once RESTART_DELAY_S has passed since it started starts a new template.
    first = next(r for r in records(server) if r.get("message") == "fork server starting")
    started = datetime.strptime(first["time"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
    time.sleep(max(0.0, started + RESTART_DELAY_S + 2 - time.time()))  # times to the second
    assert not forked(server, take_kernel(server))
    ready = lambda: sum(r.get("message") == "fork server ready" for r in records(server))  # noqa: E731
    deadline = time.monotonic() + 120
    while ready() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ready() == 2
    assert server.template_pid() not in (None, template)
    assert forked(server, take_kernel(server))


def test_preloaded_data_is_not_served_after_an_update(tmp_path):
    # No archive: the dashboard then shows the cached table itself (with one, it would load the
    # newest vintage from the archive and hide stale data).
    archive = tmp_path / "data" / "archive.sqlite"
    data_env = fill_cache(tmp_path / "data", day="2021-03-23")
    archive.unlink()
    with serve(data_env, tmp_path / "serve.log") as server:
        before = take_kernel(server, query="?measure=fully_vaccinated&per_capita=0")
        assert forked(server, before)
        assert expected_headline("2021-03-23", date(2021, 3, 23)) in headline(server, before)
        fill_cache(tmp_path / "data", day=RAW_DAY)  # mdvax update while serving
        archive.unlink()
        after = take_kernel(server, query="?measure=fully_vaccinated&per_capita=0")
        assert forked(server, after)
        assert expected_headline(RAW_DAY, date(2021, 3, 30)) in headline(server, after)


def test_fork_server_can_be_turned_off(filled, tmp_path):
    niceness = "--MdvaxKernelManager.kernel_niceness=3"  # not the default
    with serve(filled, tmp_path / "serve.log", "--no-fork-kernels", niceness) as server:
        kernel_id = take_kernel(server, query=QUERY)
        assert server.template_pid() is None
        assert not forked(server, kernel_id)
        launched = psutil.Process(server.kernel_pid(kernel_id))
        assert launched.cmdline()[1:4] == ["-OO", "-m", "mdvax.serve.kernel"]
        assert launched.nice() == psutil.Process(server.process.pid).nice() + 3
        assert expected_headline(RAW_DAY, DAY) in headline(server, kernel_id)


def test_the_served_kernel_spec_names_the_registered_provisioner():
    from mdvax.serve.fork.provisioner import PROVISIONER_NAME, require_registered
    from mdvax.serve.settings import SHARE_DIR

    spec = json.loads((SHARE_DIR / "kernels" / "python3" / "kernel.json").read_text())
    assert spec["metadata"]["kernel_provisioner"]["provisioner_name"] == PROVISIONER_NAME
    require_registered()  # the entry point in pyproject.toml is installed


def test_the_template_finds_the_dashboards_preload_hook_by_name():
    from mdvax.dashboard import preload
    from mdvax.serve.fork.forkserver import PRELOAD_HOOK, preload_hook

    assert preload_hook(PRELOAD_HOOK) is preload.preload
    with pytest.raises(ValueError, match=r"no preload hook 'mdvax\.dashboard\.preload:nothing'"):
        preload_hook("mdvax.dashboard.preload:nothing")
    with pytest.raises(ValueError, match=r"hook 'mdvax\.dashboard\.preload:IMPORTS' is not"):
        preload_hook("mdvax.dashboard.preload:IMPORTS")


def test_the_preload_hook_loads_once_then_only_after_an_update(filled, tmp_path, monkeypatch):
    from mdvax.dashboard import preload, shared
    from mdvax.dashboard.model import DashboardData

    data = tmp_path / "data"
    data.mkdir()
    for name in ("current.arrow", "current.json"):  # a copy: the update below changes it only
        (data / name).write_bytes((Path(filled["MDVAX_DATA_DIR"]) / name).read_bytes())
    monkeypatch.setenv("MDVAX_DATA_DIR", str(data))
    monkeypatch.setattr(shared, "_kept", None)
    settings = get_settings()
    assert preload.preload() is True  # the first call loads
    kept = shared.take(settings)
    assert kept is not None
    assert kept.last_date == date.fromisoformat(RAW_DAY)
    assert preload.preload() is False  # nothing changed: nothing reloaded
    fresh = data / "fresh.arrow"  # what `mdvax update` does: a new file in the table's place
    fresh.write_bytes((data / "current.arrow").read_bytes())
    os.replace(fresh, data / "current.arrow")
    assert shared.take(settings) is None  # kernels read the new files themselves meanwhile
    assert preload.preload() is True
    assert DashboardData.load(settings).table is shared.take(settings).table
