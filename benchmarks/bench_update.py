"""Data layer: cold update (CSV and API), update with nothing new, loading the current table.

Run: ``.venv/bin/python benchmarks/bench_update.py`` (or ``make bench``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import point_at, report, timed

from tests.support.source_server import SourceServer


def main() -> None:
    from mdvax.api import load_metadata, load_table
    from mdvax.pipeline import update

    rows = []
    with SourceServer("2021-04-01", max_page=2000) as server:
        for source in ("maryland-csv", "maryland-api"):
            with tempfile.TemporaryDirectory() as folder:
                point_at(server, Path(folder))
                server.bytes_sent = 0
                seconds, _ = timed(lambda s=source: update(source=s))
                rows.append(
                    (
                        f"cold update, {source}",
                        f"{seconds * 1000:.0f} ms, {server.bytes_sent:,} bytes",
                    )
                )
                if source == "maryland-csv":
                    server.bytes_sent = 0
                    seconds, _ = timed(lambda: update(source="maryland-csv"), repeat=5)
                    rows.append(
                        (
                            "update, nothing new (304)",
                            f"{seconds * 1000:.0f} ms, {server.bytes_sent:,} body bytes in 5 runs",
                        )
                    )
                    seconds, _ = timed(load_table, repeat=20)
                    rows.append(
                        (
                            "load current table",
                            f"{seconds * 1000:.1f} ms ({len(load_table()):,} rows)",
                        )
                    )
                    seconds, _ = timed(load_metadata, repeat=20)
                    rows.append(("load metadata", f"{seconds * 1000:.2f} ms"))
        with tempfile.TemporaryDirectory() as folder:
            point_at(server, Path(folder))
            command = [sys.executable, "-m", "mdvax", "update", "--quiet"]
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=os.environ)
            cold = time.perf_counter() - start
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=os.environ)
            again = time.perf_counter() - start
        rows.append(("`mdvax update` process, cold", f"{cold * 1000:.0f} ms (imports included)"))
        rows.append(("`mdvax update` process, nothing new", f"{again * 1000:.0f} ms"))
    report("mdvax update (snapshot 2021-04-01, loopback server)", rows)


if __name__ == "__main__":
    main()
