"""The :class:`Dashboard` of one visitor's session: map, controls, side panel, link, download.

It holds the current :class:`~mdvax.dashboard.state.ViewState`; every control, map click and
reset goes through one of its methods, which compute the new view with
:mod:`mdvax.dashboard.model` and update only the widgets whose content changed.
:mod:`mdvax.dashboard.app` builds it for a page.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from importlib import resources

import ipywidgets as widgets

from mdvax import format as fmt
from mdvax.dashboard import access, model, panel
from mdvax.dashboard import revisions as rev
from mdvax.dashboard import state as st
from mdvax.dashboard.controls import Controls
from mdvax.dashboard.map import CountyMap
from mdvax.dashboard.share import share_html
from mdvax.dashboard.views import DatasetViews
from mdvax.dashboard.vintages import Vintages
from mdvax.errors import visitor_message

log = logging.getLogger(__name__)


def stylesheet() -> widgets.HTML:
    """The dashboard's CSS (layout at 1280 px and 390 px, map background, panel)."""
    css = resources.files("mdvax.dashboard").joinpath("dashboard.css").read_text("utf-8")
    return widgets.HTML(f"<style>{css}</style>", layout=widgets.Layout(display="none"))


def guarded(method: Callable) -> Callable:
    """Run a widget callback; if it fails, log the error and show the visitor a fixed note.

    The note is the error class's :func:`~mdvax.errors.visitor_message`, never the error's own
    text (which can name the server's files); the log keeps the traceback.
    """

    @functools.wraps(method)
    def wrapper(self: Dashboard, *args: object, **kwargs: object) -> None:
        try:
            method(self, *args, **kwargs)
        except Exception as error:  # a visitor must never see a traceback
            log.exception("dashboard callback %s failed", method.__name__)
            note = f"Could not update the view. {visitor_message(error)}"
            self.notes.value = panel.notes_html([note])

    return wrapper


