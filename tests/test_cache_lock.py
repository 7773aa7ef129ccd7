"""The one lock writers hold (``mdvax.cache.files.locked``), seen from other processes."""

from __future__ import annotations

import itertools
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
    assert other_process_takes(data_env.lock_path)


def test_an_update_leaves_no_lock_file_in_the_data_folder(data_env):
    assert update(source="maryland-csv").status == "updated"
    stray = [p.name for p in data_env.data_dir.rglob("*") if p.name.endswith(".lock")]
    assert stray == []
    with Cache(data_env).lock():
        assert data_env.lock_path.exists()  # held: the file is there, for other processes to see
    assert not data_env.lock_path.exists()


COUNT = (
    "import sys, time; from pathlib import Path; from mdvax.cache.files import locked\n"
    "lock, counter, log = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])\n"
    "for _ in range(int(sys.argv[4])):\n"
    "    with locked(lock, timeout=60):\n"
    "        start = time.monotonic_ns()\n"
    "        value = int(counter.read_text())\n"
    "        time.sleep(0.002)\n"
    "        counter.write_text(str(value + 1))\n"
    "        with log.open('a') as out:\n"
    "            out.write(f'{start} {time.monotonic_ns()}\\n')\n"
)


@pytest.mark.slow
def test_concurrent_holders_still_exclude_each_other(tmp_path):
    # The lock file goes on every release: holders that opened the old file and a newcomer that
    # creates a new one must still take turns. Each process adds 1 to a counter under the lock,
    # read-sleep-write, many times: a lost increment or overlapping hold times mean two held it.
    lock, counter, log = tmp_path / "x.lock", tmp_path / "counter", tmp_path / "holds"
    counter.write_text("0")
    processes, rounds = 4, 40
    started = [
        subprocess.Popen(
            [sys.executable, "-c", COUNT, str(lock), str(counter), str(log), str(rounds)]
        )
        for _ in range(processes)
    ]
    assert [p.wait(timeout=240) for p in started] == [0] * processes
    assert int(counter.read_text()) == processes * rounds
    holds = sorted(tuple(map(int, line.split())) for line in log.read_text().splitlines())
    assert len(holds) == processes * rounds
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(holds))
    assert not lock.exists()


@pytest.mark.slow
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
    assert not (out / site.LOCK).exists()  # nothing left in the published folder
    assert other_process_takes(out / site.LOCK)
