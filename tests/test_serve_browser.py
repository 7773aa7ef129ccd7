"""``mdvax serve`` in Debian Chromium: the map draws, a killed kernel shows a reload notice while
other visitors carry on, hostile query parameters execute nothing.

The bare benchmark page always runs; the dashboard (``mdvax/notebooks/dashboard.ipynb``, with a data
cache filled by the real pipeline from the local source server) once it exists.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest

from mdvax.notebooks import notebook_path
from tests.support.probe import county_fills, slider_step, wait_for_map
from tests.support.process import ServeProcess
from tests.support.source_server import SourceServer
from tests.support.voila_server import bare_page_fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
DASHBOARD = notebook_path("dashboard.ipynb")
ARTIFACTS = REPO / "test-artifacts"
KERNEL_ID = re.compile(r'"kernelId": "([0-9a-f-]{36})"')

HOSTILE_QUERY = (
    "?date=%3Cscript%3Ealert(1)%3C/script%3E"
    "&measure=%3Cimg%20src=x%20onerror=alert(2)%3E"
    "&per_capita=99999999999999999999999999999999"
    "&county=%22%3E%3Csvg%20onload=alert(3)%3E"
)


bare_server = bare_page_fixture("bare_server")


@pytest.fixture(scope="module")
def dashboard_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("dashboard") / "data"
    with SourceServer("2021-03-23", max_page=700) as source:
        env = source.environment(data_dir)
        update(env)
        log = data_dir.parent / "serve.log"
        with ServeProcess("--notebook", str(DASHBOARD), env=env, log_path=log) as server:
            server.source, server.data_env = source, env
            yield server


def update(env: dict) -> subprocess.CompletedProcess:
    """``mdvax update`` from the local source server's CSV endpoint."""
    return subprocess.run(
        [sys.executable, "-m", "mdvax", "update", "--source", "maryland-csv"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )


def open_page(browser, url: str):
    """A fresh visitor (own context) with a record of any JavaScript dialog."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url)
    return page


def close_page(page) -> None:
    page.goto("about:blank")
    page.context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"serve_{name}.png")


def kernel_process(server: ServeProcess, page) -> psutil.Process:
    """The kernel process serving ``page`` (its connection file is named after the kernel id)."""
    kernel_id = KERNEL_ID.search(page.content()).group(1)
    return psutil.Process(server.kernel_pid(kernel_id))


def test_bare_page_draws_the_counties_and_restyles(browser, bare_server):
    page = open_page(browser, bare_server.url)
    try:
        wait_for_map(page)
        before = county_fills(page)
        assert len(before) == 24
        assert set(before) == {"rgb(43, 140, 190) 0.5"}  # computed: #2b8cbe, opacity 0.5
        slider_step(page)
        page.wait_for_function(
            "document.querySelector('path.leaflet-interactive')"
            ".getAttribute('fill-opacity') === '0.51'"
        )
        screenshot(page, "bare_page")
        text = page.inner_text("body")
        assert "Traceback" not in text
        assert "from mdvax.api import geometry" not in page.content()  # sources stripped
        assert not page.dialogs
    finally:
        close_page(page)


def test_killed_kernel_tells_its_visitor_to_reload_and_spares_the_others(browser, bare_server):
    victim = open_page(browser, bare_server.url)
    other = open_page(browser, bare_server.url)
    try:
        wait_for_map(victim)
        wait_for_map(other)
        kernel_process(bare_server, victim).send_signal(signal.SIGKILL)
        notice = victim.wait_for_selector("#mdvax-reload-notice", timeout=60_000)
        assert "Reload the page" in notice.inner_text()
        screenshot(victim, "kernel_killed")
        # The other visitor's kernel still answers: a slider step restyles their map.
        slider_step(other)
        other.wait_for_function(
            "document.querySelector('path.leaflet-interactive')"
            ".getAttribute('fill-opacity') === '0.51'"
        )
        assert other.query_selector("#mdvax-reload-notice") is None
    finally:
        close_page(victim)
        close_page(other)


ABSURD_QUERY = "?date=9999-12-31&measure=__class__&per_capita=1e309&county=99999&date=0000-00-00"


@pytest.mark.parametrize(
    ("which", "query"),
    [("bare", HOSTILE_QUERY), ("dashboard", HOSTILE_QUERY), ("dashboard", ABSURD_QUERY)],
)
def test_hostile_query_parameters_execute_nothing(browser, request, which, query):
    server = request.getfixturevalue(f"{which}_server")
    page = open_page(browser, server.url + query)
    try:
        wait_for_map(page)
        page.wait_for_timeout(1000)  # let any injected handler fire (onerror, onload)
        screenshot(page, f"hostile_query_{which}_{len(query)}")
        assert page.dialogs == []
        assert page.query_selector("img[src='x']") is None
        assert page.query_selector("svg[onload]") is None
        scripts = page.eval_on_selector_all("script", "s => s.map(e => e.textContent)")
        assert not any("alert(1)" in script for script in scripts)
        text = page.inner_text("body")
        assert "Traceback" not in text
        if which == "dashboard":
            # Shown back to the visitor as text (escaped), never as markup.
            assert ("<script>alert(1)</script>" in text) == (query == HOSTILE_QUERY)
            assert len(page.query_selector_all("path.leaflet-interactive")) == 24
    finally:
        close_page(page)


def test_visitors_during_mdvax_update_see_a_complete_dashboard(browser, dashboard_server):
    # Newer snapshots are fetched and written while visitors keep arriving; every visitor must
    # see one complete vintage (never a half-written cache, an error or the empty state).
    updated = []

    def updates():
        for day in ("2021-03-30", "2021-04-01"):
            dashboard_server.source.set_snapshot(day)
            updated.append(update(dashboard_server.data_env).returncode)

    updater = threading.Thread(target=updates)
    updater.start()
    seen = []
    try:
        while updater.is_alive() or len(seen) < 2:
            page = open_page(browser, dashboard_server.url)
            try:
                wait_for_map(page)
                page.wait_for_selector("div.mdvax-asof >> text=Data as of")  # the live banner
                text = page.inner_text("body")
                assert "Traceback" not in text
                assert "Could not" not in text
                seen.append(re.search(r"Data as of (\d+ \w+ 2021)", text).group(1))
            finally:
                close_page(page)
    finally:
        updater.join()
    assert updated == [0, 0]
    assert seen
    assert set(seen) <= {"23 Mar 2021", "30 Mar 2021", "1 Apr 2021", "31 Mar 2021"}, seen