class Dashboard:
    """The dashboard of one visitor's session.

    Parameters
    ----------
    data : DashboardData
        What to show.
    initial : ViewState
        The view the page opens with (also where Reset returns).
    notes : list of str
        Plain-text notes to show (ignored link parameters...).
    page_url : str
        The page's address, for the "link to this view" field ("" if unknown).
    vintages : Vintages, optional
        The vintages to choose from ("As published on"); default: ``data`` alone.
    datasets : DatasetViews, optional
        The views beyond the map (``view=``); default: read through ``api.load_table``.
    """

    def __init__(
        self,
        data: model.DashboardData,
        initial: st.ViewState,
        notes: list[str] = (),
        page_url: str = "",
        vintages: Vintages | None = None,
        datasets: DatasetViews | None = None,
    ) -> None:
        self.vintages = vintages or Vintages.single(data)
        # One vintage has no revisions to show: nothing is read.
        self.revisions = rev.Revisions(
            self.vintages.archive if self.vintages.choosable else lambda: None
        )
        self.data = self.vintages.data(initial.as_of)
        self.initial = initial
        self.state = initial
        self.page_url = page_url
        self.view: model.View | None = None
        self.map = CountyMap(data.geometry, self.click, self.describe)
        published = [v.published for v in self.vintages.choices]
        self.controls = Controls(self.data.dates(), self.change, self.reset, published)
        self.notes = widgets.HTML(panel.notes_html(list(notes)))
        self.provenance = widgets.HTML(panel.provenance_html(self.data.provenance))
        self.about = widgets.HTML(panel.about_html(self.vintages.newest.provenance))
        self.headline = widgets.HTML()
        self.headline.add_class("mdvax-live")  # a polite live region (a11y.js)
        self.panel = widgets.HTML()
        self.chart = widgets.HTML()
        self.marker = widgets.HTML()
        self.marker.add_class("mdvax-marker")
        self.chartbox = widgets.Box([self.chart, self.marker])
        self.chartbox.add_class("mdvax-chartbox")
        #: "How this figure was revised", below the county's chart (whose heading ends the panel).
        self.revised = widgets.HTML()
        self.back = widgets.Button(description="Back to Maryland", tooltip="Close (Escape)")
        self.back.add_class("mdvax-back")
        self.back.on_click(lambda _: self.click(self.state.county))
        #: The "link to this view" field and the "Download CSV" link: one widget, one message.
        self.share = widgets.HTML()
        self.table = access.CountyTable(lambda: (self.view, self.state))
        self.datasets = datasets or DatasetViews()
        self.body = widgets.Box()
        self.controls.show(initial)
        self.render()

    # Transitions (each one re-renders) -------------------------------------------------------

    @guarded
    def change(self, fields: dict) -> None:
        """A control moved: ``fields`` holds the changed state fields."""
        if "as_of" in fields:
            chosen = fields.pop("as_of")
            self.state = dataclasses.replace(self.state, as_of=chosen, asked_as_of=None)
            self._load_vintage()
        self.state = st.update(self.state, **fields)
        self.render()

    def _load_vintage(self) -> None:
        """Show the vintage ``self.state.as_of`` names: its table, days and provenance.

        The day shown stays if the vintage has it, else moves to the vintage's nearest day.
        """
        self.data = self.vintages.data(self.state.as_of)
        day = self.vintages.find(self.state.as_of).clamp(self.state.date)
        self.state = dataclasses.replace(self.state, date=day)
        self.controls.set_dates(self.data.dates())
        self.controls.show(self.state)
        _set(self.provenance, panel.provenance_html(self.data.provenance))

    @guarded
    def click(self, fips: str | None) -> None:
        """A county was clicked (again: back to the state view)."""
        if fips:
            self.state = st.click_county(self.state, fips)
            self.render()

    @guarded
    def reset(self) -> None:
        """Back to the view the page opened with, panel closed."""
        self.state = st.reset(self.state, self.initial)
        self._load_vintage()
        self.render()

    # Rendering ---------------------------------------------------------------------------------

    def describe(self, fips: str) -> str:
        """Hover text: county, value, % of population."""
        row = self.view.counties.loc[st.NAME_BY_FIPS[fips]]
        pct = fmt.share(row["pct"], self.state.daily)
        return f"{st.NAME_BY_FIPS[fips]}: {fmt.count(row['value'])} ({pct} of population)"

    def render(self) -> None:
        """Bring every widget in line with ``self.state``."""
        s = self.state
        self.view = view = model.compute(self.data, s)
        self.map.restyle(view.picture.fills, s.county)
        self.map.set_legend(view.picture)
        published = self.vintages.find(s.as_of).published
        line, revised = self.revisions.html(s, published)
        _set(self.headline, panel.headline_html(view, s) + line)
        if s.county:
            series = model.series(self.data, s.county, s.measure, s.daily)
            _set(self.panel, panel.county_html(view, s))
            _set(self.chart, panel.chart_svg(series, st.NAME_BY_FIPS[s.county]))
            _set(self.marker, panel.marker_svg(series, s.date))
        else:
            _set(self.panel, panel.state_html(view, s))
        _set(self.revised, revised)
        self.revised.layout.display = None if revised else "none"  # no archive: no gap
        self.chartbox.layout.display = None if s.county else "none"
        self.back.layout.display = None if s.county else "none"
        self.controls.show(s)  # the county selector follows map clicks, Back and Escape
        self.table.update()
        _set(self.share, share_html(self.page_url, view, s, published, self.vintages.choosable))
        self.datasets.show(s.view, s.as_of or s.asked_as_of, self.data.table, s.measure)
        for part in (self.body, self.table.widget, self.headline):
            part.layout.display = None if s.view == "county" else "none"

    # Layout --------------------------------------------------------------------------------------

    def widget(self) -> widgets.Box:
        """The dashboard laid out: header, notes, controls, map + side panel, sharing."""
        side = widgets.VBox([self.panel, self.chartbox, self.revised, self.back])
        side.add_class("mdvax-side")
        self.map.map.layout.flex = "2 1 520px"
        self.body.children = (self.map.map, side)
        self.body.add_class("mdvax-body")
        share = widgets.Box([self.share])
        share.add_class("mdvax-share")
        root = widgets.VBox(
            [
                stylesheet(),
                self.map.colours,
                self.provenance,
                self.notes,
                self.headline,
                self.controls.box(),
                self.body,
                self.datasets.widget,
                self.table.widget,
                share,
                self.about,
                widgets.HTML(access.footer_html()),
            ]
        )
        root.add_class("mdvax-app")
        return root


def _set(widget: widgets.HTML, value: str) -> None:
    """Assign only if different: every assignment is a websocket message."""
    if widget.value != value:
        widget.value = value
