"""Atomic file writes and the lock writers hold.

A write goes to a temporary file in the same folder, flushed, then renamed over the target: a
reader sees the old file or the new one, never a partial one, even if the writer is killed.
:func:`locked` keeps two writers of the same folder (two updates, two report runs) apart.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mdvax.errors import CacheError, MdvaxError


@contextmanager
def locked(
    path: Path,
    timeout: float = 0,
    busy: str | None = None,
    error: type[MdvaxError] = CacheError,
) -> Iterator[None]:
    """Hold the lock file ``path`` (an OS file lock) for the ``with`` block, then release it.

    The lock is released when the block ends, however it ends; a process that dies holding it
    releases it too (the OS drops the lock with the file descriptor). The holder removes the file
    before it lets go, so no empty lock file stays in the data or reports folder; a process
    waiting on the removed file then finds it unlinked and opens the path anew (filelock checks
    the link count after each ``flock``), so holders still take turns.

    Parameters
    ----------
    path : Path
        The lock file; its folder is created if needed. It exists while the lock is held.
    timeout : float
        Seconds to wait for another holder to release it (0: fail at once).
    busy : str, optional
        Message of the error raised when the lock stays taken (default: names the file).
    error : type
        The :class:`~mdvax.errors.MdvaxError` subclass raised then (default :class:`CacheError`).

    Raises
    ------
    MdvaxError
        ``error(busy)``, when another process (or another ``locked`` block of this process)
        still holds the lock after ``timeout`` seconds.
    """
    from filelock import FileLock, Timeout  # imported here: readers never need it

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise error(busy or f"{path} is locked by another process") from None
    try:
        yield
    finally:
        try:
            path.unlink(missing_ok=True)  # still held: nobody can take this file meanwhile
        finally:
            lock.release()


def atomic_write(path: Path, write: Callable[[Path], None], prefix: str | None = None) -> None:
    """Call ``write(tmp_path)`` then move ``tmp_path`` over ``path`` atomically.

    Parameters
    ----------
    path : Path
        Final location; its folder is created if needed. It ends up readable by all (0644),
        as files published on a web server must be.
    write : callable
        Writes the complete content to the temporary path it is given.
    prefix : str, optional
        Name prefix of the temporary file (default ``.<name>.``, with a ``.tmp`` suffix), for
        callers that clean up their own leftovers by name.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=prefix or f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        tmp.chmod(0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes, prefix: str | None = None) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data), prefix)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files left below ``folder`` by writers that were killed; returns how many.

    Call it only while holding the update lock (no writer is running then).
    """
    removed = 0
    for leftover in folder.rglob(".*.tmp") if folder.is_dir() else ():
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed
