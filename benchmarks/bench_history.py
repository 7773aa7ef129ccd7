"""Import the state's git history into the archive, on SQLite and (when configured) PostgreSQL.

Usage: ``.venv/bin/python benchmarks/bench_history.py`` (adds PostgreSQL when
``MDVAX_DATABASE_URL`` is set, e.g. after ``eval "$(bash .ci/postgres.sh)"``). Builds the
replayed repository from ``tests/data`` (62 commits, 61 publication days, 2021-03-31 to
2021-05-31), imports it through ``mdvax.archive.git_import``, then records the 2022-03-07 file
on top (the embedded snapshot, 11,200 county-days, ~25,000 new values: pessimistic for a daily
vintage of that size) and projects the 325-vintage upstream history from both ends.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from _common import report

from mdvax.archive import Archive
from mdvax.archive.git_import import import_history
from tests.support.archive_fixtures import scratch_database, stored_versions
from tests.support.state_repo import build_state_repo

UPSTREAM_VINTAGES = 325


def run(label: str, data_dir: Path, repo: Path) -> list[tuple[str, str]]:
    os.environ["MDVAX_DATA_DIR"] = str(data_dir)
    durations: list[float] = []
    original = Archive.record_vintage

    def timed_record(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            durations.append(time.perf_counter() - start)

    Archive.record_vintage = timed_record
    try:
        start = time.perf_counter()
        result = import_history(repo=str(repo))
        total = time.perf_counter() - start
        from mdvax import embedded
        from mdvax.normalize import normalize

        raw = embedded.snapshot()
        with Archive.open() as archive:
            start = time.perf_counter()
            archive.record_vintage(
                normalize(raw).table, published=date(2022, 3, 7), fetched_at=raw.fetched_at,
                sha256=raw.sha256, source="embedded",
            )  # fmt: skip
            big = time.perf_counter() - start
    finally:
        Archive.record_vintage = original
    bundle = durations[: result.added]
    with Archive.open() as archive:
        vintages = archive.vintages()
        versions = stored_versions(archive)
        full = int(vintages["n_values"].sum())
        size = archive_size(archive)
        tables = tables_size(archive)
        mid = vintages["published"].iloc[len(vintages) // 2].date()
        as_of = []
        for _ in range(5):
            start = time.perf_counter()
            archive.table_as_of(mid)
            as_of.append(time.perf_counter() - start)
    per_small = statistics.median(bundle)
    # Vintages grow from 2,675 to 11,200 county-days: project with the mean of both ends.
    projected = UPSTREAM_VINTAGES * (per_small + big) / 2
    per_version = size / versions
    growth = (vintages["n_revised"] + vintages["n_added"]).iloc[1 : result.added].mean()
    projected_size = per_version * UPSTREAM_VINTAGES * growth * 11_200 / 3_000
    return [
        (f"{label}: import {result.added} vintages", f"{total:.1f} s ({result.summary()})"),
        (
            f"{label}: per vintage",
            f"median {per_small * 1000:.0f} ms, "
            f"p95 {statistics.quantiles(bundle, n=20)[-1] * 1000:.0f} ms",
        ),
        (f"{label}: one 11,200-row vintage (2022-03-07)", f"{big * 1000:.0f} ms"),
        (
            f"{label}: archive size",
            f"{size / 2**20:.1f} MiB, of which vintage tables {tables / 2**20:.1f} MiB",
        ),
        (
            f"{label}: stored values",
            f"{versions:,} vs {full:,} in full copies ({versions / full:.1%})",
        ),
        (f"{label}: table_as_of({mid})", f"median {statistics.median(as_of) * 1000:.0f} ms"),
        (
            f"{label}: projected {UPSTREAM_VINTAGES} vintages",
            f"{projected / 60:.1f} min, {projected_size / 2**20:.0f} MiB",
        ),
    ]


def archive_size(archive: Archive) -> int:
    if archive.engine.dialect.name == "sqlite":
        path = Path(archive.engine.url.database)
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with archive.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()


def tables_size(archive: Archive) -> int:
    """Bytes of the vintage tables' blobs (0 before schema version 3)."""
    from sqlalchemy import column, func, inspect, select, table

    if not inspect(archive.engine).has_table("vintage_tables"):
        return 0
    data = table("vintage_tables", column("data")).c  # works whatever this mdvax's schema
    with archive.engine.connect() as conn:
        return conn.scalar(select(func.coalesce(func.sum(func.length(data.data)), 0))) or 0


def main() -> None:
    postgres = os.environ.pop("MDVAX_DATABASE_URL", None)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        repo = build_state_repo(Path(tmp) / "VaccineCSVs")
        rows += run("SQLite", Path(tmp) / "sqlite", repo)
        if postgres:
            with scratch_database(postgres) as url:
                os.environ["MDVAX_DATABASE_URL"] = url
                rows += run("PostgreSQL", Path(tmp) / "pg", repo)
    report("history import", rows)


if __name__ == "__main__":
    sys.exit(main())
