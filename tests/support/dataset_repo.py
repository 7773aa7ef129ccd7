"""A real git repository replaying the dataset fixtures: one commit per vintage day.

``tests/data/datasets/<YYYY-MM-DD>/<original file name>.gz`` holds the raw files the state
committed on that day (some trimmed, see ``tests/data/README.md``). Each folder becomes one
commit dated noon America/New_York of its day, writing (or replacing) those files; files of
earlier days stay in the tree, as in the state's repository, so ``mdvax history import``
reads it exactly as it reads the real one.
"""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.support.data_files import DATA_DIR
from tests.support.state_repo import git

FOLDER = DATA_DIR / "datasets"
MARYLAND = ZoneInfo("America/New_York")


def days() -> list[str]:
    """The vintage days of the fixtures, oldest first."""
    return sorted(p.name for p in FOLDER.iterdir() if p.is_dir())


def files(day: str) -> dict[str, bytes]:
    """The raw files committed on ``day``: original name -> bytes."""
    return {
        p.name.removesuffix(".gz"): gzip.decompress(p.read_bytes())
        for p in sorted((FOLDER / day).glob("*.gz"))
    }


def build_dataset_repo(folder: Path) -> Path:
    """A non-bare repository at ``folder``: one commit per fixture day, noon in Maryland."""
    folder.mkdir(parents=True)
    git(folder, "init", "--quiet", "--initial-branch=master")
    for day in days():
        for name, body in files(day).items():
            (folder / name).write_bytes(body)
        noon = datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=MARYLAND).isoformat()
        stamp = {"GIT_AUTHOR_DATE": noon, "GIT_COMMITTER_DATE": noon}
        who = ["-c", "user.name=fixtures", "-c", "user.email=fixtures@example.org"]
        git(folder, "add", "-A")
        git(folder, *who, "commit", "--quiet", "-m", f"files of {day}", env=stamp)
    return folder
