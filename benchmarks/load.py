"""Load on loopback: N concurrent visitors in Chromium contexts, bounded in count and time.

    .venv/bin/python benchmarks/load.py [--visitors 20] [--hold 5] [--max-kernels 12]

Each visitor opens the dashboard and must see either the 24 counties or the busy page (HTTP 503);
none may see an error. While they are connected, ``mdvax update`` rewrites the cache from a newer
snapshot: visitors arriving during it must still see a complete dashboard. Reports peak memory
(server + kernels), p50/p95 time to first map, and how long after the visitors left the kernels
were back to the pool size.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil
from _serving import BARE_PAGE, DASHBOARD, filled_data_env, percentile, run_update
from playwright.async_api import async_playwright

from mdvax.serve.probe import CHROMIUM_ARGS, COUNTY_PATHS
from mdvax.serve.process import ServeProcess

ERROR_TEXT = ("Traceback", "Error", "error occurred", "Exception")


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


async def visitor(browser, url: str, hold: float, start_gate: asyncio.Event) -> dict:
    """One visitor: open, wait for the map or the busy page, stay ``hold`` s, leave."""
    await start_gate.wait()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    begin = time.monotonic()
    result = {"outcome": "error", "ms": None, "detail": ""}
    try:
        response = await page.goto(url, timeout=120_000)
        if response.status == 503:
            result.update(outcome="busy", detail=response.headers.get("retry-after", ""))
        else:
            await page.wait_for_function(
                f"document.querySelectorAll({COUNTY_PATHS!r}).length >= 24", timeout=120_000
            )
            result["ms"] = (time.monotonic() - begin) * 1000
            text = await page.inner_text("body")
            bad = [word for word in ERROR_TEXT if word in text]
            result.update(outcome="map" if not bad else "error", detail=",".join(bad))
            await page.wait_for_timeout(hold * 1000)
    except Exception as error:
        body = await page.inner_text("body") if not page.is_closed() else ""
        shown = " ".join(body.split())[:80]
        result["detail"] = f"{type(error).__name__}: {str(error)[:80]} (page shows: {shown!r})"
    finally:
        await page.goto("about:blank")
        await context.close()
    return result


async def run_visitors(url: str, count: int, hold: float) -> list[dict]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        gate = asyncio.Event()
        tasks = [asyncio.create_task(visitor(browser, url, hold, gate)) for _ in range(count)]
        gate.set()
        results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=600)
        await browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=20)
    parser.add_argument("--hold", type=float, default=5.0, help="seconds each visitor stays")
    parser.add_argument("--max-kernels", type=int, default=12)
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--cull-idle-timeout", type=int, default=60)
    parser.add_argument("--cull-interval", type=int, default=2)
    parser.add_argument("--bare", action="store_true", help="load the bare page instead")
    args = parser.parse_args()
    notebook = BARE_PAGE if args.bare or not DASHBOARD.exists() else DASHBOARD
    options = (
        "--notebook",
        str(notebook),
        "--max-kernels",
        str(args.max_kernels),
        "--pool-size",
        str(args.pool_size),
        "--cull-idle-timeout",
        str(args.cull_idle_timeout),
        "--cull-interval",
        str(args.cull_interval),
    )
    log = Path(tempfile.mkdtemp(prefix="mdvax-load-")) / "serve.log"
    with (
        filled_data_env("2021-03-23") as (env, source),
        ServeProcess(*options, env=env, log_path=log) as server,
    ):
        sampler = MemorySampler(server.process.pid)
        sampler.start()
        # Halfway through the arrivals, the cache is rewritten from a newer snapshot.
        source.set_snapshot("2021-03-30")
        updater = threading.Timer(2.0, run_update, args=(env,))
        updater.start()
        results = asyncio.run(run_visitors(server.url, args.visitors, args.hold))
        updater.join()
        left = time.monotonic()
        health = server.wait_for(
            lambda h: h["live"] <= args.pool_size,
            timeout=args.cull_idle_timeout + 3 * args.cull_interval + 60,
        )
        back_after = time.monotonic() - left
        sampler.stopped.set()

    outcomes = {
        kind: sum(r["outcome"] == kind for r in results) for kind in ("map", "busy", "error")
    }
    times = [r["ms"] for r in results if r["ms"] is not None]
    print(
        f"\n== {args.visitors} concurrent visitors on {notebook.name} (max {args.max_kernels} "
        f"kernels, pool {args.pool_size}, 2-core loopback) =="
    )
    print(
        f"saw the 24 counties: {outcomes['map']}   busy page (503): {outcomes['busy']}   "
        f"errors: {outcomes['error']}"
    )
    for result in results:
        if result["outcome"] == "error":
            print("  error:", result["detail"])
    if times:
        print(
            f"time to first map: p50 {statistics.median(times):.0f} ms   p95 "
            f"{percentile(times, 95):.0f} ms   max {max(times):.0f} ms"
        )
    print(
        f"peak memory, server + kernels: {sampler.peak / 2**20:.0f} MB "
        f"({sampler.peak_kernels} kernel processes at most)"
    )
    print("mdvax update ran during the visits (2021-03-23 -> 2021-03-30 snapshot)")
    print(
        f"after the visitors left: {health['live']} kernels running (pool {args.pool_size}) "
        f"{back_after:.1f} s later (culling: idle {args.cull_idle_timeout} s, every "
        f"{args.cull_interval} s)"
    )
    culled = log.read_text(encoding="utf-8").count("Culling ")
    print(f"kernels culled: {culled}; server log: {log}")
    if outcomes["error"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
