"""The views beyond the county map (``view=`` in links): ZIP codes, third doses, demographics.

:func:`load` is the one seam to the data: ``api.load_table(dataset=..., as_of=...)``.
:class:`DatasetViews` holds the widgets of these views for one visitor's session and shows the
one the :class:`~mdvax.dashboard.state.ViewState` names, for its vintage (``as_of``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import ipyleaflet
import ipywidgets as widgets
import pandas as pd

from mdvax import format as fmt
from mdvax import reference
from mdvax.dashboard import doses, groups, zips
from mdvax.dashboard import state as st
from mdvax.dashboard.map import maryland_map
from mdvax.errors import MdvaxError, NoVintageYetError
from mdvax.templates import render

log = logging.getLogger(__name__)

#: Every view a link can name (:data:`mdvax.dashboard.state.VIEWS`), with its selector label.
VIEWS: dict[str, str] = dict(
    zip(
        st.VIEWS,
        ("Counties (map)", "ZIP codes", "Third doses", "By age", "By race", "By ethnicity",
         "By gender"),
        strict=True,
    )
)  # fmt: skip
DEFAULT_VIEW = st.VIEWS[0]
#: What the page says when a dataset cannot be read (never the error's own text).
UNAVAILABLE = (
    "This view has no data here yet: its table is not in this server's archive "
    "(run `mdvax history import`)."
)
POINT_STYLE = {"radius": 5, "weight": 0.8, "color": "#52606d", "opacity": 1, "fillOpacity": 0.9}


class DatasetUnavailableError(MdvaxError):
    """A dataset this server cannot read; ``note`` says so to the visitor (plain text)."""

    def __init__(self, message: str, note: str = UNAVAILABLE) -> None:
        super().__init__(message)
        self.note = note


def load(name: str, as_of: date | None = None) -> pd.DataFrame:
    """The ``name`` dataset's table in force on ``as_of`` (``None``: the newest).

    Raises
    ------
    DatasetUnavailableError
        When the archive has no vintage of it (published by ``as_of``), or cannot be read.
    """
    from mdvax import api

    try:
        return api.load_table(dataset=name, as_of=as_of)
    except NoVintageYetError as error:
        note = f"No version of this table was published on or before {fmt.day(as_of)}."
        raise DatasetUnavailableError(str(error), note) from error
    except MdvaxError as error:
        raise DatasetUnavailableError(f"{name!r} as of {as_of}: {error}") from error


def render_view(name: str, table: pd.DataFrame, county: pd.DataFrame, measure: str, published):
    """The HTML of view ``name`` for its table (``county``: the county table, for third doses)."""
    if name == "zip":
        rank = zips.ranking(table, reference.zips(), measure, per_capita=True)
        return zips.zip_html(rank, zips.unassigned(table, measure), measure, published)
    if name == "third_dose":
        return doses.third_dose_html(doses.curve(table, county), published)
    return groups.groups_html(name, table, measure, published)


class DatasetViews:
    """The widgets of the views beyond the map: one HTML body, and the ZIP map.

    Parameters
    ----------
    loader : callable
        ``loader(name, as_of) -> DataFrame`` (default :func:`load`); tests pass frames.
    """

    def __init__(self, loader: Callable[[str, date | None], pd.DataFrame] = load) -> None:
        self._loader = loader
        #: (name, as_of) -> the table, or the note saying why there is none.
        self._tables: dict[tuple[str, date | None], pd.DataFrame | str] = {}
        self.body = widgets.HTML()
        self.body.add_class("mdvax-dataset-body")
        #: The ZIP map, made when the ZIP view is first shown (most visits never open it).
        self.zipmap: ZipMap | None = None
        self.mapbox = widgets.VBox()
        self.mapbox.add_class("mdvax-zip-mapbox")
        # The text and table first (the order a screen reader reads), the map beside them at
        # 1280 px and under them on a phone.
        self.widget = widgets.Box([self.body, self.mapbox], layout=widgets.Layout(width="100%"))
        self.widget.add_class("mdvax-dataset-views")
        self.shown: str | None = None

    def table(self, name: str, as_of: date | None) -> pd.DataFrame | str:
        """The table of ``name`` for ``as_of`` (read once per session), or why there is none."""
        key = (name, as_of)
        if key not in self._tables:
            try:
                self._tables[key] = self._loader(name, as_of)
            except DatasetUnavailableError as error:
                log.warning("dataset %s unavailable as of %s", name, as_of, exc_info=True)
                self._tables[key] = error.note
        return self._tables[key]

    def show(self, name: str, as_of: date | None, county: pd.DataFrame, measure: str) -> None:
        """Show view ``name`` (``county``: hide this widget, the map shows instead)."""
        self.widget.layout.display = "none" if name == DEFAULT_VIEW else None
        self.mapbox.layout.display = "none" if name != "zip" else None
        if name == DEFAULT_VIEW:
            self.shown = name
            return
        table = self.table(name, as_of)
        if isinstance(table, str):
            value = render("dashboard/notes.html.j2", notes=[table])
            self.mapbox.layout.display = "none"
        else:
            value = render_view(name, table, county, measure, as_of)
            if name == "zip":
                rank = zips.ranking(table, reference.zips(), measure, per_capita=True)
                if self.zipmap is None:
                    self.zipmap = ZipMap()
                    self.mapbox.children = (self.zipmap.map, self.zipmap.key)
                self.zipmap.points.data = zips.points(rank, reference.zips())
        if self.body.value != value:
            self.body.value = value
        self.shown = name


class ZipMap:
    """The ZIP codes as points at their centroids (one ``GeoJSON`` layer) and the map's key."""

    def __init__(self) -> None:
        self.points = ipyleaflet.GeoJSON(
            data={"type": "FeatureCollection", "features": []}, point_style=POINT_STYLE, name="zips"
        )
        self.map = maryland_map(self.points, max_zoom=12, height="420px", css_class="mdvax-zip-map")
        self.key = widgets.HTML(render("dashboard/zip_key.html.j2", keys=zips.legend()))
