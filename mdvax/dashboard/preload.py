"""The dashboard's data loaded once, in the fork server's template, and shared by its kernels.

:func:`warm` (run by :mod:`mdvax.serve.forkserver` before it forks) loads the cached table,
population, geometry and provenance, plus the colour matrices of the default view. Each kernel
forked afterwards finds them here (:func:`take`, called by
:meth:`mdvax.dashboard.model.DashboardData.load`) instead of reading and parsing the cache: the
pages stay shared with the template until written to.

They are used only while the cache files are the ones that were loaded: :func:`fingerprint`
(inode, size, modification time of ``current.arrow`` and ``current.json``; ``mdvax update``
replaces them atomically, so each update changes it) is checked on every :func:`take`. After an
update, kernels load the new files themselves, as they do without a fork server, until the
template loads them again (it checks :func:`stale` before each fork).
"""

from __future__ import annotations

import dataclasses
import logging
import os

log = logging.getLogger(__name__)

#: ``(fingerprint, DashboardData or None)`` loaded by :func:`warm` (None: nothing cached).
_preloaded: tuple | None = None

#: Colour matrices computed in advance: the view a page opens with, counts and per capita.
WARM_MATRICES = (("at_least_one", False, True), ("at_least_one", False, False))


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


def warm(settings=None) -> bool:
    """Load the cached data for the kernels to come; False when there is nothing to load."""
    global _preloaded
    from mdvax.config import get_settings
    from mdvax.dashboard.model import DashboardData
    from mdvax.errors import MdvaxError

    settings = settings or get_settings()
    before = fingerprint(settings)
    try:
        data = DashboardData.load(settings)
        for key in WARM_MATRICES:
            data.matrix(*key)
    except MdvaxError as exc:  # nothing cached: each kernel shows the empty state itself
        log.info("nothing to preload: %s", exc)
        _preloaded = (before, None)
        return False
    if fingerprint(settings) != before:  # updated while loading: do not keep a mix
        return False
    _preloaded = (before, data)
    return True


def stale(settings=None) -> bool:
    """The cache of ``settings`` changed since :func:`warm` loaded it (or it found nothing)."""
    from mdvax.config import get_settings

    loaded = None if _preloaded is None else _preloaded[0]
    return fingerprint(settings or get_settings()) != loaded


def take(settings):
    """The preloaded data if the cache of ``settings`` is still what was loaded, else None.

    A shallow copy: the kernel may add matrices or vintages without touching the template's.
    """
    if _preloaded is None:
        return None
    loaded, data = _preloaded
    if data is None or fingerprint(settings) != loaded:
        return None
    return dataclasses.replace(data, _matrices=dict(data._matrices))
