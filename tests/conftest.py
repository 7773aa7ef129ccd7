"""Shared fixtures: a real source server on loopback and isolated data folders."""

from __future__ import annotations

import os

import pytest

from mdvax.config import Settings, get_settings
from tests.support.parts import in_ci
from tests.support.source_server import SourceServer
from tests.support.tiers import SpawnGuard

_SETTINGS = get_settings()
#: A PostgreSQL server for the archive tests (``make test`` starts one and sets
#: ``MDVAX_DATABASE_URL``). Read once and removed from the environment, so every other test, and
#: every process a test starts, uses its own SQLite file instead of sharing one database.
POSTGRES_URL = _SETTINGS.database_url
os.environ.pop("MDVAX_DATABASE_URL", None)
#: ``CI=true``: a test whose part (PostgreSQL, Chromium, nginx) is missing fails, never skips.
IN_CI = in_ci()

LATEST = "2021-03-30"

#: Fails a test that starts a server, a kernel or a browser without the marker keeping it out
#: of ``make test-fast`` (:mod:`tests.support.tiers`).
SPAWN_GUARD = SpawnGuard().install()
#: Fixtures whose tests are marked for them here, so no test module can forget it.
FIXTURE_MARKERS = {"browser": "browser", "postgres_url": "postgres"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items):
    for item in items:
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()) and not item.get_closest_marker(marker):
                item.add_marker(marker)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item):
    SPAWN_GUARD.item = item
    try:
        return (yield)
    finally:
        SPAWN_GUARD.item = None


@pytest.fixture
def source_server():
    """A started :class:`SourceServer` serving the 2021-03-30 snapshot."""
    with SourceServer(LATEST, max_page=700) as server:
        yield server


@pytest.fixture
def data_env(tmp_path, monkeypatch, source_server) -> Settings:
    """An empty data folder and the source URLs pointing at ``source_server``."""
    for name, value in source_server.environment(tmp_path / "data").items():
        monkeypatch.setenv(name, value)
    return get_settings()


@pytest.fixture
def filled_data_dir(data_env) -> Settings:
    """``data_env`` after a real update from the 2021-03-30 snapshot (CSV endpoint)."""
    from mdvax.pipeline import update

    update(source="maryland-csv")
    return data_env


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium (Playwright), one for the session's browser tests.

    Playwright's sync API keeps an asyncio loop running in the main thread while it is open, so
    tests run coroutines with :func:`tests.support.aio.run` (a thread of their own), never
    ``asyncio.run()``; ``tests/test_tiers.py`` checks.
    """
    from playwright.sync_api import sync_playwright

    from tests.support.probe import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def shared_dashboard(tmp_path_factory):
    """``mdvax serve`` on the dashboard with the 2021-03-30 data, for the whole session.

    Read-only: tests open pages at its ``url`` and nothing else (no update of its data, no
    signal to its kernels); a test that needs more starts its own
    (:func:`tests.support.voila_server.dashboard_server`).
    """
    from tests.support.voila_server import dashboard_server

    with dashboard_server(tmp_path_factory.mktemp("shared-dashboard") / "data") as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the PostgreSQL server for archive tests; skips locally without one, fails in CI."""
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI=true but MDVAX_DATABASE_URL is not set: run the tests with `make test`")
        pytest.skip("no PostgreSQL configured (set MDVAX_DATABASE_URL, e.g. via .ci/postgres.sh)")
    return POSTGRES_URL
