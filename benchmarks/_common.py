"""Helpers for the benchmark scripts: timing, temporary data folders, the fixture source server."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so `tests.support` imports when run as a script


def timed(action: Callable[[], object], repeat: int = 1) -> tuple[float, list[float]]:
    """Median seconds of ``repeat`` calls and every measurement."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def point_at(server, data_dir: Path) -> None:
    """Send mdvax's configuration to ``data_dir`` and the fixture ``server``."""
    os.environ.update(server.environment(data_dir))
    os.environ.pop("MDVAX_DATABASE_URL", None)


def report(title: str, rows: list[tuple[str, str]]) -> None:
    """Print figures as an aligned table."""
    print(f"\n== {title}")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
