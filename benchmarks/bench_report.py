"""Benchmark of the daily report: one report (update excluded) and a 30-day backfill.

Builds an archive of daily vintages from the committed snapshots through the real pipeline and a
real source server on 127.0.0.1: the three real snapshots (2021-03-23, 03-30, 04-01) and, for
the 20 days before the first one, the 2021-03-23 snapshot cut at that day (what the source
would have published then). The backfill then covers 30 days, 2021-03-03 to 2021-04-01; days
without a vintage of their own use the newest earlier one (the archive's as-of rule).

Usage: ``.venv/bin/python benchmarks/bench_report.py [--days 30] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.source_server import SourceServer, snapshot_days, snapshot_path

FIRST_REAL = "2021-03-23"


def cut(day: str) -> bytes:
    """The first real snapshot without the rows dated after ``day``."""
    lines = snapshot_path(FIRST_REAL).read_bytes().splitlines(keepends=True)
    stamp = day.replace("-", "/").encode()
    return lines[0] + b"".join(line for line in lines[1:] if line.split(b",")[1][:10] <= stamp)


def fill_archive(server: SourceServer, days: list[str]) -> int:
    """Record one vintage per day that has a (real or cut) snapshot; returns how many."""
    from mdvax.pipeline import update

    real = set(snapshot_days())
    recorded = 0
    for day in days:
        published = datetime.fromisoformat(day).replace(hour=16, tzinfo=UTC)
        if day in real:
            server.set_snapshot(day)
        elif day < FIRST_REAL:
            server.set_body(cut(day), published)
        else:
            continue
        update(source="maryland-csv")
        recorded += 1
    return recorded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="days of backfill (ending 2021-04-01)")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-report-")) if not args.keep else args.keep
    root.mkdir(parents=True, exist_ok=True)
    os.environ["MDVAX_DATA_DIR"] = str(root / "data")
    os.environ.pop("MDVAX_DATABASE_URL", None)
    last = date(2021, 4, 1)
    days = [(last - timedelta(days=i)).isoformat() for i in range(args.days - 1, -1, -1)]
    try:
        with SourceServer() as server:
            os.environ["MDVAX_MARYLAND_CSV_URL"] = server.csv_url
            started = time.perf_counter()
            vintages = fill_archive(server, days)
            print(f"archive: {vintages} vintages recorded in {time.perf_counter() - started:.1f} s")

        from mdvax.report import backfill, report

        started = time.perf_counter()
        one = report(root / "single")
        seconds = time.perf_counter() - started
        print(f"one report ({one.date}): {seconds:.1f} s, report.html {one.size / 1024:.0f} KiB")

        started = time.perf_counter()
        results = backfill(days[0], days[-1], root / "backfill")
        seconds = time.perf_counter() - started
        ok = [r for r in results if r.ok]
        sizes = [r.size for r in ok]
        print(
            f"backfill of {len(results)} days ({days[0]} to {days[-1]}): {seconds:.1f} s, "
            f"{seconds / len(results):.1f} s a report, {len(ok)} ok, "
            f"{len(results) - len(ok)} failed; report.html {min(sizes) / 1024:.0f} to "
            f"{max(sizes) / 1024:.0f} KiB"
        )
        for result in results:
            if not result.ok:
                print(f"  {result.date} failed: {result.message}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
