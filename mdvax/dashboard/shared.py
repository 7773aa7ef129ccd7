"""The dashboard's data the fork server's template loaded, handed to the kernels it forks.

:mod:`mdvax.dashboard.preload` loads the data (in the template) and :func:`keep` s it here;
:meth:`mdvax.dashboard.model.DashboardData.load` :func:`take` s it in each forked kernel
instead of reading and parsing the cache: the pages stay shared with the template until
written to.

It is used only while the cache files are the ones that were loaded: :func:`fingerprint`
(inode, size, modification time of ``current.arrow`` and ``current.json``; ``mdvax update``
replaces them atomically, so each update changes it) is checked on every :func:`take`.
"""

from __future__ import annotations

import dataclasses
import os

#: ``(fingerprint, DashboardData or None)`` kept by :func:`keep` (None: nothing cached).
_kept: tuple | None = None


def fingerprint(settings) -> tuple:
    """What identifies the cached data of ``settings``: its folder and its files' stat."""
    stats = []
    for path in (settings.current_table_path, settings.current_meta_path):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            stats.append(None)
        else:
            stats.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return (str(settings.data_dir), settings.embedded_snapshot, *stats)


def keep(loaded: tuple, data) -> None:
    """Keep ``data`` (a DashboardData, or None: nothing cached) loaded at fingerprint ``loaded``."""
    global _kept
    _kept = (loaded, data)


def kept_fingerprint() -> tuple | None:
    """The fingerprint of what :func:`keep` last kept (None: nothing kept yet)."""
    return None if _kept is None else _kept[0]


def take(settings):
    """The kept data if the cache of ``settings`` is still what was loaded, else None.

    A shallow copy: the kernel may add matrices or vintages without touching the template's.
    """
    if _kept is None:
        return None
    loaded, data = _kept
    if data is None or fingerprint(settings) != loaded:
        return None
    return dataclasses.replace(data, _matrices=dict(data._matrices))
