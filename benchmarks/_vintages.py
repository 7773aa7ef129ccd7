"""Vintage switching (issue 11): the "As published on" control on the whole imported history.

- the archive query: ``Archive.table_as_of`` for each of the 61 vintages of the bundle's history;
- kernel side: ``Dashboard.change({"as_of": ...})`` between random vintages (table read, figures,
  every widget updated);
- in Chromium, through ``mdvax serve``: ms from choosing a vintage in the control to the
  restyled map, alternating the newest vintage (the embedded 2022 snapshot) with a random 2021
  one (their colour scales differ, so every switch recolours the map);
- kernel memory (RSS and USS) with the 61 vintages and with a synthetic archive of 366: the
  bundle's 61 tables recorded 6 times under publication days shifted back by 61-day steps (so
  the embedded 2022 snapshot stays the newest; each replay's first vintage revises nearly every
  value back, so the archive is larger than the real 325 would be);
- the archive files' size, and what the vintage tables (``vintage_tables``) take of it.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _serving import REPO, percentile

#: JS: choose option ``index`` of the vintage control; resolves with ms until a county's fill
#: changes (rejects after ``timeoutMs``).
SWITCH_JS = """
([index, timeoutMs]) => new Promise((resolve, reject) => {
  const fills = () => [...document.querySelectorAll("path.leaflet-interactive")]
    .map(p => getComputedStyle(p).fill).join();
  const select = document.querySelector(".mdvax-asof-control select");
  const before = fills();
  const observer = new MutationObserver(() => {
    if (fills() === before) return;
    observer.disconnect();
    resolve(performance.now() - start);
  });
  observer.observe(document.body,
    {attributes: true, childList: true, characterData: true, subtree: true});
  setTimeout(() => { observer.disconnect(); reject(new Error("map not restyled")); }, timeoutMs);
  const start = performance.now();
  select.selectedIndex = index;
  select.dispatchEvent(new Event("change", {bubbles: true}));
})
"""

#: Run in a fresh interpreter (a kernel's imports, no frontend): RSS after opening the page with
#: a county's panel (and its revision chart) open, peak and final RSS and USS after switching
#: through 40 vintages and two measures, in MB.
MEMORY_SCRIPT = """
import json, random, sys, psutil
from mdvax.dashboard import build_app, load_data
from mdvax.dashboard.app import release_memory
rss = lambda: psutil.Process().memory_info().rss / 2**20
data = load_data()
app = build_app(data=data, query="county=Montgomery")
d = app.dashboard
release_memory()
opened = rss()
days = [v.published for v in d.vintages.choices]
peak = opened
for day in random.Random(1).sample(days, min(40, len(days) - 1)):
    d.change({"as_of": day})
    peak = max(peak, rss())
for measure in ("at_least_one", "second_dose"):
    d.change({"measure": measure})
release_memory()
table = int(d.data.table.memory_usage(deep=True).sum()) / 2**20
uss = psutil.Process().memory_full_info().uss / 2**20
print(json.dumps({"vintages": len(days), "opened": opened, "peak": peak, "after": rss(),
                  "uss": uss, "table_mb": table}))
"""


def import_history(data_dir: Path) -> dict:
    """The state's repository rebuilt from the committed stream and imported into ``data_dir``."""
    from tests.support.state_repo import build_state_repo

    repo = build_state_repo(data_dir.parent / "VaccineCSVs")
    env = {**os.environ, "MDVAX_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "mdvax", "history", "import", "--repo", str(repo), "--quiet"]
    subprocess.run(command, env=env, check=True, capture_output=True)
    return {"MDVAX_DATA_DIR": str(data_dir)}


def synthesize(source_dir: Path, target_dir: Path, copies: int = 6) -> dict:
    """An archive of ``copies`` x the source's vintages, publication days shifted back per copy."""
    from datetime import UTC, datetime

    from mdvax.archive import Archive

    target_dir.mkdir(parents=True)
    with Archive.open(f"sqlite:///{source_dir / 'archive.sqlite'}") as source:
        rows = source.vintages()
        tables = [source.table_as_of(day) for day in rows["published"]]
    span = (rows["published"].iloc[-1] - rows["published"].iloc[0]).days + 1
    with Archive.open(f"sqlite:///{target_dir / 'archive.sqlite'}") as target:
        for copy in reversed(range(copies)):  # oldest first: no splicing
            for row, table in zip(rows.itertuples(), tables, strict=True):
                published = row.published.date() - timedelta(days=copy * span)
                sha = f"{row.sha256[:-2]}{copy:02d}"
                fetched = datetime.combine(published, datetime.min.time(), UTC)
                target.record_vintage(table, published=published, fetched_at=fetched,
                                      sha256=sha, source=f"synthetic:{copy}")  # fmt: skip
    return {"MDVAX_DATA_DIR": str(target_dir)}


def archive_query(data_dir: Path) -> list[float]:
    """ms of ``table_as_of`` for each vintage."""
    from mdvax.archive import Archive

    times = []
    with Archive.open(f"sqlite:///{data_dir / 'archive.sqlite'}") as archive:
        for day in archive.vintages()["published"]:
            start = time.perf_counter()
            archive.table_as_of(day)
            times.append(1000 * (time.perf_counter() - start))
    return times


def kernel_switches(env: dict, n: int) -> list[float]:
    """ms of ``Dashboard.change({"as_of": ...})`` between random vintages (county panel open)."""
    os.environ.update(env)
    from mdvax.dashboard import build_app, load_data

    d = build_app(data=load_data(), query="county=Montgomery").dashboard
    days = [v.published for v in d.vintages.choices]
    pick, times = random.Random(2), []
    for _ in range(n):
        day = pick.choice(days[:-1])
        start = time.perf_counter()
        d.change({"as_of": day})
        times.append(1000 * (time.perf_counter() - start))
    return times


def browser_switches(env: dict, n: int) -> list[float]:
    """ms from choosing a vintage to the restyled map, in Chromium via ``mdvax serve``."""
    from playwright.sync_api import sync_playwright

    from mdvax.notebooks import notebook_path
    from tests.support.probe import launch_chromium, wait_for_map
    from tests.support.process import ServeProcess

    notebook = str(notebook_path("dashboard.ipynb"))
    times = []
    serving = ServeProcess("--notebook", notebook, "--pool-size", "1", env=env)
    with serving as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server.url}?date=2021-04-20&measure=first_dose")
        wait_for_map(page)
        page.wait_for_timeout(1500)
        count = page.evaluate("document.querySelector('.mdvax-asof-control select').options.length")
        pick = random.Random(3)
        for step in range(n):  # newest (index 0) <-> a random 2021 vintage
            index = 0 if step % 2 else pick.randrange(1, count)
            times.append(page.evaluate(SWITCH_JS, [index, 10_000]))
            page.wait_for_timeout(200)
        browser.close()
    return times


