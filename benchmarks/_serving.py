"""Helpers shared by bench_dashboard.py and load.py: a filled data folder and the notebooks."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.support.source_server, when run as a script

from mdvax.notebooks import notebook_path  # noqa: E402

BARE_PAGE = REPO / "benchmarks" / "bare_page.ipynb"
DASHBOARD = notebook_path("dashboard.ipynb")


@contextmanager
def filled_data_env(day: str = "2021-03-30"):
    """Environment for a server whose cache was filled by ``mdvax update`` from the local
    source server (loopback, the committed snapshot of ``day``); yields (env, source_server)."""
    from tests.support.source_server import SourceServer

    with tempfile.TemporaryDirectory(prefix="mdvax-bench-") as tmp, SourceServer(day) as source:
        env = source.environment(Path(tmp) / "data")
        run_update(env)
        yield env, source


def run_update(env: dict) -> None:
    """``mdvax update`` from the CSV endpoint with ``env``; raises if it fails."""
    subprocess.run(
        [sys.executable, "-m", "mdvax", "update", "--source", "maryland-csv"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
