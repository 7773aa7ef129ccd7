"""Dashboard performance (issue 4): time to first map vs a bare page, slider restyle time and
websocket bytes per step, kernel memory per visitor, and proof that closed tabs' kernels are
culled back to the pool. Loopback only; prints figures.

    .venv/bin/python benchmarks/bench_dashboard.py [--visits 8] [--steps 20]
    .venv/bin/python benchmarks/bench_dashboard.py --vintages [--steps 40]

``--vintages`` measures the "As published on" control instead (issue 11, see ``_vintages.py``):
archive query, vintage switch (kernel side and in Chromium) and kernel RSS with 61 and 366
vintages.

Both notebooks are served by ``mdvax serve`` (preheated pool, culling) in the same run; the
dashboard reads a cache filled by ``mdvax update`` from the local source server.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import psutil
from _serving import BARE_PAGE, DASHBOARD, filled_data_env, percentile
from playwright.sync_api import sync_playwright

from tests.support.probe import WebsocketMeter, launch_chromium, slider_step, wait_for_map
from tests.support.process import ServeProcess

KERNEL_ID = re.compile(r'"kernelId": "([0-9a-f-]{36})"')


def visit(browser, server: ServeProcess) -> float:
    """One visitor in a fresh context: ms from navigation to 24 county shapes."""
    server.wait_for(lambda h: h["pool_ready"] >= server.pool_size(), timeout=120)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server.url)
    try:
        elapsed = wait_for_map(page)
    except Exception:
        page.screenshot(path="/tmp/benchfail.png")
        print(server.url, server.health(), page.inner_text("body")[:300])
        raise
    page.goto("about:blank")
    context.close()
    return elapsed


def slider_session(browser, server: ServeProcess, steps: int, handle: str) -> dict:
    """Step the slider ``steps`` times: restyle ms and websocket bytes per step, kernel RSS."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    meter = WebsocketMeter(page)
    page.goto(server.url)
    wait_for_map(page)
    page.wait_for_timeout(1500)  # let the initial widget traffic settle
    times, sizes = [], []
    # First and last position in turn: every county's colour changes on each step (a one-day
    # step may leave all colour classes unchanged, and then nothing is redrawn to time).
    for step in range(steps):
        meter.reset()
        times.append(slider_step(page, handle, "Home" if step % 2 == 0 else "End"))
        page.wait_for_timeout(300)  # the kernel's idle status and any echo arrive in here
        sizes.append(meter.bytes)
    kernel_id = KERNEL_ID.search(page.content()).group(1)
    memory = kernel_memory(server, kernel_id)
    page.goto("about:blank")
    page.close()
    return {"times": times, "sizes": sizes, "memory": memory, "left": time.monotonic()}


def kernel_memory(server: ServeProcess, kernel_id: str) -> dict[str, float]:
    """RSS, USS and PSS in MB of the kernel process named after ``kernel_id``.

    RSS counts the shared libraries' pages each kernel touched, shared with every other
    kernel; USS is what this kernel alone holds (freed when it ends), PSS its fair share."""
    found = server.kernel_files().get(kernel_id)
    if found is None:
        return dict.fromkeys(("rss", "uss", "pss"), float("nan"))
    info = psutil.Process(found[0]).memory_full_info()
    return {name: getattr(info, name) / 2**20 for name in ("rss", "uss", "pss")}


def culling_proof(
    server: ServeProcess, timeout: int, interval: int, left: float
) -> tuple[float, dict]:
    """Seconds from the last visitor leaving (``left``, monotonic) until the live kernels are
    back to the pool size."""
    limit = timeout + 3 * interval + 30
    health = server.wait_for(lambda h: h["live"] <= server.pool_size(), timeout=limit)
    return time.monotonic() - left, health


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=8, help="visits per notebook")
    parser.add_argument("--steps", type=int, default=20, help="slider steps per notebook")
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--cull-idle-timeout", type=int, default=10)
    parser.add_argument("--cull-interval", type=int, default=2)
    parser.add_argument("--slider", default=".noUi-handle", help="CSS selector of the handle")
    parser.add_argument("--vintages", action="store_true", help="the vintage switch instead")
    args = parser.parse_args()
    if args.vintages:
        import _vintages

        _vintages.main(args.steps)
        return
    notebooks = {"bare": BARE_PAGE, "dashboard": DASHBOARD}
    if not DASHBOARD.exists():
        print(f"note: {DASHBOARD} does not exist yet: measuring the bare page only")
        del notebooks["dashboard"]
    common = (
        "--pool-size",
        str(args.pool_size),
        "--max-kernels",
        "40",
        "--cull-idle-timeout",
        str(args.cull_idle_timeout),
        "--cull-interval",
        str(args.cull_interval),
    )
    with filled_data_env() as (env, _source), sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        servers = {
            name: ServeProcess("--notebook", str(path), *common, env=env)
            for name, path in notebooks.items()
        }
        try:
            for server in servers.values():
                server.start()
            first_map = {name: [] for name in servers}
            for _ in range(args.visits):  # interleaved, so both see the same machine load
                for name, server in servers.items():
                    first_map[name].append(visit(browser, server))
            sessions, culled = {}, {}
            for name, server in servers.items():  # each culling watched right after its session
                sessions[name] = slider_session(browser, server, args.steps, args.slider)
                culled[name] = culling_proof(
                    server, args.cull_idle_timeout, args.cull_interval, sessions[name]["left"]
                )
        finally:
            browser.close()
            for server in servers.values():
                server.stop()

    print(f"\n== navigation -> 24 county shapes ({args.visits} visits each, preheated pool) ==")
    for name, values in first_map.items():
        print(
            f"{name:>9}: p50 {statistics.median(values):7.0f} ms   p95 "
            f"{percentile(values, 95):7.0f} ms   min {min(values):6.0f}   max {max(values):6.0f}"
        )
    if "dashboard" in first_map:
        ratio = statistics.median(first_map["dashboard"]) / statistics.median(first_map["bare"])
        print(f"    ratio: dashboard / bare (p50) = {ratio:.2f}  (target <= 1.25)")
    print(f"\n== slider step (first <-> last position) -> map restyled ({args.steps} steps) ==")
    for name, session in sessions.items():
        times, sizes = session["times"], session["sizes"]
        print(
            f"{name:>9}: p50 {statistics.median(times):6.1f} ms  p95 {percentile(times, 95):6.1f}"
            f" ms (target < 100)  websocket p50 {statistics.median(sizes) / 1024:5.1f} KB"
            f"  max {max(sizes) / 1024:5.1f} KB per step (target < 10)"
        )
    print("\n== kernel memory per visitor (the slider session's kernel) ==")
    for name, session in sessions.items():
        memory = session["memory"]
        print(
            f"{name:>9}: RSS {memory['rss']:6.1f} MB (target < 150)   USS {memory['uss']:6.1f} MB"
            f"   PSS {memory['pss']:6.1f} MB"
        )
    total = args.visits + 1
    print(
        f"\n== culling: {total} visits per notebook, tabs closed, culling idle timeout "
        f"{args.cull_idle_timeout} s every {args.cull_interval} s =="
    )
    for name, (seconds, health) in culled.items():
        verdict = "OK" if health["live"] <= args.pool_size else "FAIL"
        print(
            f"{name:>9}: {verdict}: {health['live']} kernels running (pool {args.pool_size}) "
            f"{seconds:.1f} s after the last visitor left"
        )


if __name__ == "__main__":
    main()
