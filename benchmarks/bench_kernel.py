"""What one dashboard kernel costs, forked from the fork server's template or launched as before.

    .venv/bin/python benchmarks/bench_kernel.py [--kernels 4]

Two real ``mdvax serve`` runs on the dashboard (cache filled by ``mdvax update`` from the local
fixture source), one with the fork server and one with ``--no-fork-kernels``, both without a
preheated pool so each page request starts its own kernel. For each of ``--kernels`` visits
(one after the other, every kernel kept alive until the end), per kernel:

- ``wall``: seconds of the page request: kernel launch, notebook executed, page sent;
- ``cpu_exec``: CPU-seconds (user + system) of the kernel process once the page was sent,
  i.e. from its start to the notebook executed;
- ``cpu_page``: the same after the page's widgets were fetched over the websocket as the
  browser does (``request_states``): the kernel's whole cost of one page view;
- ``uss``, ``pss``, ``rss``: MB from psutil's ``memory_full_info`` after that. USS is what the
  kernel alone holds (freed when it ends); PSS its fair share of pages shared with the template
  and the other kernels.

It also prints the template's own figures (paid once per server) and the load average.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from _serving import DASHBOARD, filled_data_env

from tests.support.process import ServeProcess
from tests.support.widget_states import widget_states

KERNEL_ID = re.compile(r'"kernelId": "([0-9a-f-]{36})"')
QUERY = "?measure=fully_vaccinated&per_capita=1"


def visit(server: ServeProcess) -> dict[str, float]:
    """One page view that starts a kernel; its figures."""
    begin = time.monotonic()
    with urllib.request.urlopen(server.url + QUERY, timeout=180) as response:
        body = response.read().decode()
    wall = time.monotonic() - begin
    kernel_id = KERNEL_ID.search(body).group(1)
    kernel = psutil.Process(server.kernel_pid(kernel_id))
    executed = kernel.cpu_times()
    widget_states(server, kernel_id)
    page = kernel.cpu_times()
    memory = kernel.memory_full_info()
    return {
        "wall": wall,
        "cpu_exec": executed.user + executed.system,
        "cpu_page": page.user + page.system,
        "uss": memory.uss / 2**20,
        "pss": memory.pss / 2**20,
        "rss": memory.rss / 2**20,
        "forked": kernel.ppid() != server.process.pid,
    }


def wait_for_template(server: ServeProcess, timeout: float = 120) -> psutil.Process:
    """The template, once it listens (its start is not counted in the first visit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "fork server ready" in server.log_path.read_text(encoding="utf-8"):
            return psutil.Process(server.template_pid())
        time.sleep(0.2)
    raise RuntimeError("the fork server did not get ready")


def run(env: dict, kernels: int, fork: bool, log: Path) -> tuple[list[dict], str]:
    """``kernels`` visits on a fresh server; per-kernel figures and a line on the template."""
    options = ["--notebook", str(DASHBOARD), "--pool-size", "0"]
    options += ["--max-kernels", str(kernels + 1)]
    if not fork:
        options.append("--no-fork-kernels")
    with ServeProcess(*options, env=env, log_path=log) as server:
        template = wait_for_template(server) if fork else None
        figures = [visit(server) for _ in range(kernels)]
        note = ""
        if template is not None:
            cpu, memory = template.cpu_times(), template.memory_full_info()
            note = (
                f"template: {cpu.user + cpu.system:.2f} CPU-s once, USS {memory.uss / 2**20:.0f}"
                f" MB, PSS {memory.pss / 2**20:.0f} MB, RSS {memory.rss / 2**20:.0f} MB"
            )
    return figures, note


def table(name: str, figures: list[dict]) -> None:
    print(f"\n== {name}")
    print("  kernel  forked  wall s  cpu_exec  cpu_page  USS MB  PSS MB  RSS MB")
    for n, f in enumerate(figures, 1):
        print(
            f"  {n:>6}  {'yes' if f['forked'] else 'no':>6}  {f['wall']:6.2f}  {f['cpu_exec']:8.2f}"
            f"  {f['cpu_page']:8.2f}  {f['uss']:6.1f}  {f['pss']:6.1f}  {f['rss']:6.1f}"
        )
    med = {k: statistics.median(f[k] for f in figures) for k in figures[0] if k != "forked"}
    print(
        f"  median          {med['wall']:6.2f}  {med['cpu_exec']:8.2f}  {med['cpu_page']:8.2f}"
        f"  {med['uss']:6.1f}  {med['pss']:6.1f}  {med['rss']:6.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=4, help="kernels started per mode")
    args = parser.parse_args()
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with filled_data_env() as (env, _source), tempfile.TemporaryDirectory() as tmp:
        forked, note = run(env, args.kernels, True, Path(tmp) / "fork.log")
        launched, _ = run(env, args.kernels, False, Path(tmp) / "launch.log")
    table("fork server (default)", forked)
    print(f"  {note}")
    table("--no-fork-kernels (launched)", launched)
    print("\nload average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
