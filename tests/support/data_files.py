"""The test fixtures committed gzip-compressed in ``tests/data/`` (see its README), as plain files.

Each file is decompressed once per content into a folder of the system's temporary directory
and reused by every later test, process and run: the folder is private to the user and named
after the hash of the compressed bytes, so an edited fixture never meets a stale copy. Writers
decompress into a temporary file and rename it into place, so concurrent test processes (or
threads) only ever see a complete file.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import tempfile
from pathlib import Path

#: The committed fixtures (``*.gz``).
DATA_DIR = Path(__file__).resolve().parents[1] / "data"

_SNAPSHOT = "md_vax_county_{day}.csv"


def data_file(name: str) -> Path:
    """Path of the uncompressed bytes of ``tests/data/<name>.gz``.

    Raises
    ------
    FileNotFoundError
        When no such fixture is committed.
    """
    return _decompressed(DATA_DIR / f"{name}.gz")


def snapshot_path(day: str) -> Path:
    """Path of the raw Maryland snapshot downloaded on ``day`` (``YYYY-MM-DD``), uncompressed."""
    return data_file(_SNAPSHOT.format(day=day))


def snapshot_days() -> list[str]:
    """Days of the committed raw snapshots, oldest first."""
    prefix, suffix = _SNAPSHOT.split("{day}")
    names = (p.name.removesuffix(".gz") for p in DATA_DIR.glob(f"{prefix}*{suffix}.gz"))
    return sorted(n.removeprefix(prefix).removesuffix(suffix) for n in names)


@functools.cache
def _decompressed(packed: Path) -> Path:
    if not packed.is_file():
        raise FileNotFoundError(f"no test fixture {packed} (see tests/data/README.md)")
    compressed = packed.read_bytes()
    digest = hashlib.sha256(compressed).hexdigest()[:16]
    folder = _cache_root() / digest
    target = folder / packed.name.removesuffix(".gz")
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(gzip.decompress(compressed))
        os.replace(tmp, target)  # atomic: a concurrent reader sees no file or the whole file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _cache_root() -> Path:
    root = Path(tempfile.gettempdir()) / f"mdvax-test-data-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    if root.stat().st_uid != os.getuid():  # never trust files another user could have put there
        raise PermissionError(f"{root} belongs to another user")
    return root
