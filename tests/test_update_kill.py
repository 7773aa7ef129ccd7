"""An update killed at any moment (SIGKILL) never leaves a partial file that is read back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from mdvax.api import load_metadata, load_table
from mdvax.pipeline import update

pytestmark = pytest.mark.slow


def start_update(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mdvax", "update", "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkill_at_any_point_keeps_old_or_new_data(data_env, source_server):
    source_server.set_snapshot("2021-03-23")
    update()
    old = load_table()
    source_server.set_snapshot("2021-03-30")
    env = {**os.environ}
    # Time a complete update to spread the kills over its whole length.
    started = time.monotonic()
    probe_dir = data_env.data_dir.parent / "probe"
    assert start_update({**env, "MDVAX_DATA_DIR": str(probe_dir)}).wait(60) == 0
    duration = time.monotonic() - started
    outcomes = set()
    for step in range(10):
        process = start_update(env)
        time.sleep(duration * (0.3 + 0.07 * step))
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        table = load_table()  # whatever the moment, the cache reads back whole
        meta = load_metadata()
        assert meta.last_date == table["date"].max().date()
        assert meta.rows == len(table)
        outcomes.add(meta.last_date.isoformat())
        if meta.last_date.isoformat() == "2021-03-23":
            pd.testing.assert_frame_equal(table, old)
    assert outcomes <= {"2021-03-23", "2021-03-30"}
    # A fresh update afterwards completes, and no temporary file is left behind.
    update()
    assert load_metadata().last_date.isoformat() == "2021-03-30"
    assert not list(data_env.data_dir.rglob("*.tmp"))
