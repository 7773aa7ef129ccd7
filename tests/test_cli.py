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


def test_export_as_of_after_today_says_the_newest_table_is_given(filled_data_dir):
    """The note the dashboard gives for the same ``as_of``, on standard error (issue 21)."""
    from mdvax.api import vintages
    from mdvax.dashboard.state import Vintage, resolve

    def export(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "mdvax", "export", *extra],
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip

    newest = export()
    future = export("--as-of", "2099-01-01")
    assert future.stdout == newest.stdout  # the newest table, as before
    assert "as_of 2099-01-01 is in the future" in future.stderr
    assert "newest vintage" in future.stderr
    # Word for word what a dashboard link with the same as_of says.
    rows = vintages()
    choices = [
        Vintage(r.published.date(), r.first_date.date(), r.last_date.date())
        for r in rows.itertuples()
    ]
    _, notes = resolve({"as_of": "2099-01-01"}, "", choices[-1].first, choices[-1].last, choices)
    assert future.stderr.splitlines() == [f"mdvax export: {note}" for note in notes]
    published = rows["published"].iloc[-1].date().isoformat()
    assert export("--as-of", published).stderr == ""
