"""The one lock writers hold (``mdvax.cache.files.locked``), seen from other processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mdvax.cache import Cache
from mdvax.cache.files import locked
from mdvax.errors import CacheError, ReportError
from mdvax.pipeline import update
from mdvax.report import build, site

TAKE = (
    "import sys; from pathlib import Path; from mdvax.cache.files import locked\n"
    "with locked(Path(sys.argv[1])):\n"
    "    print('taken')\n"
)


def other_process_takes(path: Path) -> bool:
    """Whether a separate Python process can take the lock ``path`` at once (no waiting)."""
    done = subprocess.run(
        [sys.executable, "-c", TAKE, str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 or "is locked by another process" in done.stderr, done.stderr
    return done.returncode == 0 and done.stdout == "taken\n"


def test_a_second_process_takes_the_lock_right_after_an_update_returns(data_env):
    result = update(source="maryland-csv")
    assert result.status == "updated"
    assert data_env.lock_path.exists()
    assert other_process_takes(data_env.lock_path)


def test_an_update_in_another_process_fails_fast_while_the_lock_is_held(data_env):
    def cli_update() -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "mdvax", "update", "--source", "maryland-csv"]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)

    with Cache(data_env).lock():
        refused = cli_update()
    assert refused.returncode != 0
    assert "another update is running" in refused.stderr
    assert not data_env.current_table_path.exists()
    done = cli_update()
    assert done.returncode == 0, done.stderr
    assert data_env.current_table_path.exists()


def test_the_lock_is_released_when_the_block_ends_even_if_the_object_lives_on(data_env):
    # A caller that keeps a reference to the lock (as a long-lived object would) must not keep
    # the lock itself: releasing it may not wait for the garbage collector.
    guard = Cache(data_env).lock()
    with guard:
        assert not other_process_takes(data_env.lock_path)
    assert other_process_takes(data_env.lock_path)
    assert guard is not None


def test_the_lock_is_released_when_the_block_raises(tmp_path):
    path = tmp_path / "x.lock"
    with pytest.raises(RuntimeError, match="boom"), locked(path):
        raise RuntimeError("boom")
    assert other_process_takes(path)


def test_a_second_holder_in_the_same_process_gets_the_named_error(tmp_path):
    path = tmp_path / "x.lock"
    busy = pytest.raises(CacheError, match=r"x\.lock is locked by another process")
    with locked(path), busy, locked(path, timeout=0.2):
        pass


def test_report_runs_share_the_same_lock(tmp_path, monkeypatch):
    out = tmp_path / "reports"
    monkeypatch.setattr(build, "LOCK_TIMEOUT", 0.2)
    with build._locked(out):
        assert not other_process_takes(out / site.LOCK)
        busy = pytest.raises(ReportError, match="another `mdvax report` has been writing")
        with busy, build._locked(out):
            pass
    assert other_process_takes(out / site.LOCK)
