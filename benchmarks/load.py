"""Load on loopback: a burst of visitors, most plain HTTP clients, some real Chromium pages.

    .venv/bin/python benchmarks/load.py [--visitors 100] [--browsers 10] [--over 10]

First one visitor alone (cold server: start to first map; then first paint, live map and bytes
of a first and a second visit, against Voila's bare page in the same run). Then the burst:
``--visitors`` arrivals spread evenly over ``--over`` seconds. A plain HTTP visitor fetches the
page as a browser would, checks that the view's still picture is in it, and on a live page opens
the kernel websocket and waits for the kernel to answer (as the page's script does), stays
``--hold`` seconds and leaves. Every ``visitors/browsers``-th visitor is a Chromium page
instead, timed to the first map shown (still or live) and to the live map. An error is any
answer other than 200/503/429, a page without the 24-county map, or a failure.

Prints p50/p95 time to the still map and to a live map, the same by kind of visitor and answer
(HTTP or Chromium; 200, 503 or 429; with the time to the first byte for HTTP: where the p95
goes), how many got a live kernel, errors, peak memory (server + kernels) and how long the
server took to return to its pool. A Chromium visitor stuck for 5 minutes counts as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from _serving import BARE_PAGE, DASHBOARD, filled_data_env, percentile
from _visit import http_visitor, measured_visit
from playwright.async_api import async_playwright

from tests.support.parts import chromium_path
from tests.support.probe import CHROMIUM_ARGS
from tests.support.process import ServeProcess

#: A middle day and a measure that is not the default.
QUERY = "?date=2021-03-24&measure=fully_vaccinated&per_capita=1"


class MemorySampler(threading.Thread):
    """Peak RSS of the server and its kernels, sampled every 0.25 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.server = psutil.Process(pid)
        self.peak = 0
        self.peak_kernels = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.25):
            try:
                procs = [self.server, *self.server.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in procs if p.is_running())
            except psutil.Error:
                continue
            self.peak = max(self.peak, rss)
            self.peak_kernels = max(self.peak_kernels, len(procs) - 1)


async def browser_visitor(browser, url: str, at: float, hold: float) -> dict:
    """A Chromium page at time ``at``: time to the first map (still or live), to the live map."""
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    result = {"kind": "chromium", "status": None, "still_ms": None, "live_ms": None, "error": ""}
    try:
        visit = await asyncio.wait_for(
            measured_visit(context, url, timeout_ms=120_000, settle=False), 300
        )
        result.update(status=visit["status"], still_ms=visit["first_map_ms"])
        result["live_ms"] = visit["live_ms"]
        if visit["status"] == 200 and visit["live_ms"] is None:
            result["error"] = "live page without a live map"
        await asyncio.sleep(hold)
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {str(error)[:80]}"
    finally:
        try:
            await asyncio.wait_for(context.close(), 30)
        except Exception as error:
            result["error"] = result["error"] or f"closing the page: {type(error).__name__}"
    return result


async def burst(url: str, port: int, visitors: int, browsers: int, over: float, hold: float):
    every = max(1, visitors // max(browsers, 1)) if browsers else visitors + 1
    start = time.monotonic() + 1.0
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=visitors) as pool:
            tasks = []
            for n in range(visitors):
                at = start + over * n / visitors
                if n % every == 0 and sum(1 for t in tasks if t[0]) < browsers:
                    tasks.append((True, browser_visitor(chromium, url, at, hold)))
                else:
                    call = loop.run_in_executor(pool, http_visitor, port, "/" + QUERY, at, hold)
                    tasks.append((False, call))
            results = await asyncio.wait_for(asyncio.gather(*(t for _, t in tasks)), 900)
        await chromium.close()
    return results


