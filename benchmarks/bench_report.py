"""Benchmark of the daily report over the state's history: one report, then a 61-day backfill.

Rebuilds the state's repository from ``tests/data/state-repo-2021-03-31_2021-05-31.fast-export.xz``
(61 publication days, 2021-03-31 to 2021-05-31), imports it with ``mdvax history import``, then
times:

- one report as published on the last day (``mdvax report --as-of 2021-05-31``: its own kernel);
- ``--fresh N`` reports built one kernel each, as ``mdvax report --as-of D`` does (the old
  backfill), for comparison;
- ``mdvax report --backfill 2021-04-01 2021-05-31``: 61 reports, ``--jobs N`` kept kernels at
  once (default: as ``mdvax report``; repeat ``--jobs`` to compare, e.g. ``--jobs 1 --jobs 2``:
  the backfills must give the same bytes, which is checked).

The machine is shared: the load averages before, during (sampled every second) and after, and
the CPU time used (this process and its kernels), are printed with the wall-clock figures.

Usage: ``.venv/bin/python benchmarks/bench_report.py [--start 2021-04-01] [--end 2021-05-31]
[--fresh 3] [--jobs N ...] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import filecmp
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.state_repo import build_state_repo


def load() -> str:
    """The 1, 5 and 15-minute load averages (2 cores: above 2 means waiting for a CPU)."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the kernels)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class LoadSampler(threading.Thread):
    """The 1-minute load average every second while a step runs (mean and maximum)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(1.0):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> str:
        self.done.set()
        self.join()
        if not self.samples:
            return "load n/a"
        return f"1-min load during: mean {statistics.mean(self.samples):.2f}, max {max(self.samples):.2f}"


def same_trees(a: Path, b: Path) -> bool:
    """Whether two report folders hold the same files with the same bytes."""
    names_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    names_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return names_a == names_b and all(
        filecmp.cmp(a / name, b / name, shallow=False) for name in names_a
    )


def per_report(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"mean {statistics.mean(seconds):.2f} s, median {statistics.median(seconds):.2f} s, "
        f"p95 {p95:.2f} s, max {max(seconds):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2021-04-01", help="first backfill day")
    parser.add_argument("--end", default="2021-05-31", help="last backfill day")
    parser.add_argument("--fresh", type=int, default=3, help="reports built one kernel each")
    parser.add_argument("--jobs", type=int, action="append",
                        help="kernels at once in the backfill (repeat to compare)")  # fmt: skip
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-report-"))
    root.mkdir(parents=True, exist_ok=True)
    os.environ["MDVAX_DATA_DIR"] = str(root / "data")
    os.environ["MDVAX_EMBEDDED_SNAPSHOT"] = "off"
    os.environ.pop("MDVAX_DATABASE_URL", None)
    print(f"start: {load()} ({os.cpu_count()} CPUs)")
    try:
        from mdvax.cli import main as mdvax

        repo = root / "VaccineCSVs"
        if not repo.exists():
            build_state_repo(repo)
        started = time.perf_counter()
        assert mdvax(["history", "import", "--repo", repo.as_uri(), "--quiet"]) == 0
        print(f"history import: {time.perf_counter() - started:.1f} s")

        from mdvax.report import backfill, report

        started = time.perf_counter()
        one = report(root / "single", as_of=args.end)
        print(
            f"one report (--as-of {one.date}, its own kernel): "
            f"{time.perf_counter() - started:.1f} s, report.html {one.size / 1024:.0f} KiB"
        )

        first = date.fromisoformat(args.start)
        fresh = [(first + timedelta(days=i)).isoformat() for i in range(args.fresh)]
        if fresh:
            seconds, cpu = [], cpu_seconds()
            for day in fresh:
                started = time.perf_counter()
                report(root / "fresh", as_of=day)
                seconds.append(time.perf_counter() - started)
            cpu = (cpu_seconds() - cpu) / len(fresh)
            print(f"{len(fresh)} reports, one kernel each: {per_report(seconds)} "
                  f"(CPU {cpu:.2f} s a report)")  # fmt: skip

        from mdvax.report.parallel import default_jobs

        built = []
        for jobs in args.jobs or [default_jobs()]:
            out = root / f"backfill-jobs{jobs}"
            shutil.rmtree(out, ignore_errors=True)
            print(f"backfill with {jobs} kernel(s) at once; start: {load()}")
            sampler = LoadSampler()
            sampler.start()
            cpu, started = cpu_seconds(), time.perf_counter()
            results = backfill(args.start, args.end, out, jobs=jobs)
            wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
            during = sampler.stop()
            ok = [r for r in results if r.ok]
            sizes = [r.size for r in ok]
            print(
                f"backfill {args.start} to {args.end}, {jobs} kept kernel(s): {len(results)} "
                f"reports ({len(ok)} ok) in {wall:.1f} s = {wall / len(results):.2f} s a report "
                f"(CPU {cpu / len(results):.2f} s a report); each report (execute + export) "
                f"{per_report([r.seconds for r in ok])}; report.html {min(sizes) / 1024:.0f} to "
                f"{max(sizes) / 1024:.0f} KiB; {during}"
            )
            for result in results:
                if not result.ok:
                    print(f"  {result.date} failed: {result.message}")
            built.append(out)
        for other in built[1:]:
            same = same_trees(built[0], other)
            print(f"{other.name} {'same bytes as' if same else 'DIFFERS from'} {built[0].name}")
    finally:
        print(f"end: {load()}")
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
