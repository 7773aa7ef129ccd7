"""The ``mdvax`` command line as a program: what a shell pipeline sees."""

from __future__ import annotations

import subprocess
import sys

from mdvax.cli import BROKEN_PIPE_STATUS

#: What a Linux pipe holds before the writer blocks; more output than this must hit a closed pipe.
PIPE_CAPACITY = 64 * 1024


def test_export_into_a_reader_that_stops_early_exits_quietly(filled_data_dir, tmp_path):
    whole = tmp_path / "table.csv"
    done = subprocess.run(
        [sys.executable, "-m", "mdvax", "export", "--output", str(whole)],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    assert whole.stat().st_size > 2 * PIPE_CAPACITY, "too little output to fill the pipe"
    # `mdvax export | head -1`: read one line, then close the reading end.
    process = subprocess.Popen(
        [sys.executable, "-m", "mdvax", "export"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    first = process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) == BROKEN_PIPE_STATUS
    assert first.decode() == whole.read_text().splitlines(keepends=True)[0]
    assert errors.decode() == ""  # no traceback, no "Exception ignored" at exit
    assert done.stderr == b""


def test_export_through_a_shell_pipe_to_head(filled_data_dir):
    shell = f"'{sys.executable}' -m mdvax export | head -n 3 >/dev/null; echo ${{PIPESTATUS[0]}}"
    done = subprocess.run(
        ["bash", "-c", shell], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == str(BROKEN_PIPE_STATUS)
    assert done.stderr == ""
