"""A real git repository replaying the state's county files, 2021-03-31 to 2021-05-31.

Built from ``tests/data/state-repo-2021-03-31_2021-05-31.fast-export.xz`` (the shared bundle's
history as a ``git fast-export`` stream, xz-compressed: 0.9 MB where the bundle is 3.2 MB) with
``git fast-import``: the same 62 commits, byte for byte (same shas, authors, dates, files).
"""

from __future__ import annotations

import csv
import io
import lzma
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STREAM = (
    Path(__file__).resolve().parents[1] / "data" / "state-repo-2021-03-31_2021-05-31.fast-export.xz"
)
PIVOT = "Vax_County_FirstSecondSingle_Count_Pivot_Cumulative_Raw.csv"
HEAD_SHA = "f7ddc496f2f0f87b22fe9578732202e2c8d34df1"


def git(repo: Path, *args: str, stdin: bytes | None = None, env: dict | None = None) -> bytes:
    """Run git in ``repo`` (``env``: extra variables); raise with git's message on failure."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, capture_output=True,
        env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.decode()}")
    return done.stdout


def build_state_repo(folder: Path) -> Path:
    """A non-bare repository at ``folder`` with the replayed history checked out."""
    folder.mkdir(parents=True)
    git(folder, "init", "--quiet", "--initial-branch=master")
    git(folder, "fast-import", "--quiet", stdin=lzma.decompress(STREAM.read_bytes()))
    git(folder, "checkout", "--quiet", "master")
    return folder


@contextmanager
def imported_history(root: Path) -> Iterator[Path]:
    """The replayed repository at ``root/VaccineCSVs``, imported into the archive of
    ``root/data`` by ``mdvax history import``; mdvax's environment points at that folder (and
    at SQLite, without the embedded snapshot) while the context is open."""
    import pytest

    from mdvax.cli import main

    repo = build_state_repo(root / "VaccineCSVs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MDVAX_DATA_DIR", str(root / "data"))
        patch.delenv("MDVAX_DATABASE_URL", raising=False)
        patch.setenv("MDVAX_EMBEDDED_SNAPSHOT", "off")
        assert main(["history", "import", "--repo", repo.as_uri(), "--quiet"]) == 0
        yield repo


def file_at(repo: Path, commit: str, path: str = PIVOT) -> str:
    """A file's text at ``commit``."""
    return git(repo, "show", f"{commit}:{path}").decode("utf-8-sig")


def raw_cumulative(text: str, day: str, column: str) -> dict[str, int]:
    """Each county label's last ``column`` value on or before ``day`` (csv module, unpadded)."""
    latest: dict[str, tuple[str, int]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        when, label = row["VACCINATION_DATE"][:10], row["County"].strip()
        if when <= day and when >= latest.get(label, ("", 0))[0]:
            latest[label] = (when, int(float(row[column] or 0)))
    return {label: value for label, (_, value) in latest.items()}
