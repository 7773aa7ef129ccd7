"""Issue 22 in Debian Chromium: a visitor reloading twice gets a live map each time, at once.

A reload closes the old page's kernel websocket with 1001 ("going away"): its kernel is freed
then, not when the grace period of an abrupt disconnect ends, so the client's share
(``kernels_per_client``, 2 here) is not used up by pages already left. Pages kept open still
count: a third open tab gets the busy page (429).
"""

from __future__ import annotations

import pytest

from tests.support.probe import slider_step, wait_for_map
from tests.support.voila_server import bare_page_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PER_CLIENT = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("reload") / "serve.log"
    options = (f"--MdvaxVoila.kernels_per_client={PER_CLIENT}", "--cull-idle-timeout", "60")
    with bare_page_server(log, args=options) as running:
        yield running


def test_reloading_twice_keeps_a_live_map(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        statuses = [page.goto(server.url).status]
        wait_for_map(page)
        for _ in range(2):
            statuses.append(page.reload().status)
            wait_for_map(page)  # the live map: the widgets came from a kernel
        assert statuses == [200, 200, 200]
        slider_step(page)  # and that kernel answers
        page.wait_for_function(
            "document.querySelector('path.leaflet-interactive')"
            ".getAttribute('fill-opacity') === '0.51'"
        )
        # The two pages left hold nothing: only this page's kernel is in use.
        server.wait_for(lambda h: h["in_use"] == 1, timeout=10)
    finally:
        context.close()
    server.wait_for(lambda h: h["in_use"] == 0, timeout=10)  # closing the tab frees it too


def test_open_tabs_still_count_against_the_share(server, browser):
    server.wait_for(lambda h: h["in_use"] == 0 and h["pool_ready"] >= 2, timeout=90)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        statuses = []
        for _ in range(PER_CLIENT + 1):
            page = context.new_page()
            statuses.append(page.goto(server.url).status)
            if statuses[-1] == 200:
                wait_for_map(page)
        assert statuses == [200] * PER_CLIENT + [429]
    finally:
        context.close()
