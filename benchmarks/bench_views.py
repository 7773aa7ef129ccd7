"""A flood of new views from one client (issue 22, item 2): what it costs the server and others.

    .venv/bin/python benchmarks/bench_views.py [--rate 37] [--seconds 30] [--code DIR]

A real ``mdvax serve`` on the dashboard, its data the 2021-08-16 snapshot (245 days, 4,900
views of the newest vintage), trusting 127.0.0.1 as its proxy and with the shipped per-client
limits. An attacker at one address (``X-Forwarded-For``) asks for a different view in every
request, ``--rate`` requests a second from 4 threads, for ``--seconds``. Meanwhile ``/healthz``
is polled and an honest Chromium visitor (another address) opens a view of its own.

Prints: the server process's CPU per attacking request (the event loop's cost of a new view;
the kernels, other processes, are not counted), the answers' statuses, ``/healthz`` median
and p95 quiet and under the flood, and the honest visitor's time to its still picture and to
its live map, quiet and under the flood.

``--code DIR`` serves another checkout's ``mdvax`` (``PYTHONPATH=DIR`` for the server only),
to compare a branch with the code before it on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import psutil
from _serving import DASHBOARD, REPO, filled_data_env, percentile
from _visit import honest_visit

from tests.support.process import ServeProcess

DAY = "2021-08-16"
FIRST, LAST = date(2020, 12, 14), date(2021, 8, 15)
MEASURES = ("at_least_one", "first_dose", "second_dose", "single_dose", "fully_vaccinated")
ATTACKER = "198.51.100.7"
#: The shipped per-client limits, stated (test servers lift them unless told).
OPTIONS = (
    "--pool-size", "2", "--max-kernels", "6",
    "--MdvaxVoila.trusted_proxies=127.0.0.1",
    "--MdvaxVoila.kernels_per_client=2", "--MdvaxVoila.sockets_per_client=6",
    "--MdvaxVoila.page_burst=20",
)  # fmt: skip


def all_views() -> list[str]:
    """Every view of the newest vintage as a query, shuffled (the same order every run)."""
    days = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
    views = [
        f"?date={day.isoformat()}&measure={measure}&daily={daily}&per_capita={per_capita}"
        for day in days
        for measure in MEASURES
        for daily in (0, 1)
        for per_capita in (0, 1)
    ]
    random.Random(22).shuffle(views)
    return views


def flood(port: int, views: list[str], rate: float, until: float, answers: Counter) -> None:
    """Ask for ``views`` in turn at ``rate`` a second (or as fast as answered) until ``until``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    step, at = 1 / rate, time.monotonic()
    for view in views:
        if time.monotonic() >= until:
            break
        time.sleep(max(0.0, at - time.monotonic()))
        at += step
        try:
            connection.request("GET", "/" + view, headers={"X-Forwarded-For": ATTACKER})
            response = connection.getresponse()
            response.read()
            answers[response.status] += 1
        except (OSError, http.client.HTTPException):
            answers["error"] += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.close()


def health_times(port: int, until: float) -> list[float]:
    """``/healthz`` answer times (ms), one request every 0.1 s until ``until``."""
    times = []
    while time.monotonic() < until:
        begin = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        connection.close()
        times.append((time.monotonic() - begin) * 1000)
        time.sleep(0.1)
    return times


def measure(server: ServeProcess, rate: float, seconds: float) -> dict:
    """The figures of one server: quiet first, then under the flood."""
    views = all_views()
    port = server.port
    quiet_health = health_times(port, time.monotonic() + 5)
    quiet = asyncio.run(honest_visit(server.url + "?date=2021-05-04&measure=first_dose"))
    server.wait_for(lambda h: h["pool_ready"] >= 2, 120)
    process = psutil.Process(server.process.pid)
    answers: Counter = Counter()
    cpu_before = sum(process.cpu_times()[:2])
    begin = time.monotonic()
    until = begin + seconds
    threads = [
        threading.Thread(target=flood, args=(port, views[n::4], rate / 4, until, answers))
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    flood_health: list[float] = []
    poller = threading.Thread(target=lambda: flood_health.extend(health_times(port, until)))
    poller.start()
    time.sleep(min(3.0, seconds / 4))
    visited = asyncio.run(honest_visit(server.url + "?date=2021-06-09&measure=second_dose"))
    for thread in [*threads, poller]:
        thread.join()
    elapsed = time.monotonic() - begin
    cpu = sum(process.cpu_times()[:2]) - cpu_before
    sent = sum(answers.values())
    return {
        "requests": sent,
        "rate": sent / elapsed,
        "answers": dict(answers),
        "cpu_per_request_ms": cpu / max(sent, 1) * 1000,
        "server_cpu_pct": cpu / elapsed * 100,
        "health_quiet": quiet_health,
        "health_flood": flood_health,
        "quiet": quiet,
        "flood": visited,
        "health": server.health(),
    }


def ms(value) -> str:
    return "none" if value is None else f"{value:,.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=37.0, help="attacking requests a second")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the flood")
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose mdvax serves")
    parser.add_argument(
        "--page-rate", type=float, default=0.5, help="MdvaxVoila.page_rate (1000: no rate limit)"
    )
    args = parser.parse_args()
    os.chdir(args.code)  # `python -m mdvax` puts the working directory first on sys.path
    with filled_data_env(DAY) as (env, _source), tempfile.TemporaryDirectory() as tmp:
        env = {**env, "PYTHONPATH": str(args.code.resolve())}
        log = Path(tmp) / "serve.log"
        options = (
            "--notebook",
            str(DASHBOARD),
            *OPTIONS,
            f"--MdvaxVoila.page_rate={args.page_rate}",
        )
        with ServeProcess(*options, env=env, log_path=log) as server:
            figures = measure(server, args.rate, args.seconds)
    print(f"\n== flood of new views, {args.code}: {args.rate:g} req/s asked, {args.seconds:g} s,")
    print(f"   page rate {args.page_rate:g}/s")
    print(f"  requests sent               {figures['requests']} ({figures['rate']:.1f}/s)")
    print(f"  answers                     {figures['answers']}")
    print(f"  server CPU per request      {figures['cpu_per_request_ms']:.2f} ms")
    print(f"  server CPU during flood     {figures['server_cpu_pct']:.0f} %")
    for name in ("quiet", "flood"):
        times = figures[f"health_{name}"]
        median, p95 = statistics.median(times), percentile(times, 95)
        print(f"  /healthz {name:<5} median/p95  {median:.1f} / {p95:.1f} ms ({len(times)} polls)")
    for name in ("quiet", "flood"):
        visit = figures[name]
        print(
            f"  honest visitor, {name:<5}      status {visit['status']}, still picture"
            f" {ms(visit['first_map_ms'])}, live map {ms(visit['live_ms'])}"
        )
    health = figures["health"]
    drawn = health.get("views_drawn", "not counted")
    print(f"  views drawn (server count)  {drawn}; rate-limited {health.get('rate_limited', '-')}")


if __name__ == "__main__":
    main()
