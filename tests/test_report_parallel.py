"""A backfill in several kept kernels at once: the bytes of one fresh kernel per report, the
index and the last good report after a failed day, and nothing left running after Ctrl-C.

The archive is the real import of the replayed state repository (``tests/support/state_repo.py``);
the reference reports are built one at a time, each in a fresh kernel (``report(as_of=D)``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import nbformat
import psutil
import pytest

from mdvax.cli import main
from mdvax.report import notebook, report, site
from mdvax.report.parallel import MAX_BLOCK, _Blocks, _Job
from tests.support.state_repo import imported_history

pytestmark = pytest.mark.slow

#: Four days: the county file changes from 8 to 12 columns on 05-05; 05-06 has two commits.
DAYS = ("2021-05-04", "2021-05-05", "2021-05-06", "2021-05-07")
FAILING_DAY = "2021-05-05"


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative name -> bytes)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != site.LOCK
    }


def text_of(path: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = tmp_path_factory.mktemp("parallel")
    with imported_history(root):
        yield root


@pytest.fixture(scope="module")
def one_by_one(history):
    """The reports of :data:`DAYS`, one fresh kernel each, in date order."""
    out = history / "one-by-one"
    for day in DAYS:
        assert report(out, as_of=day).ok
    return out


@pytest.fixture
def failing_notebook(tmp_path, monkeypatch):
    """The report notebook with a last cell that fails on :data:`FAILING_DAY` only."""
    nb = nbformat.read(notebook.REPORT_NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        f'if as_of == "{FAILING_DAY}":\n    raise RuntimeError("this day fails on purpose")'
    ))  # fmt: skip
    copy = tmp_path / "report.ipynb"
    nbformat.write(nb, copy)
    monkeypatch.setattr(notebook, "REPORT_NOTEBOOK", copy)
    return copy


def test_two_kernels_give_the_bytes_of_one_fresh_kernel_per_report(history, one_by_one):
    out = history / "two-kernels"
    assert main(["report", "--out", str(out), "--backfill", DAYS[0], DAYS[-1], "--jobs", "2"]) == 0
    built = files_of(out)
    assert built == files_of(one_by_one)  # reports, notebooks, records, index, status, latest
    assert f"{DAYS[-1]}/{site.REPORT_HTML}" in built
    assert not list(out.glob(f"{site.TMP_PREFIX}*"))


def test_a_failed_day_keeps_its_last_good_report(history, one_by_one, failing_notebook, capsys):
    out = history / "rebuilt"
    shutil.copytree(one_by_one, out)
    good = (out / FAILING_DAY / site.REPORT_HTML).read_bytes()
    code = main(["report", "--out", str(out), "--backfill", DAYS[0], DAYS[-1], "--jobs", "2"])
    assert code == 7
    assert f"{FAILING_DAY} FAILED" in capsys.readouterr().out
    assert (out / FAILING_DAY / site.REPORT_HTML).read_bytes() == good
    status = site.read_status(out)
    assert [status[d]["status"] for d in DAYS] == ["ok", "failed", "ok", "ok"]
    assert "this day fails on purpose" in status[FAILING_DAY]["message"]
    index = (out / site.INDEX_HTML).read_text()
    assert f"<td>{FAILING_DAY}</td><td>failed</td>" in index
    assert "the report shown is from the last successful run" in index
    # The day after still compares with the (kept) report of the failed day.
    page = text_of(out / DAYS[2] / site.REPORT_HTML)
    assert f"Revisions since the previous report ({FAILING_DAY}, data published" in page


def test_the_day_after_a_failure_compares_with_the_report_before_it(
    history, one_by_one, failing_notebook
):
    out = history / "first-time"
    code = main(["report", "--out", str(out), "--backfill", DAYS[0], DAYS[-1], "--jobs", "2"])
    assert code == 7
    assert site.report_dates(out) == [DAYS[0], DAYS[2], DAYS[3]]
    page = text_of(out / DAYS[2] / site.REPORT_HTML)
    assert f"Revisions since the previous report ({DAYS[0]}, data published {DAYS[0]})" in page
    # The same report built alone, in a fresh kernel, after the report of 05-04 only.
    alone = history / "alone"
    shutil.copytree(one_by_one / DAYS[0], alone / DAYS[0])
    assert report(alone, as_of=DAYS[2]).ok
    for name in (site.REPORT_HTML, site.REPORT_IPYNB, site.REPORT_JSON):
        assert (out / DAYS[2] / name).read_bytes() == (alone / DAYS[2] / name).read_bytes(), name
    index = (out / site.INDEX_HTML).read_text()
    assert f"<td>{FAILING_DAY}</td><td>failed</td>" in index
    assert not list(out.glob(f"{site.TMP_PREFIX}*"))


def test_jobs_must_be_positive_and_go_with_backfill(tmp_path, capsys):
    out = str(tmp_path / "reports")
    assert main(["report", "--out", out, "--backfill", DAYS[0], DAYS[1], "--jobs", "0"]) == 7
    assert "jobs must be at least 1 (not 0)" in capsys.readouterr().err
    assert main(["report", "--out", out, "--as-of", DAYS[0], "--jobs", "2"]) == 7
    assert "--jobs goes with --backfill" in capsys.readouterr().err


def kernels_of(process: psutil.Process) -> list[psutil.Process]:
    return [
        child
        for child in process.children(recursive=True)
        if "ipykernel_launcher" in " ".join(child.cmdline())
    ]


def running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize(
    ("signum", "status", "message"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_ctrl_c_or_sigterm_leaves_no_kernel_running(history, tmp_path, signum, status, message):
    # SIGTERM: what systemd, cron wrappers and CI runners send to stop a scheduled run.
    out, sockets = tmp_path / "reports", tmp_path / "tmp"
    sockets.mkdir()
    command = [sys.executable, "-m", "mdvax", "report", "--out", str(out),
               "--backfill", "2021-04-01", "2021-05-31", "--jobs", "2"]  # fmt: skip
    process = subprocess.Popen(
        command, env={**os.environ, "TMPDIR": str(sockets)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        parent, deadline = psutil.Process(process.pid), time.monotonic() + 120
        # Interrupt mid-run: two kernels busy, a report already published.
        while not (len(kernels_of(parent)) == 2 and site.report_dates(out)):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.2)
        kernels = kernels_of(parent)
        process.send_signal(signum)
        _, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == status
    assert f"mdvax report: {message}" in errors
    assert "Traceback" not in errors
    assert "KeyboardInterrupt" not in errors
    deadline = time.monotonic() + 10
    while any(running(kernel) for kernel in kernels) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [kernel.pid for kernel in kernels if running(kernel)]
    assert not list(sockets.glob("mdvax-kernel-*"))  # the kernels' socket folders
    assert not list(out.glob(f"{site.TMP_PREFIX}*"))  # no half-built report
    assert len(site.report_dates(out)) < 61


def test_kernels_take_runs_of_consecutive_days_that_shrink_towards_the_end():
    jobs = [_Job(date(2021, 4, 1) + timedelta(days=i), None) for i in range(61)]
    blocks = _Blocks(jobs, workers=2)
    runs = []
    while run := blocks.next():
        runs.append(run)
    assert [job for run in runs for job in run] == jobs  # every day once, in order
    sizes = [len(run) for run in runs]
    assert sizes[0] == MAX_BLOCK
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-1] == 1
    stopped = _Blocks(jobs, workers=2)
    stopped.stop()
    assert stopped.next() == []
