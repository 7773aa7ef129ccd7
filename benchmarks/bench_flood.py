"""Message floods into visitors' own kernels (issue 22, item 1): what they cost everyone else.

    .venv/bin/python benchmarks/bench_flood.py [--limits on|off] [--seconds 20] [--rate 2900]

Serves the dashboard (filled from the local source server). Quiet first, then two attacker
kernels each flooded over their websocket with date-slider updates (``--rate`` messages a
second in all; an attacker whose socket is closed reconnects at once) for ``--seconds``.
In each phase: ``/healthz`` latency (median, p95), one honest Chromium visitor's time to the
live map, server CPU (% of one core) and RSS. After the flood: the attacker kernels' CPU over
the next 10 s (a kernel still working through a queue) and the server's RSS. ``--limits off``
runs the same with ``MdvaxVoila.message_rate=0`` (no flood limits), for before/after figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil
import websocket
from _serving import DASHBOARD, filled_data_env, percentile
from _visit import honest_visit

from tests.hostile_client import KernelClient, take_kernel
from tests.support.process import ServeProcess
from tests.support.widget_states import widget_states


def health_ms(port: int, stop: threading.Event, out: list[float]) -> None:
    """``/healthz`` every 0.1 s until ``stop``: latencies in ms."""
    while not stop.wait(0.1):
        begin = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            out.append((time.monotonic() - begin) * 1000)
        except OSError:
            out.append(60_000.0)
        finally:
            connection.close()


def slider_comm(server: ServeProcess, kernel_id: str) -> tuple[str, int]:
    """The date slider's comm id and how many days it has."""
    states = widget_states(server, kernel_id)
    for comm_id, model in states.items():
        if model["model_name"] == "SelectionSliderModel":
            return comm_id, len(model["state"]["_options_labels"])
    raise RuntimeError("no date slider in the dashboard")


def attacker(server, kernel_id, comm_id, days, rate, stop, counts) -> None:
    """Send ``rate`` slider updates a second to ``kernel_id``, reconnecting when closed."""
    n = 0
    while not stop.is_set():
        try:
            client = KernelClient(server, kernel_id, timeout=10)
        except (OSError, websocket.WebSocketException):
            counts["refused"] += 1
            time.sleep(0.05)
            continue
        counts["connections"] += 1
        begin, sent = time.monotonic(), 0
        try:
            while not stop.is_set():
                state = {"index": n % days}
                data = {"method": "update", "state": state, "buffer_paths": []}
                client.send("comm_msg", {"comm_id": comm_id, "data": data})
                n, sent = n + 1, sent + 1
                counts["sent"] += 1
                ahead = sent / rate - (time.monotonic() - begin)
                if ahead > 0:
                    time.sleep(ahead)
        except (OSError, websocket.WebSocketException):
            counts["closed"] += 1
        finally:
            with contextlib.suppress(OSError, websocket.WebSocketException):
                client.close()


def cpu_percent(pids: list[int], seconds: float) -> float:
    """CPU of ``pids`` over the next ``seconds``, in % of one core."""
    procs = [psutil.Process(pid) for pid in pids]
    before = [sum(p.cpu_times()[:2]) for p in procs]
    time.sleep(seconds)
    after = [sum(p.cpu_times()[:2]) for p in procs]
    return 100 * (sum(after) - sum(before)) / seconds


def phase(server: ServeProcess, seconds: float) -> dict:
    """Health latency, an honest visit, server CPU over ``seconds`` (whatever else runs)."""
    stop, latencies = threading.Event(), []
    pinger = threading.Thread(target=health_ms, args=(server.port, stop, latencies))
    pinger.start()
    server_proc = psutil.Process(server.process.pid)
    cpu_before = sum(server_proc.cpu_times()[:2])
    begin = time.monotonic()
    live = asyncio.run(honest_visit(server.url))["live_ms"]
    time.sleep(max(0.0, seconds - (time.monotonic() - begin)))
    cpu = 100 * (sum(server_proc.cpu_times()[:2]) - cpu_before) / (time.monotonic() - begin)
    stop.set()
    pinger.join()
    return {
        "health_p50": statistics.median(latencies),
        "health_p95": percentile(latencies, 95),
        "live_ms": live,
        "server_cpu": cpu,
        "server_rss_mb": server_proc.memory_info().rss / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limits", choices=("on", "off"), default="on")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=2900.0)
    args = parser.parse_args()
    options = ["--pool-size", "2", "--max-kernels", "6", "--notebook", str(DASHBOARD)]
    if args.limits == "off":
        options.append("--MdvaxVoila.message_rate=0")
    with filled_data_env() as (env, _), tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "serve.log"
        with ServeProcess(*options, env=env, log_path=log) as server:
            server.wait_for(lambda h: h["pool_ready"] >= 2, 180)
            quiet = phase(server, args.seconds)
            server.wait_for(lambda h: h["in_use"] == 0 and h["pool_ready"] >= 2, 180)
            kernels = [take_kernel(server) for _ in range(2)]
            targets = [(k, *slider_comm(server, k)) for k in kernels]
            stop = threading.Event()
            counts = dict.fromkeys(("sent", "connections", "closed", "refused"), 0)
            threads = [
                threading.Thread(target=attacker, args=(server, *t, args.rate / 2, stop, counts))
                for t in targets
            ]
            for thread in threads:
                thread.start()
            time.sleep(2)  # the flood is on before the honest visitor comes
            flooded = phase(server, args.seconds)
            stop.set()
            for thread in threads:
                thread.join()
            pids = [server.kernel_pid(k) for k in kernels]
            after_cpu = cpu_percent(pids, 10)
            rss_after = psutil.Process(server.process.pid).memory_info().rss / 2**20
            records = sum(1 for line in log.read_text().splitlines() if "message flood" in line)
    report(args, quiet, flooded, counts, after_cpu, rss_after, records)


def report(args, quiet, flooded, counts, after_cpu, rss_after, records) -> None:
    print(f"flood limits {args.limits}: {args.rate:.0f} msg/s for {args.seconds:.0f} s")
    print(f"{'':24}{'quiet':>12}{'flood':>12}")
    for key, label in (
        ("health_p50", "/healthz p50 ms"),
        ("health_p95", "/healthz p95 ms"),
        ("live_ms", "honest live map ms"),
        ("server_cpu", "server CPU %"),
        ("server_rss_mb", "server RSS MB"),
    ):
        values = [quiet[key], flooded[key]]
        print(
            f"{label:24}"
            + "".join(f"{v:>12.0f}" if v is not None else f"{'-':>12}" for v in values)
        )
    print(
        f"sent {counts['sent']} updates over {counts['connections']} connections "
        f"({counts['closed']} closed, {counts['refused']} refused); flood log lines {records}"
    )
    print(f"attacker kernels' CPU in the 10 s after the flood: {after_cpu:.0f} %")
    print(f"server RSS after the flood: {rss_after:.0f} MB")


if __name__ == "__main__":
    main()
