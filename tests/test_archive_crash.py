"""Crash safety: a real ``mdvax update`` SIGKILLed during its archive write, then a fresh one."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select

from mdvax.api import load_metadata, load_table
from mdvax.archive import Archive
from mdvax.archive.schema import value_versions, vintage_tables
from mdvax.config import get_settings
from mdvax.normalize import normalize
from mdvax.pipeline import update
from mdvax.sources.local import FileSource
from tests.support.archive_fixtures import (  # noqa: F401 (archive_env: a fixture)
    DAYS,
    archive_env,
    changed_values,
    ingest,
    stored_versions,
)
from tests.support.source_server import snapshot_path

REPO = Path(__file__).resolve().parents[1]

#: Statements of the archive transaction after which the writer is frozen and killed.
STAGES = [
    "INSERT INTO vintages",
    "UPDATE value_versions",
    "INSERT INTO value_versions",
    "INSERT INTO vintage_tables",
]

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("archive_env")]


def start_update(*args: str) -> subprocess.Popen:
    """A real update in a child process (same environment: data dir, source, database)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.archive_crash", *args],
        cwd=REPO, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for_line(proc: subprocess.Popen, timeout: float = 60) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "the update child never reached its pause point"
    return proc.stdout.readline().strip()


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()


def assert_consistent(tables: dict[str, pd.DataFrame]) -> list[str]:
    """The archive holds a prefix of ``tables`` (day -> table), each vintage exactly as published.

    Returns the days recorded.
    """
    with Archive.open() as archive:
        vintages = archive.vintages()
        days = list(vintages["published"].dt.strftime("%Y-%m-%d"))
        assert days == list(tables)[: len(days)]
        previous = None
        for day in days:
            pd.testing.assert_frame_equal(archive.table_as_of(day), tables[day])
        expected = 0
        for day in days:
            expected += changed_values(previous, tables[day])
            previous = tables[day]
        assert stored_versions(archive) == expected
        with archive.engine.connect() as conn:
            dangling = conn.scalar(
                sql_select(func.count())
                .select_from(value_versions)
                .where(value_versions.c.valid_from > int(vintages["id"].max()))
            )
            tables = conn.scalar(sql_select(func.count()).select_from(vintage_tables))
        assert dangling == 0
        assert tables == len(days)  # never a vintage without its table
    return days


@pytest.mark.parametrize("stage", STAGES)
def test_sigkill_inside_the_archive_transaction(source_server, stage):
    first, _ = ingest(source_server, "2021-03-23")
    source_server.set_snapshot("2021-03-30")
    proc = start_update(stage)
    try:
        assert wait_for_line(proc) == "PAUSED", proc.stderr.read()
    finally:
        kill(proc)
    assert proc.returncode == -signal.SIGKILL
    # The archive and the cache are still at the previous vintage...
    assert assert_consistent({"2021-03-23": first}) == ["2021-03-23"]
    assert load_metadata().published.isoformat() == "2021-03-23"
    # ...and a fresh update records the new one completely.
    second, summary = ingest(source_server, "2021-03-30")
    assert summary.added_vintage
    assert summary.n_versions == changed_values(first, second)
    assert assert_consistent({"2021-03-23": first, "2021-03-30": second}) == [
        "2021-03-23",
        "2021-03-30",
    ]


def test_sigkill_at_random_moments(source_server):
    """Kill whole updates at random times: the archive is always at a vintage boundary."""
    settings = get_settings()
    expected = {
        d: normalize(FileSource(str(snapshot_path(d)), settings).fetch()).table for d in DAYS
    }
    ingest(source_server, DAYS[0])
    source_server.set_snapshot(DAYS[1])
    started = time.monotonic()
    proc = start_update("NO PAUSE")
    try:
        assert wait_for_line(proc, timeout=120) == "FINISHED", proc.stderr.read()
    finally:
        kill(proc)
    duration = time.monotonic() - started
    assert assert_consistent(expected) == DAYS[:2]

    source_server.set_snapshot(DAYS[2])
    rng = random.Random(20210401)
    for _ in range(5):
        proc = start_update("NO PAUSE")
        time.sleep(rng.uniform(0.5, 1.0) * duration)  # the archive write comes late in a run
        kill(proc)
        if assert_consistent(expected) == DAYS:
            break
    update(source="maryland-csv")  # a fresh update after the last kill
    assert assert_consistent(expected) == DAYS
    pd.testing.assert_frame_equal(load_table(), expected[DAYS[2]])
