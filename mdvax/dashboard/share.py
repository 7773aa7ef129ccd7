"""What a visitor takes away from a view: the "link to this view" and the "Download CSV" link.

Both are one HTML string for one widget (:func:`share_html`), rewritten on each render in the
same message. Nothing is stored on the server: the CSV file travels inside its link.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from urllib.parse import quote

from mdvax import stats
from mdvax.dashboard import model, panel
from mdvax.dashboard import state as st


def share_html(
    page_url: str, view: model.View, state: st.ViewState, published: date, choosable: bool
) -> str:
    """The link field and the download link of ``view`` (of ``state``).

    Parameters
    ----------
    page_url : str
        The page's address ("" if unknown).
    view : model.View
        The figures shown (:func:`mdvax.dashboard.model.compute` of ``state``).
    state : ViewState
        The view shown.
    published : datetime.date
        Publication day of the vintage shown.
    choosable : bool
        Whether the visitor can choose among vintages (then links and files name the vintage).
    """
    # Links name the vintage even when it is the newest, so they keep showing the same figures
    # after newer vintages arrive (as every other field is explicit too). An as_of no vintage
    # here could show stays in the link as asked (``st.to_query``).
    named = choosable and state.asked_as_of is None
    linked = dataclasses.replace(state, as_of=published) if named else state
    query = st.to_query(linked)
    download = download_html(view, state, published if choosable else None)
    return panel.link_html(page_url, query) + download


def download_html(view: model.View, state: st.ViewState, published: date | None) -> str:
    """A link that saves the view's table as a CSV file in one click (nothing stored).

    The file travels inside the link (a ``data:`` URL of about 1.8 KB, rewritten on each
    render with the link field, in the same message), so a click needs no round trip to the
    kernel. Commas and colons are left unquoted: legal in a ``data:`` URL, and 27 rows of
    7 commas would otherwise cost 3 bytes each.
    """
    s = state
    name = f"mdvax_{s.date.isoformat()}_{stats.column(s.measure, s.daily)}"
    name += "_pct" if s.per_capita else ""
    name += f"_as-published-{published.isoformat()}.csv" if published else ".csv"
    href = "data:text/csv;charset=utf-8," + quote(model.table_csv(view, s), safe=",:")
    return panel.download_html(name, href)
