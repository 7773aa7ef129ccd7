"""Accessibility parts of the dashboard: the map's table alternative and the footer.

The legend's classes as text are :meth:`mdvax.render.classes.Classes.names`, the county selector
and the reduced-motion switch are in :mod:`mdvax.dashboard.controls`. The browser side (ARIA
names ipywidgets cannot set, Escape to close the county panel, the live region, focus outlines) is the Voila template's ``a11y.js`` and ``a11y.css``
(``mdvax/serve/share/voila/templates/mdvax/``); ``docs/accessibility.md`` describes both.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from mdvax import format as fmt
from mdvax import measures
from mdvax.dashboard.model import View
from mdvax.dashboard.state import ViewState
from mdvax.templates import render

#: Where the dashboard's footer links: the statement in the project's repository (the dashboard
#: serves notebooks only, not the documentation).
STATEMENT_URL = "https://github.com/mdvax/mdvax/blob/main/docs/accessibility.md"


def table_html(view: View, state: ViewState) -> str:
    """The map as a table: every county's value, share of the population and rank, by name."""
    rows = [
        (name, fmt.count(row["value"]), fmt.share(row["pct"], state.daily), int(row["rank"]))
        for name, row in view.counties.sort_index().iterrows()
    ]
    by = "% of population" if state.per_capita else "count"
    title = measures.label(state.measure, state.daily)
    return render("dashboard/table.html.j2", rows=rows, title=title, day=state.date, by=by)


def footer_html() -> str:
    """The page's footer: a link to the accessibility statement."""
    return render("dashboard/footer.html.j2", statement=STATEMENT_URL)


class CountyTable:
    """A "Show as table" toggle and the table of the current view below the map.

    The table is only rendered and sent while it is shown, so a date step costs nothing more
    when it is hidden (the default).

    Parameters
    ----------
    current : callable
        Returns the current ``(View, ViewState)``.
    """

    def __init__(self, current: Callable[[], tuple[View, ViewState]]) -> None:
        self._current = current
        # One name, pressed or not (a11y.js sets aria-pressed).
        self.toggle = widgets.ToggleButton(
            value=False,
            description="Show as table",
            tooltip="The map's figures as a table",
            layout=widgets.Layout(width="auto", align_self="flex-start"),
        )
        self.toggle.add_class("mdvax-table-toggle")
        self.table = widgets.HTML(layout=widgets.Layout(display="none", width="100%"))
        self.table.add_class("mdvax-table")
        self.toggle.observe(lambda _: self.update(), names="value")
        self.widget = widgets.VBox([self.toggle, self.table], layout=widgets.Layout(width="100%"))
        self.widget.add_class("mdvax-table-box")

    def update(self) -> None:
        """Bring the table in line with the current view (nothing sent while it is hidden)."""
        shown = self.toggle.value
        self.table.layout.display = None if shown else "none"
        value = table_html(*self._current()) if shown else ""
        if self.table.value != value:
            self.table.value = value