def memory(env: dict) -> dict:
    """RSS of a fresh interpreter that opens the dashboard and switches through 40 vintages."""
    done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT], env={**os.environ, **env},
                          check=True, capture_output=True, text=True, cwd=REPO)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def archive_sizes(data_dir: Path) -> tuple[float, float]:
    """MB of ``data_dir``'s archive file as it is, and without its vintage tables (a vacuumed
    copy with ``vintage_tables`` dropped; the same size as before schema version 3)."""
    import shutil
    import sqlite3

    path = data_dir / "archive.sqlite"
    bare = path.with_name("without-tables.sqlite")
    shutil.copyfile(path, bare)
    with sqlite3.connect(bare) as conn:
        conn.execute("DROP TABLE IF EXISTS vintage_tables")
    with sqlite3.connect(bare) as conn:
        conn.execute("VACUUM")
    sizes = path.stat().st_size / 2**20, bare.stat().st_size / 2**20
    bare.unlink()
    return sizes


def summary(name: str, values: list[float], target: str = "") -> str:
    return (f"{name}: p50 {statistics.median(values):6.1f} ms  p95 {percentile(values, 95):6.1f} ms"
            f"  max {max(values):6.1f} ms  (n={len(values)}){target}")  # fmt: skip


def main(switches: int = 40) -> None:
    """Print every figure of the vintage benchmark."""
    with tempfile.TemporaryDirectory(prefix="mdvax-bench-vintages-") as tmp:
        real, synthetic = Path(tmp) / "real" / "data", Path(tmp) / "synthetic" / "data"
        started = time.perf_counter()
        env = import_history(real)
        print(
            f"imported the bundle's history (61 vintages) in {time.perf_counter() - started:.0f} s"
        )
        started = time.perf_counter()
        big = synthesize(real, synthetic)
        print(f"synthesized 366 vintages in {time.perf_counter() - started:.0f} s")
        print("\n== archive: table_as_of, each vintage ==")
        print(summary("   61 vintages", archive_query(real)))
        print(summary("  366 vintages", archive_query(synthetic)))
        print("\n== kernel: Dashboard.change(as_of) between random vintages (panel open) ==")
        print(summary("   61 vintages", kernel_switches(env, switches)))
        print(summary("  366 vintages", kernel_switches(big, switches)))
        print("\n== Chromium via mdvax serve: vintage chosen -> map restyled ==")
        print(summary("   61 vintages", browser_switches(env, switches), "  (target p95 < 300)"))
        print(summary("  366 vintages", browser_switches(big, switches), "  (target p95 < 300)"))
        print("\n== kernel memory (fresh interpreter: county panel open, 40 random switches) ==")
        empty = Path(tmp) / "empty" / "data"
        empty.mkdir(parents=True)
        baseline = {"MDVAX_DATA_DIR": str(empty)}  # the embedded snapshot alone: no archive
        for label, where in (("0", baseline), ("61", env), ("366", big)):
            m = memory(where)
            print(f"  {label:>3} vintages: opened {m['opened']:6.1f} MB  peak {m['peak']:6.1f} MB"
                  f"  after: RSS {m['after']:6.1f} MB  USS {m['uss']:6.1f} MB"
                  f"  (one table {m['table_mb']:.1f} MB)")  # fmt: skip
        print("\n== archive file (SQLite) ==")
        for label, where in (("61", real), ("366", synthetic)):
            size, bare = archive_sizes(where)
            print(f"  {label:>3} vintages: {size:5.1f} MB, {bare:5.1f} MB without the vintage"
                  f" tables (+{size - bare:.1f} MB, +{(size - bare) / bare:.0%})")  # fmt: skip
