"""The dashboard's preload hook: its imports and data, loaded once in the fork server's template.

:func:`preload` is the hook the template (:mod:`mdvax.serve.fork.forkserver`) calls by name
(``mdvax.dashboard.preload:preload``; :mod:`mdvax.serve.fork` says what a hook must do): it
imports what a dashboard kernel imports, and :func:`warm` loads the cached table, population,
geometry and provenance, plus the colour matrices of the default view, into
:mod:`mdvax.dashboard.shared`, where each kernel forked afterwards finds them.

After an update, kernels load the new files themselves, as they do without a fork server,
until the template loads them again: the hook checks :func:`stale` before each fork.
"""

from __future__ import annotations

import importlib
import logging

from mdvax.dashboard import shared
from mdvax.dashboard.shared import fingerprint

__all__ = ["IMPORTS", "WARM_MATRICES", "fingerprint", "preload", "stale", "warm"]

log = logging.getLogger(__name__)

#: What a dashboard kernel imports (optional ones may be missing).
IMPORTS = (
    "ipywidgets",
    "ipyleaflet",
    "numpy",
    "pandas",
    "pyarrow",
    "mdvax.dashboard",
    "mdvax.dashboard.upload",
    "mdvax.dashboard.vintages",
    "mdvax.archive",
)

#: Colour matrices computed in advance: the view a page opens with, counts and per capita.
WARM_MATRICES = (("at_least_one", False, True), ("at_least_one", False, False))

_imported = False


def preload() -> bool:
    """The fork server's preload hook: the dashboard's imports once, its data when it changed.

    Returns
    -------
    bool
        Whether the data was (re)loaded: on the first call, and after ``mdvax update``.
    """
    global _imported
    if not _imported:
        for name in IMPORTS:
            try:
                importlib.import_module(name)
            except ImportError:  # an optional part; the kernel imports it itself if it can
                log.warning("fork server cannot preload %s", name)
        _imported = True
    if not stale():
        return False
    warm()
    return True


def warm(settings=None) -> bool:
    """Load the cached data for the kernels to come; False when there is nothing to load."""
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
        shared.keep(before, None)
        return False
    if fingerprint(settings) != before:  # updated while loading: do not keep a mix
        return False
    shared.keep(before, data)
    return True


def stale(settings=None) -> bool:
    """The cache of ``settings`` changed since :func:`warm` loaded it (or it found nothing)."""
    from mdvax.config import get_settings

    return fingerprint(settings or get_settings()) != shared.kept_fingerprint()
