"""Archive: size and ingest time per vintage, a simulated year of daily snapshots, as-of queries.

Run: ``.venv/bin/python benchmarks/bench_archive.py [--days 365]``. Uses a temporary SQLite
file, and also PostgreSQL when ``MDVAX_DATABASE_URL`` is set (a scratch database on that server,
dropped afterwards; ``eval "$(.ci/postgres.sh)"`` starts one).

1. The snapshots committed in tests/data (2021-03-23, 03-30, 04-01, 08-16), normalized as
   ``mdvax update`` does, are recorded in turn: ingest time and archive size after each.
2. A simulated year: starting from the real 2021-04-01 table, each day adds a date (daily counts
   drawn around the last week's level) and revises a fraction of the last two weeks' daily counts
   (mostly upwards, some down, as Maryland's data did); each day is recorded as a vintage.
3. Queries on that year: table as of random dates, one county's revision history, the changes
   between two vintages.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from _common import report, timed
from sqlalchemy import text

from mdvax.archive import Archive
from mdvax.config import get_settings
from mdvax.normalize import normalize
from mdvax.normalize.schema import DOSES
from mdvax.normalize.table import derive_measures
from mdvax.sources.local import FileSource
from tests.support.archive_fixtures import scratch_database
from tests.support.source_server import snapshot_days, snapshot_path

REVISED_WINDOW = 14  # days back the simulated source revises
REVISED_SHARE = 0.3  # share of the daily counts in that window revised each day


def archive_size(archive: Archive) -> int:
    """Bytes the archive occupies (SQLite file after a WAL checkpoint, or our PG tables)."""
    with archive.engine.connect() as conn:
        if archive.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return Path(archive.engine.url.database).stat().st_size
        names = "'vintages', 'series', 'value_versions', 'schema_version'"
        query = (
            f"SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE relname IN ({names})"
        )
        return int(conn.execute(text(query)).scalar())


def record(archive: Archive, table: pd.DataFrame, published, digest: str) -> tuple[float, object]:
    started = time.perf_counter()
    summary = archive.record_vintage(
        table, published=published, fetched_at=datetime.now(UTC), sha256=digest, source="bench"
    )
    return time.perf_counter() - started, summary


def real_snapshots(archive: Archive) -> pd.DataFrame:
    rows, table = [], None
    for day in snapshot_days():
        snapshot = FileSource(str(snapshot_path(day)), get_settings()).fetch()
        table = normalize(snapshot).table
        seconds, summary = record(archive, table, pd.Timestamp(day), snapshot.sha256)
        rows.append((f"vintage {day}", f"{seconds * 1000:6.0f} ms  {archive_size(archive) / 1024:7.0f} KiB  "
                     f"{summary.n_versions:6,} versions written"))  # fmt: skip
    report("real snapshots, recorded in turn", rows)
    return table


class Simulation:
    """Daily snapshots of a source that keeps revising its recent days (seeded, reproducible)."""

    def __init__(self, base: pd.DataFrame, seed: int = 2021) -> None:
        self.rng = np.random.default_rng(seed)
        self.counties = sorted(base["county"].unique())
        self.dates = pd.DatetimeIndex(sorted(base["date"].unique()))
        # daily[dose]: dates x counties; the first daily value equals the first cumulative.
        self.daily = {
            dose: base.pivot(index="date", columns="county", values=f"{dose}_daily")
            .loc[:, self.counties].to_numpy(dtype=np.int64)
            for dose in DOSES
        }  # fmt: skip

    def step(self) -> pd.DataFrame:
        """Add the next day and revise recent ones; return the canonical table."""
        self.dates = self.dates.append(pd.DatetimeIndex([self.dates[-1] + timedelta(days=1)]))
        for dose, daily in self.daily.items():
            level = daily[-7:].mean(axis=0)
            new = self.rng.poisson(np.maximum(level, 0.1) * self.rng.uniform(0.8, 1.2))
            daily = np.vstack([daily, new[None, :]])
            window = daily[-REVISED_WINDOW:]
            chosen = self.rng.random(window.shape) < REVISED_SHARE
            factor = self.rng.uniform(-0.05, 0.25, window.shape)
            window += np.where(chosen, np.rint(window * factor), 0).astype(np.int64)
            np.maximum(window, 0, out=window)
            self.daily[dose] = daily
        return self.table()

    def table(self) -> pd.DataFrame:
        index = pd.MultiIndex.from_product([self.dates, self.counties], names=["date", "county"])
        wide = pd.DataFrame(
            {dose: daily.cumsum(axis=0).ravel() for dose, daily in self.daily.items()}, index=index
        ).reset_index()
        return derive_measures(wide)


def simulated_year(archive: Archive, base: pd.DataFrame, days: int) -> None:
    simulation = Simulation(base)
    published = base["date"].max()
    times, versions, size_steps = [], [], []
    start_size = archive_size(archive)
    for day in range(1, days + 1):
        table = simulation.step()
        digest = hashlib.sha256(pd.util.hash_pandas_object(table).to_numpy().tobytes()).hexdigest()
        seconds, summary = record(archive, table, published + timedelta(days=day), digest)
        times.append(seconds)
        versions.append(summary.n_versions)
        if day % 73 == 0 or day == days:
            size_steps.append(f"day {day}: {archive_size(archive) / 1024:,.0f} KiB")
    cells = len(table) * len(DOSES)
    size = archive_size(archive)
    report(f"simulated year: {days} daily vintages on the real base table", [
        ("values per snapshot (last)", f"{cells:,} ({len(table):,} rows x {len(DOSES)} measures)"),
        ("versions written per vintage", f"mean {statistics.mean(versions):,.0f}, max {max(versions):,}"),
        ("versions written over the period", f"{sum(versions):,} (full copies would be "
                                     f"{sum(len(DOSES) * 25 * (len(base) // 25 + d) for d in range(1, days + 1)):,})"),
        ("ingest time per vintage", f"median {statistics.median(times) * 1000:.0f} ms, "
                                    f"p95 {np.percentile(times, 95) * 1000:.0f} ms, total {sum(times):.1f} s"),
        ("archive size", f"{start_size / 1024:,.0f} KiB before, {size / 1024:,.0f} KiB after; "
                         + "; ".join(size_steps)),
    ])  # fmt: skip
    queries(archive, published, days)


def queries(archive: Archive, first, days: int) -> None:
    rng = np.random.default_rng(7)
    dates = [first + timedelta(days=int(d)) for d in rng.integers(0, days + 1, 10)]
    it = iter(dates * 2)
    as_of, _ = timed(lambda: archive.table_as_of(next(it)), repeat=10)
    history, _ = timed(lambda: archive.revisions("Montgomery", "first_dose_daily"), repeat=3)
    middle = first + timedelta(days=days // 2)
    between, _ = timed(
        lambda: archive.changes_between(middle, first + timedelta(days=days)), repeat=3
    )
    rows = len(archive.table_as_of(first + timedelta(days=days)))
    n_revisions = len(archive.revisions("Montgomery", "first_dose_daily"))
    report("queries on the simulated year (median)", [
        ("table_as_of(random date)", f"{as_of * 1000:.0f} ms ({rows:,} rows at the end)"),
        ("revisions('Montgomery', 'first_dose_daily')", f"{history * 1000:.0f} ms ({n_revisions:,} revisions)"),
        ("changes_between(mid-year, end)", f"{between * 1000:.0f} ms"),
    ])  # fmt: skip


def run(url: str, days: int) -> None:
    print(f"\n#### archive at {url.split('@')[-1]}")
    with Archive.open(url) as archive:
        base = real_snapshots(archive)
        simulated_year(archive, base, days)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="simulated daily vintages")
    args = parser.parse_args()
    server = os.environ.pop("MDVAX_DATABASE_URL", None)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["MDVAX_DATA_DIR"] = folder
        run(f"sqlite:///{folder}/archive.sqlite", args.days)
    if server:
        with scratch_database(server) as url:
            run(url, args.days)
    else:
        print('\n(PostgreSQL skipped: set MDVAX_DATABASE_URL, e.g. eval "$(.ci/postgres.sh)")')


if __name__ == "__main__":
    main()
