"""The control widgets: measure, daily, % of population, vintage, county, date, reset.

:class:`Controls` only reads and writes widgets; what a change means is decided by the app
through :mod:`mdvax.dashboard.state`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import ipywidgets as widgets

from mdvax.dashboard.state import NAME_BY_FIPS, ViewState
from mdvax.dashboard.views import VIEWS
from mdvax.stats import MEASURES

#: Milliseconds between frames of the date animation.
PLAY_INTERVAL_MS = 350
#: ... when the visitor's system asks for reduced motion (``prefers-reduced-motion``).
REDUCED_INTERVAL_MS = 1500
#: Label of the county selector's "no county" choice.
NO_COUNTY = "Maryland (all counties)"
#: A label beside its control (ToggleButtons have no room to spare at 390 px).
_LABEL = {"description_width": "initial"}


def _date_label(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


class Controls:
    """Widgets whose values mirror a :class:`ViewState`.

    Parameters
    ----------
    dates : list of datetime.date
        Every day of the data, oldest first (the slider's stops).
    on_change : callable
        Called with a dict of changed state fields when a visitor moves a control.
    on_reset : callable
        Called when the reset button is pressed.
    vintages : list of datetime.date
        Publication days to choose from, oldest first (fewer than two: the control is hidden).
    """

    def __init__(
        self,
        dates: list[date],
        on_change: Callable[[dict], None],
        on_reset: Callable[[], None],
        vintages: list[date] = (),
    ) -> None:
        self._on_change = on_change
        self._quiet = False
        self.dates = dates
        self.view = widgets.Dropdown(
            options=[(label, key) for key, label in VIEWS.items()],
            description="View",
            style=_LABEL,
            layout=widgets.Layout(width="auto"),
        )
        self.view.add_class("mdvax-view")
        self.measure = widgets.Dropdown(
            options=[(label, key) for key, label in MEASURES.items()],
            description="Measure",
            layout=widgets.Layout(width="250px"),
        )
        # "auto": each button as wide as its label (a fixed width cut "Cumulative" short).
        # ToggleButtons: a visible description; a11y.js names the group by it and marks the
        # active button aria-pressed (ipywidgets sets neither: jupyter-widgets/ipywidgets#2650).
        self.daily = widgets.ToggleButtons(
            options=[("Cumulative", False), ("Daily", True)],
            description="Doses",
            style={"button_width": "auto", **_LABEL},
            tooltips=["Total so far", "Doses given that day"],
        )
        self.per_capita = widgets.ToggleButtons(
            options=[("% of population", True), ("Count", False)],
            description="Show",
            style={"button_width": "auto", **_LABEL},
            tooltips=["Share of the 2019 population", "Number of people"],
        )
        self.slider = widgets.SelectionSlider(
            options=[(_date_label(d), d) for d in dates],
            value=dates[-1],
            description="Date",
            style=_LABEL,
            continuous_update=False,
            layout=widgets.Layout(flex="1 1 auto", width="auto", min_width="180px"),
        )
        self.slider.add_class("mdvax-date")
        self.play = widgets.Play(
            min=0,
            max=len(dates) - 1,
            value=self.slider.index,
            interval=PLAY_INTERVAL_MS,
            description="Play the days",
            layout=widgets.Layout(width="auto"),
        )
        # The Play widget's position follows the slider through a link in the kernel. A link in
        # the browser (jslink) copies its source over its target when the page loads: with Play
        # as the source, every deep link opened on the last day. A kernel link has no such copy,
        # and a step of either widget sends the kernel one message, not two (each answered by a
        # busy and an idle status: about 1.3 KB per step saved).
        self.play_link = widgets.link((self.slider, "index"), (self.play, "value"))
        self.reset = widgets.Button(
            description="Reset",
            tooltip="Back to the view the page opened with",
            layout=widgets.Layout(width="auto"),
        )
        self.reset.on_click(lambda _: on_reset())
        # "As published on": newest first; its value is the publication day. The newest is ""
        # (None would select nothing in the browser, as for the county below).
        newest = vintages[-1] if vintages else None
        self.as_of = widgets.Dropdown(
            options=[
                (
                    f"{_date_label(d)}{' (newest)' if d == newest else ''}",
                    "" if d == newest else d,
                )
                for d in reversed(vintages)
            ]
            or [("newest", "")],
            value="",
            description="As published on",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto", display=None if len(vintages) > 1 else "none"),
        )
        self.as_of.add_class("mdvax-asof-control")
        # The keyboard's way to a county (Leaflet's shapes cannot take focus: see a11y.js).
        self.county = widgets.Dropdown(
            # "" for no county: a Dropdown whose value is None selects nothing in the browser.
            options=[(NO_COUNTY, ""), *sorted((n, f) for f, n in NAME_BY_FIPS.items())],
            value="",
            description="County",
            style=_LABEL,
            layout=widgets.Layout(width="auto"),
        )
        self.county.add_class("mdvax-county")
        # Hidden; a11y.js ticks it when the browser prefers reduced motion: Play then steps
        # slower (the page cannot set the Play widget's interval itself).
        self.reduced_motion = widgets.Checkbox(
            value=False, description="Reduce motion", layout=widgets.Layout(display="none")
        )
        self.reduced_motion.add_class("mdvax-reduced-motion")
        self.reduced_motion.observe(self._motion, names="value")
        self.time = widgets.HBox(
            [self.play, self.slider],
            layout=widgets.Layout(flex="1 1 360px", align_items="center", min_width="0"),
        )
        self.time.add_class("mdvax-time")
        for name in ("view", "measure", "daily", "per_capita", "as_of", "county"):
            getattr(self, name).observe(self._changed(name), names="value")
        self.slider.observe(self._changed("date"), names="value")

    def _changed(self, name: str) -> Callable[[dict], None]:
        def handler(change: dict) -> None:
            if not self._quiet:
                new = change["new"]
                blank_is_none = name in ("county", "as_of")
                self._on_change({name: (new or None) if blank_is_none else new})

        return handler

    def _motion(self, change: dict) -> None:
        self.play.interval = REDUCED_INTERVAL_MS if change["new"] else PLAY_INTERVAL_MS

    def show(self, state: ViewState) -> None:
        """Set every widget to ``state`` without reporting the changes back."""
        self._quiet = True
        try:
            self.view.value = state.view
            self.measure.value = state.measure
            self.daily.value = state.daily
            self.per_capita.value = state.per_capita
            self.as_of.value = state.as_of or ""
            self.county.value = state.county or ""
            self.slider.value = state.date  # and the Play widget with it (``play_link``)
            map_only = None if state.view == "county" else "none"  # the other views show all days
            for part in (self.daily, self.per_capita, self.county, self.time):
                part.layout.display = map_only
            self.measure.layout.display = "none" if state.view == "third_dose" else None
        finally:
            self._quiet = False

    def set_dates(self, dates: list[date]) -> None:
        """New slider stops (another vintage's days), without reporting the change back."""
        if dates == self.dates:
            return
        self._quiet = True
        try:
            self.dates = dates
            self.slider.options = [(_date_label(d), d) for d in dates]
            self.play.max = len(dates) - 1
        finally:
            self._quiet = False

    def box(self) -> widgets.Box:
        """The controls laid out to wrap onto several lines on narrow screens."""
        wrap = widgets.Layout(
            display="flex",
            flex_flow="row wrap",
            align_items="center",
            width="100%",
            grid_gap="6px 12px",
        )
        # One vintage: no choice to offer, and nothing of the control on the page.
        vintage = [self.as_of] if self.as_of.layout.display != "none" else []
        box = widgets.Box(
            [
                self.view,
                self.measure,
                self.daily,
                self.per_capita,
                *vintage,
                self.county,
                self.time,
                self.reset,
                self.reduced_motion,
            ],
            layout=wrap,
        )
        box.add_class("mdvax-controls")
        return box
