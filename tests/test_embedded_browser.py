"""A newcomer's first visit on a machine that never fetched anything and cannot reach a source:
the dashboard shows the map from the packaged snapshot at once, with no upload prompt.

Expected figures are read from the packaged file with the csv module (``tests/test_embedded.py``).
"""

from __future__ import annotations

import pytest

from mdvax.notebooks import notebook_path
from tests.support.probe import wait_for_map
from tests.support.process import ServeProcess
from tests.support.voila_server import unreachable_source_env
from tests.test_embedded import raw_first_doses

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: A day in the middle of the packaged vintage (neither its first nor its last day).
MIDDLE_DAY = "2021-11-10"


@pytest.fixture(scope="module")
def offline_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("fresh") / "data"
    env = unreachable_source_env(data_dir)
    del env["MDVAX_EMBEDDED_SNAPSHOT"]  # the default: the packaged snapshot is the fallback
    log = data_dir.parent / "serve.log"
    notebook = str(notebook_path("dashboard.ipynb"))
    with ServeProcess("--notebook", notebook, "--pool-size", "1", env=env, log_path=log) as server:
        server.data_dir = data_dir
        yield server


def test_first_visit_offline_shows_the_map_from_the_packaged_snapshot(browser, offline_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(offline_server.url, wait_until="domcontentloaded")
        wait_for_map(page)
        text = page.inner_text("body")
        assert "the snapshot shipped with mdvax" in text
        assert "published it on 7 Mar 2022" in text
        assert "mdvax update" not in text  # no shell command for the public
        assert page.locator("input[type=file]").count() == 0  # no upload prompt
    finally:
        page.close()
    # Nothing was written to the data folder by a visit: the package's copy is read in place.
    assert not (offline_server.data_dir / "current.arrow").exists()


def test_a_link_into_the_packaged_snapshot_shows_that_days_figures(browser, offline_server):
    counties, unassigned = raw_first_doses(MIDDLE_DAY)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        query = f"?date={MIDDLE_DAY}&measure=first_dose&per_capita=0"
        page.goto(offline_server.url + query, wait_until="domcontentloaded")
        wait_for_map(page)
        headline = page.locator(".mdvax-headline").inner_text(timeout=60_000)
    finally:
        page.close()
    assert f"{counties + unassigned:,}" in headline
    assert f"{unassigned:,}" in headline