async def lone(url: str, server: ServeProcess | None = None, pool: int = 0) -> dict:
    """One visitor alone at ``url`` (the query alone when ``server`` is given).

    ``cold``: ``server`` started now, the browser already running (only if given); ``first``:
    a new browser profile, pool ready; ``second``: the same profile again.
    """
    visits = {}
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        if server is not None:  # started now, the browser being ready
            visits["started"] = time.monotonic()
            await asyncio.to_thread(server.start)
            url = server.url + url
            context = await chromium.new_context(viewport={"width": 1280, "height": 900})
            visits["cold"] = await measured_visit(context, url)
            await context.close()
            await asyncio.to_thread(
                server.wait_for, lambda h: h["in_use"] == 0 and h["pool_ready"] >= pool, 120
            )
        context = await chromium.new_context(viewport={"width": 1280, "height": 900})
        visits["first"] = await measured_visit(context, url)
        await visits["first"]["page"].close()
        visits["second"] = await measured_visit(context, url)
        await chromium.close()
    return visits


def cold_server(notebook: Path, env: dict, options: tuple, log: Path) -> ServeProcess:
    """``mdvax serve``, not started; its ``start()`` returns once ``/healthz`` answers."""
    server = ServeProcess("--notebook", str(notebook), *options, env=env, log_path=log)
    server.pool_size = lambda: 0  # not waiting for the pool
    return server


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def kernel_costs(server: ServeProcess, timeout: float = 60.0) -> str:
    """CPU-seconds each pooled (ready, unused) kernel took to start, and its USS/RSS.

    Measured once the kernels are idle (their CPU time no longer grows): ``/healthz`` counts a
    kernel as pooled as soon as it is started, before it has run the notebook.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(server.kernel_pids())
        time.sleep(0.5)
        if cpu_seconds(server.kernel_pids()) - before < 0.02:
            break
    figures = []
    for pid in server.kernel_pids():
        try:
            kernel = psutil.Process(pid)
            cpu = kernel.cpu_times()
            memory = kernel.memory_full_info()
        except psutil.Error:
            continue
        figures.append(
            f"{cpu.user + cpu.system:.2f} CPU-s, USS {memory.uss / 2**20:.0f} MB, "
            f"RSS {memory.rss / 2**20:.0f} MB"
        )
    return "; ".join(figures) or "no kernel"


def ms(values: list[float]) -> str:
    if not values:
        return "none"
    return f"p50 {statistics.median(values):.0f} ms, p95 {percentile(values, 95):.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=100)
    parser.add_argument("--browsers", type=int, default=10, help="of them, Chromium pages")
    parser.add_argument("--over", type=float, default=10.0, help="seconds the arrivals span")
    parser.add_argument("--hold", type=float, default=5.0, help="seconds each visitor stays")
    parser.add_argument("--max-kernels", type=int, default=12)
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--cull-idle-timeout", type=int, default=10)
    parser.add_argument("--cull-interval", type=int, default=2)
    parser.add_argument("--no-lone", action="store_true", help="skip the lone visitor")
    args = parser.parse_args()
    options = (
        *("--max-kernels", str(args.max_kernels), "--pool-size", str(args.pool_size)),
        *("--cull-idle-timeout", str(args.cull_idle_timeout)),
        *("--cull-interval", str(args.cull_interval)),
    )
    folder = Path(tempfile.mkdtemp(prefix="mdvax-load-"))
    with filled_data_env("2021-03-30") as (env, _source):
        if not args.no_lone:
            with ServeProcess("--notebook", str(BARE_PAGE), *options, env=env) as bare:
                bare_visit = asyncio.run(lone(bare.url))["first"]
        server = cold_server(DASHBOARD, env, options, folder / "serve.log")
        try:
            if args.no_lone:
                server.start()
            else:
                visits = asyncio.run(lone(QUERY, server, args.pool_size))
                started = visits["started"]
                print("\n== one visitor alone (Chromium, loopback, 2 cores) ==")
                cold, first, second = visits["cold"], visits["first"], visits["second"]
                to_map = cold["begin"] - started + cold["first_map_ms"] / 1000
                to_live = cold["begin"] - started + (cold["live_ms"] or 0) / 1000
                print(f"cold start -> first visitor's map: {to_map:.1f} s (still), "
                      f"{to_live:.1f} s (live)")  # fmt: skip
                print(
                    f"first paint (still map): {first['first_map_ms']:.0f} ms; live map: "
                    f"{first['live_ms']:.0f} ms; bare Voila page's map: "
                    f"{bare_visit['live_ms']:.0f} ms"
                )
                print(
                    f"bytes: first visit {first['bytes'] / 1e6:.2f} MB, second visit "
                    f"{second['bytes'] / 1e3:.0f} KB (bare page first visit "
                    f"{bare_visit['bytes'] / 1e6:.2f} MB)"
                )
                server.wait_for(lambda h: h["in_use"] == 0, timeout=120)
            server.wait_for(lambda h: h["pool_ready"] >= args.pool_size, timeout=120)
            print(f"pooled kernels, start to ready: {kernel_costs(server)}")
            sampler = MemorySampler(server.process.pid)
            sampler.start()
            results = asyncio.run(
                burst(
                    server.url + QUERY, server.port, args.visitors, args.browsers, args.over,
                    args.hold,
                )
            )  # fmt: skip
            left = time.monotonic()
            health = server.wait_for(
                lambda h: h["live"] <= args.pool_size and h["pool_ready"] >= args.pool_size,
                timeout=args.cull_idle_timeout + 3 * args.cull_interval + 120,
            )
            back_after = time.monotonic() - left
            sampler.stopped.set()
            report(args, results, sampler, health, back_after)
        finally:
            server.stop()


def by_class(results) -> None:
    """Time to the still map by kind of visitor and answer (where the p95 goes)."""
    for kind in ("http", "chromium"):
        for status in (200, 503, 429):
            group = [r for r in results if r["kind"] == kind and r["status"] == status]
            if not group:
                continue
            first = [r["first_byte_ms"] for r in group if r.get("first_byte_ms") is not None]
            extra = f"; first byte {ms(first)}" if first else ""
            still = [r["still_ms"] for r in group if r["still_ms"] is not None]
            print(f"  {kind} {status} ({len(group)}): map {ms(still)}{extra}")


def report(args, results, sampler, health, back_after) -> None:
    errors = [r for r in results if r["error"]]
    still = [r["still_ms"] for r in results if r["still_ms"] is not None]
    live = [r for r in results if r["live_ms"] is not None]
    browsers = [r for r in results if r["kind"] == "chromium"]
    print(
        f"\n== burst: {args.visitors} visitors over {args.over:.0f} s ({len(browsers)} in "
        f"Chromium), max {args.max_kernels} kernels, pool {args.pool_size} =="
    )
    print(f"time to a map (still or live), all visitors: {ms(still)}")
    shown = [r["still_ms"] for r in browsers if r["still_ms"]]
    print(f"  Chromium visitors, first map shown: {ms(shown)}")
    print(f"got a live kernel: {len(live)} (time to it answering / to the live map: "
          f"{ms([r['live_ms'] for r in live])})")  # fmt: skip
    print(f"  Chromium live maps: {ms([r['live_ms'] for r in browsers if r['live_ms']])}")
    by_class(results)
    statuses = {s: sum(r["status"] == s for r in results) for s in (200, 503, 429)}
    print(f"statuses: {statuses}; errors: {len(errors)}")
    for r in errors[:10]:
        print("  error:", r["kind"], r["status"], r["error"])
    print(
        f"peak memory, server + kernels: {sampler.peak / 2**20:.0f} MB "
        f"({sampler.peak_kernels} kernel processes at most)"
    )
    print(
        f"back to the pool ({health['live']} kernels) {back_after:.1f} s after the last "
        f"visitor left (culling idle {args.cull_idle_timeout} s, every {args.cull_interval} s)"
    )
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
