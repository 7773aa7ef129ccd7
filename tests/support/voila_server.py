"""A real Voila (``python -m mdvax serve``) on the dashboard notebook, on a free loopback port.

Used by the dashboard's browser tests and by the serving tests: the data folder is filled by the
real pipeline (``mdvax update``) from the local :class:`SourceServer`, or left empty with the
source URLs pointing at a closed port (the empty state).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mdvax.notebooks import notebook_path
from tests.support.process import ServeProcess
from tests.support.source_server import SourceServer

DASHBOARD = notebook_path("dashboard.ipynb")
#: A map and a slider, no mdvax dashboard: the serving tests' and benchmarks' baseline page.
BARE_PAGE = Path(__file__).resolve().parents[2] / "benchmarks" / "bare_page.ipynb"


#: Data folders filled by a real ``mdvax update``, by day: later fills of an empty folder with
#: the same day copy one (the cache stores paths relative to its folder), once per process.
_FILLED: dict[str, Path] = {}


def fill_cache(data_dir: Path, day: str = "2021-03-30") -> dict[str, str]:
    """Run ``mdvax update`` into ``data_dir`` from a local source server serving ``day``.

    An empty or missing ``data_dir`` gets a copy of the folder the first such update of ``day``
    filled; a folder holding data is always updated for real (an update while serving).
    Returns the environment variables that point mdvax at ``data_dir``.
    """
    env = {"MDVAX_DATA_DIR": str(data_dir)}
    empty = not data_dir.exists() or not any(data_dir.iterdir())
    if empty and day in _FILLED:
        shutil.copytree(_FILLED[day], data_dir, dirs_exist_ok=True)
        return env
    with SourceServer(day, max_page=700) as source:
        subprocess.run(
            [sys.executable, "-m", "mdvax", "update", "--source", "maryland-csv"],
            env={**os.environ, **env, "MDVAX_MARYLAND_CSV_URL": source.csv_url},
            check=True,
            capture_output=True,
            timeout=120,
        )
    if empty and day not in _FILLED:
        keep = Path(tempfile.mkdtemp(prefix=f"mdvax-filled-{day}-"))
        atexit.register(shutil.rmtree, keep, ignore_errors=True)
        _FILLED[day] = shutil.copytree(data_dir, keep / "data")
    return env


#: Sockets bound for the whole test session and never listening (see :func:`refusing_port`).
_HELD: list[socket.socket] = []


def refusing_port() -> int:
    """A loopback port that refuses connections for the rest of the test session.

    Bound, never listening: connecting gets a refusal, and no server started later (a Voila
    server picking a free port, a source server) can take the port over, as it could a port
    that was merely free a moment ago.
    """
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    _HELD.append(held)
    return held.getsockname()[1]


def unreachable_source_env(data_dir: Path) -> dict[str, str]:
    """Environment for an empty ``data_dir`` whose sources refuse connections."""
    dead = f"http://127.0.0.1:{refusing_port()}"
    return {
        "MDVAX_DATA_DIR": str(data_dir),
        "MDVAX_MARYLAND_CSV_URL": f"{dead}/maryland.csv",
        "MDVAX_MARYLAND_API_URL": f"{dead}/query",
        "MDVAX_MARYLAND_GITHUB_URL": f"{dead}/county.csv",
        "MDVAX_EMBEDDED_SNAPSHOT": "off",  # else the packaged snapshot is shown at once
        "MDVAX_HTTP_RETRIES": "0",
        "MDVAX_HTTP_TIMEOUT": "2",
    }


@contextmanager
def dashboard_server(
    data_dir: Path, *, filled: bool = True, args: tuple[str, ...] = ("--pool-size", "1")
) -> Iterator[ServeProcess]:
    """``mdvax serve`` on the dashboard with ``data_dir`` filled (or empty and offline).

    The server's log goes to ``<data_dir>/../serve.log``.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    env = fill_cache(data_dir) if filled else unreachable_source_env(data_dir)
    log = data_dir.parent / "serve.log"
    with ServeProcess("--notebook", str(DASHBOARD), *args, env=env, log_path=log) as server:
        yield server


@contextmanager
def bare_page_server(log: Path, args: tuple[str, ...] = ()) -> Iterator[ServeProcess]:
    """``mdvax serve`` on :data:`BARE_PAGE` with two preheated kernels, its log in ``log``."""
    options = ("--notebook", str(BARE_PAGE), "--pool-size", "2", *args)
    with ServeProcess(*options, log_path=log) as server:
        yield server


def bare_page_fixture(name: str):
    """A module-scoped pytest fixture called ``name``: a :func:`bare_page_server`.

    Use as ``server = bare_page_fixture("server")`` in a test module.
    """

    @pytest.fixture(scope="module", name=name)
    def serve(tmp_path_factory) -> Iterator[ServeProcess]:
        with bare_page_server(tmp_path_factory.mktemp(name) / "serve.log") as server:
            yield server

    return serve
