"""``build_app``: the whole dashboard (map, controls, side panel, link, download) as one widget.

:func:`build_dashboard` makes the :class:`~mdvax.dashboard.session.Dashboard` of one visitor's
session for the notebook parameters and the URL query; :class:`App` shows it, or the empty state
until data arrives.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
from collections.abc import Mapping

import ipywidgets as widgets

from mdvax.dashboard import model
from mdvax.dashboard import state as st
from mdvax.dashboard.session import Dashboard, stylesheet
from mdvax.dashboard.vintages import Vintages

__all__ = [
    "App",
    "Dashboard",
    "build_app",
    "build_dashboard",
    "load_data",
    "release_memory",
    "stylesheet",
]


def build_dashboard(
    data: model.DashboardData,
    parameters: Mapping[str, object] | None = None,
    query: str = "",
    page_url: str = "",
) -> Dashboard:
    """A :class:`Dashboard` for the notebook parameters overridden by the URL ``query``."""
    vintages = data.vintages or Vintages.single(data)
    newest = vintages.newest
    choices = vintages.choices if vintages.choosable else ()
    initial, notes = st.resolve(
        parameters or {}, query, newest.first_date, newest.last_date, choices
    )
    if initial.view != st.VIEWS[0] and initial.asked_as_of:
        # The views beyond the map read their own tables' vintages for that day (and say
        # so if none fits): the county table's lack of one is no news to their visitor.
        notes = [n for n in notes if not n.startswith(f"Ignored as_of {initial.asked_as_of}")]
    return Dashboard(newest, initial, notes, page_url, vintages)


def load_data(settings=None) -> model.DashboardData | None:
    """The cached data, or ``None`` when nothing is cached yet (the empty state handles it)."""
    from mdvax.config import get_settings
    from mdvax.dashboard import vintages
    from mdvax.errors import CacheError

    try:
        data = model.DashboardData.load(settings)
    except CacheError:
        return None
    data.vintages = vintages.load(data, settings or get_settings())
    return data


class App:
    """What the notebook displays: the dashboard, or the empty state until data arrives."""

    def __init__(self, parameters, query, page_url, data, fetch, settings) -> None:
        from mdvax.dashboard.upload import EmptyState

        self._args = (parameters, query, page_url)
        self.dashboard: Dashboard | None = None
        self.empty: EmptyState | None = None
        self.widget = widgets.VBox()
        self.widget.add_class("mdvax-root")
        if data is not None:
            self.show(data)
        else:
            self.empty = EmptyState(self.show, fetch=fetch, settings=settings)
            self.widget.children = (stylesheet(), self.empty.widget)
            self.empty.start()

    def show(self, data: model.DashboardData) -> None:
        """Replace whatever is shown by the dashboard of ``data``."""
        self.dashboard = build_dashboard(data, *self._args)
        self.widget.children = (self.dashboard.widget(),)

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if self.dashboard is not None:  # readable by headless runs (papermill, nbval)
            bundle["text/plain"] = f"mdvax dashboard: ?{st.to_query(self.dashboard.state)}"
        return bundle


def build_app(
    parameters: Mapping[str, object] | None = None,
    query: str = "",
    page_url: str = "",
    data: model.DashboardData | None = None,
    fetch: bool = True,
    settings=None,
) -> App:
    """The dashboard for the notebook's parameters, overridden by the URL query.

    Parameters
    ----------
    parameters : mapping
        ``date``, ``measure``, ``per_capita``, ``county``, ``daily`` (``None`` = default).
    query : str
        The page's URL query string (:func:`mdvax.dashboard.state.query_string`); untrusted.
    page_url : str
        The page's address for the "link to this view" field.
    data : DashboardData, optional
        Already loaded data (:func:`load_data`); ``None`` loads the cache, and if nothing is
        cached shows the empty state.
    fetch : bool
        In the empty state, try an update from the source before offering an upload.
    settings : Settings, optional
        Configuration (default: the environment's).
    """
    if data is None:
        data = load_data(settings)
    elif data.vintages is not None:  # read before the visitor came: vintages may have arrived
        from mdvax.config import get_settings
        from mdvax.dashboard import vintages

        vintages.refresh(data, settings or get_settings())
    app = App(parameters, query, page_url, data, fetch, settings)
    release_memory()
    return app


def release_memory() -> None:
    """Collect the garbage of building the page and hand freed heap back to the system.

    Each visitor has a kernel of their own, so the few MB that glibc's ``malloc`` would keep
    for later count once per visitor. Does nothing beyond ``gc.collect()`` without glibc.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc (macOS, musl): no trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)
