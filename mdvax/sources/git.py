"""The state's git repository, read with the ``git`` binary through a blobless clone.

``git clone --bare --filter=blob:none`` transfers commits and trees only (a few MB where a full
clone of github.com/state-of-maryland/VaccineCSVs is about 235 MB of unrelated CSVs); the
county files' blobs are then fetched in one request (:meth:`GitRepository.prefetch`) and read
with one ``git cat-file --batch`` process. A local path or a ``file://`` URL works the same
way (there the filter is ignored: everything is already on disk).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from mdvax.errors import GitError

#: The ArcGIS-style county file (13 columns, from 2021-08-16) and the older pivot file.
COUNTY_FILE = "MD_COVID19_TotalVaccinationsCountyFirstandSecondSingleDose.csv"
PIVOT_FILE = "Vax_County_FirstSecondSingle_Count_Pivot_Cumulative_Raw.csv"
PATHS = (COUNTY_FILE, PIVOT_FILE)

#: Publication dates are commit dates in Maryland's time zone.
MARYLAND_TZ = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class Commit:
    """A commit that changed a county file, with the county files' blobs at that commit."""

    sha: str
    when: datetime  # aware, UTC
    blobs: dict[str, str] = field(default_factory=dict)  # path -> blob id
    changed: frozenset[str] = frozenset()  # the paths this commit added or modified

    @property
    def day(self) -> date:
        """Publication date: the commit's date in America/New_York."""
        return self.when.astimezone(MARYLAND_TZ).date()


def git_binary() -> str:
    """Path of ``git``; :class:`GitError` saying what to install when there is none."""
    found = shutil.which("git")
    if not found:
        raise GitError(
            "the `git` program is not installed (needed to read the state's repository history): "
            "install it (apt install git, brew install git, conda install git) and retry"
        )
    return found


class GitRepository:
    """A bare, blobless clone of ``url`` kept in ``folder`` (made or refreshed by :meth:`sync`)."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.git = git_binary()

    def _run(self, *args: str, what: str, stdin: bytes | None = None, cwd: bool = True) -> bytes:
        command = [self.git, *(["--git-dir", str(self.folder)] if cwd else []), *args]
        try:
            done = subprocess.run(command, input=stdin, capture_output=True, check=False)
        except OSError as error:
            raise GitError(f"cannot run git to {what}: {error}") from error
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            reason = lines[-1] if lines else f"exit status {done.returncode}"
            raise GitError(f"git could not {what} ({self.url}): {reason}")
        return done.stdout

    def sync(self) -> None:
        """Clone (first time, into a temporary folder renamed when complete) or fetch."""
        if (self.folder / "HEAD").exists():
            self._run("fetch", "--quiet", "--no-tags", "--filter=blob:none", "origin",
                      "+HEAD:refs/heads/mdvax-import", what="fetch the repository")  # fmt: skip
            return
        partial = self.folder.with_name(self.folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)  # a clone killed half-way
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self._run("clone", "--quiet", "--bare", "--no-tags", "--single-branch",
                  "--filter=blob:none", self.url, str(partial),
                  what="clone the repository (is it a git repository?)", cwd=False)  # fmt: skip
        self._run("--git-dir", str(partial), "update-ref", "refs/heads/mdvax-import", "HEAD",
                  what="mark the imported branch", cwd=False)  # fmt: skip
        partial.rename(self.folder)

    def commits(self, paths: Iterable[str] = PATHS) -> list[Commit]:
        """Every commit of the default branch that changed one of ``paths``, oldest first.

        Each has the blobs of every one of ``paths`` present then, and the paths it changed.
        """
        out = self._run("log", "--reverse", "--first-parent", "--no-renames", "--raw",
                        "--no-abbrev", "--format=@%H %ct", "refs/heads/mdvax-import", "--",
                        *paths, what="list the history of the files")  # fmt: skip
        commits: list[Commit] = []
        current: dict[str, str] = {}
        changed: list[set[str]] = []
        for line in out.decode("utf-8", "replace").splitlines():
            if line.startswith("@"):
                sha, stamp = line[1:].split()
                commits.append(Commit(sha, datetime.fromtimestamp(int(stamp), UTC), {}))
                changed.append(set())
            elif line.startswith(":") and commits:
                meta, path = line.split("\t", 1)
                new_blob, status = meta.split()[3], meta.split()[4]
                if status.startswith("D"):
                    current.pop(path, None)
                else:
                    current[path] = new_blob
                    changed[-1].add(path)
                commits[-1].blobs.clear()
                commits[-1].blobs.update(current)
        return [
            Commit(c.sha, c.when, c.blobs, frozenset(paths))
            for c, paths in zip(commits, changed, strict=True)
            if c.blobs
        ]

    def prefetch(self, blobs: Iterable[str]) -> None:
        """Fetch missing blobs in one request (a no-op unless the clone is partial)."""
        wanted = sorted(set(blobs))
        promisor = self._run("config", "--get", "--default", "false", "remote.origin.promisor",
                             what="read the clone's configuration")  # fmt: skip
        if not wanted or promisor.strip() != b"true":
            return
        self._run("-c", "fetch.negotiationAlgorithm=noop", "fetch", "--quiet", "--no-tags",
                  "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none",
                  "--stdin", "origin", stdin="\n".join(wanted).encode() + b"\n",
                  what=f"fetch {len(wanted)} county file versions")  # fmt: skip

    def read_blobs(self, blobs: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """``(blob id, bytes)`` for each blob, in order, from one ``git cat-file --batch``."""
        wanted = list(blobs)
        command = [self.git, "--git-dir", str(self.folder), "cat-file", "--batch"]
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL) as process:  # fmt: skip
            try:
                for blob in wanted:
                    process.stdin.write(blob.encode() + b"\n")
                    process.stdin.flush()
                    header = process.stdout.readline().split()
                    if len(header) != 3:
                        raise GitError(f"git cannot read blob {blob} ({self.url}): missing")
                    body = process.stdout.read(int(header[2]))
                    process.stdout.read(1)  # the newline after each object
                    yield blob, body
            finally:
                process.stdin.close()
                process.kill()


def last_of_each_day(commits: list[Commit]) -> list[Commit]:
    """One commit per publication day (America/New_York): the day's last, oldest day first."""
    by_day: dict[date, Commit] = {}
    for commit in commits:
        kept = by_day.get(commit.day)
        if kept is None or commit.when >= kept.when:
            by_day[commit.day] = commit
    return [by_day[day] for day in sorted(by_day)]
