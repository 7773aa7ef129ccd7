"""The values of a link's query and of the notebook's parameters cell, parsed one by one.

Query strings come from anyone on the internet: they are length-capped, every value is checked,
and a bad value raises ``ValueError`` (or :class:`~mdvax.errors.UnknownMeasureError`) with a
plain-text message that quotes at most :data:`MAX_QUOTED_CHARS` of it (callers escape it).
:func:`mdvax.dashboard.state.resolve` turns each refusal into a note and the default.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import parse_qsl

from mdvax import measures
from mdvax.errors import UnknownMeasureError
from mdvax.normalize.counties import JURISDICTIONS

#: Names understood in the notebook's parameters cell and in the URL query.
PARAMETERS = ("date", "measure", "per_capita", "county", "daily", "as_of", "view")
#: The views a link can name (``view=``), the county map first (labels: ``dashboard.views``).
VIEWS = ("county", "zip", "third_dose", "age", "race", "ethnicity", "gender")
DEFAULT_MEASURE = measures.DEFAULT
#: Longest query string read, and longest value quoted back in a note.
MAX_QUERY_CHARS = 2000
MAX_QUOTED_CHARS = 40
MAX_FIELDS = 50

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_FIPS_BY_KEY = {name.lower(): fips for name, fips in JURISDICTIONS.items()}
NAME_BY_FIPS = {fips: name for name, fips in JURISDICTIONS.items()}


def quote(value: object) -> str:
    """``value`` as text to quote in a note: ``repr`` of at most :data:`MAX_QUOTED_CHARS`."""
    text = str(value)
    return repr(text if len(text) <= MAX_QUOTED_CHARS else text[:MAX_QUOTED_CHARS] + "…")


def iso_date(name: str, value: object) -> date:
    """``value`` (a date, or ``YYYY-MM-DD`` text) as a date; ``name`` is the parameter's."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:MAX_QUOTED_CHARS])
    except ValueError:
        raise ValueError(f"{name} {quote(value)} is not a YYYY-MM-DD date") from None


def parse_date(value: object, first: date, last: date) -> date:
    """The ``date`` parameter, refused outside the data's range ``first`` to ``last``."""
    day = iso_date("date", value)
    if not first <= day <= last:
        raise ValueError(f"date {day.isoformat()} is outside the data ({first} to {last})")
    return day


def parse_measure(value: object) -> str:
    """One of :data:`mdvax.measures.NAMES` (any case)."""
    key = str(value).strip().lower()
    if key not in measures.NAMES:
        raise UnknownMeasureError(value, measures.NAMES)
    return key


def parse_view(value: object) -> str:
    """One of :data:`VIEWS` (any case); anything else is refused with the valid names."""
    key = str(value).strip().lower()
    if key not in VIEWS:
        raise ValueError(f"view {quote(value)} is not one of {', '.join(VIEWS)}")
    return key


def parse_bool(name: str) -> Callable[[object], bool]:
    """The parser of the flag ``name``: 1/0, true/false, yes/no, on/off (any case)."""

    def parse(value: object) -> bool:
        if isinstance(value, bool):
            return value
        key = str(value).strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise ValueError(f"{name} {quote(value)} is not 1/0 (or true/false)")

    return parse


def parse_county(value: object) -> str:
    """FIPS code of a county given by FIPS (``24031``) or name (``Montgomery``, any case)."""
    key = str(value).strip()
    if key in NAME_BY_FIPS:
        return key
    fips = _FIPS_BY_KEY.get(key.lower()) or _FIPS_BY_KEY.get(key.lower().removesuffix(" county"))
    if fips is None:
        raise ValueError(f"county {quote(value)} is not a Maryland FIPS code or county name")
    return fips


def parse_query(query: str, notes: list[str]) -> dict[str, str]:
    """Known parameters of a query string (last value wins); notes for what was dropped."""
    if not query:
        return {}
    if len(query) > MAX_QUERY_CHARS:
        notes.append(f"Ignored the link's query: longer than {MAX_QUERY_CHARS} characters.")
        return {}
    try:
        pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        notes.append(f"Ignored the link's query: more than {MAX_FIELDS} parameters.")
        return {}
    unknown = sorted({k for k, _ in pairs if k not in PARAMETERS})
    if unknown:
        names = ", ".join(quote(k) for k in unknown[:5])
        notes.append(f"Ignored unknown link parameter(s) {names}.")
    return {k: v for k, v in pairs if k in PARAMETERS}
