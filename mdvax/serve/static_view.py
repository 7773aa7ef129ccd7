"""The still picture of a dashboard view, rendered by the server for every page it sends.

Every dashboard response (the live page and the busy page alike) holds the view its URL asks
for as plain HTML: the map as inline SVG (:func:`mdvax.render.choropleth_svg`, the live map's
colour classes and CSS classes), its legend, the headline totals and a table of the 24 counties.
The figures come from :func:`mdvax.dashboard.model.compute`, the code behind the widgets. It
shows before any script runs; the live page hides it once Leaflet has drawn the counties (a CSS
``:has()`` rule, no script).

The server loads the data once (in a thread at start-up) and keeps the last
:data:`CACHE_SIZE` views' HTML, keyed by (vintage, date, measure, daily, per_capita): a view
costs 25-80 ms to draw the first time and a dictionary look-up after. Views are drawn in one
worker thread (:meth:`StaticViews.html_async`), never on the server's event loop, and only for
requests admitted to a live page; a refused request gets a view already drawn, or being drawn
for an admitted one, or none (:meth:`StaticViews.cached`). The default view is drawn as soon as the data is loaded.
docs/serving.md, "The still picture", says why views are not all drawn in advance.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor

from mdvax.serve.still_html import render_view
from mdvax.templates import Markup

log = logging.getLogger(__name__)

#: Views whose HTML the server keeps (about 60 KB each).
CACHE_SIZE = 200
#: Seconds a page request waits for the data still loading (server just started).
LOAD_WAIT_S = 15.0
#: Seconds a refused request waits for its view being drawn for an admitted one.
SHARE_WAIT_S = 2.0
#: What a visitor without a kernel reads above the still picture.
BUSY_NOTICE = "The interactive map is busy; this is the same view as a still picture."
#: Under the still picture when the live page failed after its start was sent.
FAILED_NOTICE = "The interactive map could not start; this is a still picture. Reload to try again."


class StaticViews:
    """The data, loaded once, and the HTML of recent views.

    Parameters
    ----------
    loader : callable
        Returns the dashboard data (:func:`mdvax.dashboard.load_data`), or ``None`` when
        nothing is cached (no still picture then).
    """

    def __init__(self, loader=None) -> None:
        self._loader = loader
        self._data = None
        self._loaded = False
        self._lock = threading.Lock()  # loading the data
        self._cache_lock = threading.Lock()  # the cache's dictionary (held for look-ups only)
        self._draw_lock = threading.Lock()
        self._cache: OrderedDict[tuple, Markup] = OrderedDict()
        #: The one thread views are drawn in (requests wait their turn, admitted ones only).
        self._drawing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mdvax-draw")
        self._pending: dict[tuple, Future] = {}  # views queued or being drawn, by key
        #: Pages sent with a still picture (live and busy), for ``/healthz``.
        self.served = 0
        #: Views drawn (not found in the cache), for ``/healthz``.
        self.drawn = 0
        self._generation = 0  # of the data: a view drawn from older data is not kept
        self._loading: Future | None = None
        #: (mtime, size) of the cached table the data was read from; checked every request.
        self._source: tuple | None = None

    def start(self) -> Future:
        """Load the data in a thread (once); the future is done when it is loaded."""
        if self._loading is None:
            if self._loader is None:
                # Imported here, in the caller's (the server's) thread, never in the loading
                # thread: two threads importing IPython at once can leave a module half
                # initialised for both (seen as an ImportError and a pool that never filled).
                from mdvax.dashboard.app import load_data

                self._loader = load_data
            loading = self._loading = Future()

            def load() -> None:
                self.warm()  # never raises
                loading.set_result(None)

            threading.Thread(target=load, name="mdvax-static", daemon=True).start()
        return self._loading

    async def html_async(self, query: str) -> Markup:
        """:meth:`html`, first waiting (without blocking the server) for the data to load.

        Gives up after :data:`LOAD_WAIT_S` (the page goes out without a still picture).
        """
        if self._loaded and _table_stamp() != self._source:
            self.reload()  # ``mdvax update`` rewrote the cache: the kernels read the new table
        loading = self.start()
        if not loading.done():
            try:
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(loading)), LOAD_WAIT_S)
            except TimeoutError:
                return Markup("")
        if self._data is None:
            return Markup("")
        key, _view = self._resolve(query)
        drawing = self._pending.get(key)
        if drawing is None:  # not asked for already: queue it (one drawing per view at once)
            drawing = self._pending[key] = self._drawing.submit(self.html, query)
            drawing.add_done_callback(lambda done: self._drawn(key, done))
        return await asyncio.shield(asyncio.wrap_future(drawing))  # others may wait for it

    def _drawn(self, key: tuple, drawing: Future) -> None:
        """``drawing`` of the view ``key`` ended: no longer pending (unless queued again)."""
        if self._pending.get(key) is drawing:
            del self._pending[key]

    async def cached(self, query: str) -> Markup:
        """The still picture of ``query`` if drawn already or being drawn, else ``""``.

        For refused requests: never draws, never waits for the data; waits (at most
        :data:`SHARE_WAIT_S`) only for a drawing an admitted request already asked for.
        """
        if not self._loaded or self._data is None:
            return Markup("")
        key, _view = self._resolve(query)
        with self._cache_lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
        drawing = self._pending.get(key)
        if found is None and drawing is not None:
            try:
                found = await asyncio.wait_for(
                    asyncio.shield(asyncio.wrap_future(drawing)), SHARE_WAIT_S
                )
            except TimeoutError:
                return Markup("")
        if found is None:
            return Markup("")
        self.served += 1
        return found

    def reload(self) -> None:
        """Read the data again (in a thread, pages wait for it); drop the views made so far."""
        with self._lock, self._cache_lock:
            self._loaded = False
            self._loading = None
            self._cache.clear()
            self._generation += 1
        self.start()

    def warm(self) -> None:
        """Load the data now (safe to call from a thread, and more than once)."""
        with self._lock:
            if self._loaded:
                return
            self._source = _table_stamp()
            try:
                if self._loader is None:  # called directly, not through start()
                    from mdvax.dashboard.app import load_data

                    self._loader = load_data
                self._data = self._loader()
            except Exception:  # no still picture is better than no page
                log.exception("cannot load the data for the still pictures")
            self._loaded = True
        # The default view, drawn now: most visitors ask for it, refused ones included.
        self._drawing.submit(self.html, "")

    def html(self, query: str) -> Markup:
        """The still picture of the view ``query`` asks for (empty without data); may draw it.

        Blocks while drawing: call it from a thread (:meth:`html_async`), not the event loop.
        """
        self.warm()
        data = self._data
        if data is None:
            return Markup("")
        key, state = self._resolve(query)
        generation = self._generation
        with self._cache_lock:
            found = self._cache.get(key)
        if found is None:
            with self._draw_lock:  # one at a time, whichever thread calls (tests call directly)
                shown = data.vintages.data(state.as_of) if data.vintages is not None else data
                found = render_view(shown, state)
                self.drawn += 1
        with self._cache_lock:
            if generation != self._generation:
                return found
            self._cache[key] = found
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        self.served += 1
        return found

    def _resolve(self, query: str) -> tuple[tuple, object]:
        """The cache key of the view ``query`` asks for, and the view (a ``ViewState``)."""
        from mdvax.dashboard import state as st

        data = self._data
        choices = data.vintages.choices if data.vintages is not None else ()
        view, _notes = st.resolve({}, query, data.first_date, data.last_date, choices)
        return (view.as_of, view.date, view.measure, view.daily, view.per_capita), view


def _table_stamp() -> tuple:
    """What identifies the data now: the cache's and the archive's fingerprints.

    The fork server's template checks the first; the second changes with every vintage
    recorded (``mdvax history import`` while serving).
    """
    from mdvax.config import get_settings
    from mdvax.dashboard.preload import fingerprint
    from mdvax.dashboard.vintages import archive_stamp

    settings = get_settings()
    return (fingerprint(settings), archive_stamp(settings))
