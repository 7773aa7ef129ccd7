"""What the dashboard shows, as a small immutable value, and the URL query that reproduces it.

Everything here is pure (no widgets, no kernel): the notebook's ``parameters`` cell and the URL
query string are validated into a :class:`ViewState`; controls produce new states through the
transition functions; :func:`to_query` writes the "link to this view".

Query strings come from anyone on the internet: :mod:`mdvax.dashboard.params` checks every value,
and a bad value falls back to the default with a note (plain text; callers escape it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

# NAME_BY_FIPS, parse_county, page_url and query_string are re-exported: the notebook, tests and
# other modules import them from here.
from mdvax.dashboard.params import (
    DEFAULT_MEASURE,
    PARAMETERS,
    VIEWS,
    iso_date,
    parse_bool,
    parse_county,
    parse_date,
    parse_measure,
    parse_query,
    parse_view,
)
from mdvax.dashboard.params import NAME_BY_FIPS as NAME_BY_FIPS
from mdvax.dashboard.request import page_url as page_url
from mdvax.dashboard.request import query_string as query_string
from mdvax.errors import UnknownMeasureError


@dataclass(frozen=True)
class ViewState:
    """One view of the dashboard.

    Attributes
    ----------
    date : datetime.date
        Day shown on the map.
    measure : str
        One of :data:`mdvax.measures.NAMES`.
    daily : bool
        Daily counts instead of cumulative totals.
    per_capita : bool
        Colour and rank by % of population (the default: counts mostly show where people live)
        instead of counts.
    county : str or None
        FIPS code of the county whose panel is open; ``None`` is the state view.
    as_of : datetime.date or None
        Publication day of the vintage shown (one of the archive's); ``None`` is the newest.
    asked_as_of : datetime.date or None
        A valid ``as_of`` the link asked for that no vintage known here could show (none
        archived, or all published later): the newest is shown with a note, and links keep
        asking for that day, so they show it wherever it is archived.
    view : str
        One of :data:`VIEWS`: the county map (the default) or a view beyond it.
    """

    date: date
    measure: str = DEFAULT_MEASURE
    daily: bool = False
    per_capita: bool = True
    county: str | None = None
    as_of: date | None = None
    asked_as_of: date | None = None
    view: str = "county"


class UnavailableVintageError(ValueError):
    """A valid ``as_of`` that none of the vintages known here can show; ``day`` is kept."""

    def __init__(self, message: str, day: date) -> None:
        super().__init__(message)
        self.day = day


@dataclass(frozen=True)
class Vintage:
    """One version of the table a visitor can choose: its publication day and date range."""

    published: date
    first: date
    last: date

    def clamp(self, day: date) -> date:
        """``day`` if this vintage has it, else its nearest day."""
        return min(max(day, self.first), self.last)


def vintage_on(vintages: Sequence[Vintage], day: date) -> Vintage | None:
    """The latest of ``vintages`` (oldest first) published on or before ``day``, if any."""
    found = None
    for vintage in vintages:
        if vintage.published <= day:
            found = vintage
    return found


def _parse_as_of(value: object, vintages: Sequence[Vintage]) -> Vintage:
    """The vintage ``as_of`` names: the latest published on or before that day."""
    day = iso_date("as_of", value)
    if day > date.today():
        raise ValueError(f"as_of {day.isoformat()} is in the future")
    if not vintages:
        message = f"as_of {day.isoformat()}: no archived vintages to choose from"
        raise UnavailableVintageError(message, day)
    found = vintage_on(vintages, day)
    if found is None:
        message = (
            f"as_of {day.isoformat()} is before the first archived vintage "
            f"({vintages[0].published.isoformat()})"
        )
        raise UnavailableVintageError(message, day)
    return found


def resolve(
    parameters: Mapping[str, object],
    query: str,
    first: date,
    last: date,
    vintages: Sequence[Vintage] = (),
) -> tuple[ViewState, list[str]]:
    """The view asked for by the notebook parameters, overridden by the URL query.

    Parameters
    ----------
    parameters : mapping
        Values of the ``parameters`` cell (``None`` means default; ``date=None`` is the last day).
    query : str
        URL query string, without ``?`` (untrusted).
    first, last : datetime.date
        Date range of the newest data.
    vintages : sequence of Vintage
        The vintages to choose from, oldest first, the newest last (empty: no choice).
        ``as_of`` picks one; ``date`` is then checked against that vintage's range.

    Returns
    -------
    ViewState, list of str
        The view, and one plain-text note per value that was ignored.
    """
    notes: list[str] = []
    values = {k: v for k, v in parameters.items() if k in PARAMETERS and v is not None}
    values.update(parse_query(query, notes))
    fields: dict[str, object] = {"date": last}
    if "as_of" in values:
        try:
            chosen = _parse_as_of(values.pop("as_of"), vintages)
        except ValueError as error:
            notes.append(f"Ignored {error}; showing the newest vintage instead.")
            if isinstance(error, UnavailableVintageError):
                fields["asked_as_of"] = error.day
        else:
            first, last = chosen.first, chosen.last
            fields["date"] = last
            if chosen != vintages[-1]:
                fields["as_of"] = chosen.published
    parsers = {
        "date": lambda v: parse_date(v, first, last),
        "measure": parse_measure,
        "daily": parse_bool("daily"),
        "per_capita": parse_bool("per_capita"),
        "county": lambda v: None if str(v).strip() == "" else parse_county(v),
        "view": parse_view,
    }
    for name, raw in values.items():
        try:
            fields[name] = parsers[name](raw)
        except (ValueError, UnknownMeasureError) as error:
            notes.append(f"Ignored {error}; showing the default instead.")
    return ViewState(**fields), notes


def to_query(state: ViewState) -> str:
    """The query string that reopens ``state`` (every field explicit, so links do not drift)."""
    params = {
        "date": state.date.isoformat(),
        "measure": state.measure,
        "per_capita": int(state.per_capita),
    }
    if state.daily:
        params["daily"] = 1
    if state.county:
        params["county"] = state.county
    as_of = state.as_of or state.asked_as_of
    if as_of:
        params["as_of"] = as_of.isoformat()
    if state.view != VIEWS[0]:
        params["view"] = state.view
    return urlencode(params)


def link(base_url: str, state: ViewState) -> str:
    """Absolute link to ``state`` on the page at ``base_url`` (its own query is replaced)."""
    return f"{base_url.split('?', 1)[0].split('#', 1)[0]}?{to_query(state)}"


# Transitions ---------------------------------------------------------------------------------


def update(state: ViewState, **changes: object) -> ViewState:
    """A copy of ``state`` with ``changes`` (measure, daily, per_capita, date)."""
    if "measure" in changes:
        parse_measure(changes["measure"])
    if "view" in changes:
        parse_view(changes["view"])
    return dataclasses.replace(state, **changes)


def click_county(state: ViewState, fips: str) -> ViewState:
    """Open the panel of ``fips``; clicking the county already open returns to the state view."""
    return dataclasses.replace(state, county=None if state.county == fips else parse_county(fips))


def reset(state: ViewState, initial: ViewState) -> ViewState:
    """The view the page opened with, county panel closed."""
    return dataclasses.replace(initial, county=None)
