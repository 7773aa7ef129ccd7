"""The test tiers: ``make test-fast`` leaves out tests marked ``slow``, ``browser``, ``postgres``.

A test that starts a server, a kernel or a browser must carry the marker that keeps it out of
the fast tier. :class:`SpawnGuard` checks it: an audit hook (:func:`sys.addaudithook`) sees every
``subprocess.Popen`` of the test process, Playwright's driver and Jupyter's kernels included, and
refuses the heavy ones a running test is not marked for. ``tests/conftest.py`` installs it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

#: The markers the fast tier deselects (``make test-fast``).
SLOW_MARKERS = ("slow", "browser", "postgres")


class UnmarkedSpawnError(RuntimeError):
    """A test not marked for it started a server, a kernel or a browser."""


def heavy_command(args: str | bytes | os.PathLike | Sequence) -> tuple[str, str] | None:
    """What a command line starts that keeps its test out of the fast tier.

    Parameters
    ----------
    args : str, bytes or sequence
        ``subprocess.Popen``'s ``args``.

    Returns
    -------
    tuple of (str, str) or None
        The marker the test needs and what the command starts, or ``None`` for a light command
        (``mdvax update``, ``mdvax export``, ``git``, a short ``python -c``...).
    """
    given = [args] if isinstance(args, str | bytes | os.PathLike) else args
    # Word by word, shell lines (``bash -c "..."``) included.
    words = [part for arg in given for part in os.fsdecode(arg).split()]
    names = [os.path.basename(word) for word in words]
    if "run-driver" in words:
        return "browser", "a browser (Playwright's driver)"
    for index in range(len(words) - 1):
        if names[index] == "mdvax" and words[index + 1] == "serve":
            return "slow", "an `mdvax serve` server"
        if words[index] == "-m" and words[index + 1] in ("voila", "jupyter", "pip", "venv"):
            return "slow", f"`python -m {words[index + 1]}`"
        if words[index] == "-m" and words[index + 1] == "mdvax.serve.kernel":
            return "slow", "a Jupyter kernel"
    if any(name in ("ipykernel_launcher", "ipykernel") for name in words):
        return "slow", "a Jupyter kernel"
    for name in names:
        if name in ("nginx", "podman", "podman-compose", "voila", "jupyter", "papermill"):
            return "slow", f"`{name}`"
        if name.startswith(("chromium", "chrome")):
            return "browser", "a browser"
    return None


class SpawnGuard:
    """Refuses heavy subprocesses in a test that is not marked for them.

    ``item`` is the running pytest item (``None`` outside a test: then everything is allowed,
    as in the benchmarks and scripts that share the harness).
    """

    def __init__(self) -> None:
        self.item = None

    def install(self) -> SpawnGuard:
        """Add the audit hook (for the life of the process: audit hooks cannot be removed)."""
        sys.addaudithook(self._audit)
        return self

    def _audit(self, event: str, arguments: tuple) -> None:
        if event != "subprocess.Popen" or self.item is None:
            return
        found = heavy_command(arguments[1])
        if found is None:
            return
        marker, what = found
        marks = {mark.name for mark in self.item.iter_markers()}
        if marker not in marks and not (marker == "slow" and marks & set(SLOW_MARKERS)):
            raise UnmarkedSpawnError(
                f"{self.item.nodeid} starts {what} but is not marked `{marker}`: add "
                f"`pytest.mark.{marker}` (the fast tier, `make test-fast`, must stay fast)"
            )
