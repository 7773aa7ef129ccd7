"""Maryland's 24 jurisdictions, their FIPS codes, and the spellings the sources use for them."""

from __future__ import annotations

import re

from mdvax.errors import ValidationError

#: The 24 jurisdictions (23 counties and Baltimore City) and their 5-digit FIPS codes.
JURISDICTIONS: dict[str, str] = {
    "Allegany": "24001",
    "Anne Arundel": "24003",
    "Baltimore": "24005",
    "Baltimore City": "24510",
    "Calvert": "24009",
    "Caroline": "24011",
    "Carroll": "24013",
    "Cecil": "24015",
    "Charles": "24017",
    "Dorchester": "24019",
    "Frederick": "24021",
    "Garrett": "24023",
    "Harford": "24025",
    "Howard": "24027",
    "Kent": "24029",
    "Montgomery": "24031",
    "Prince George's": "24033",
    "Queen Anne's": "24035",
    "Somerset": "24039",
    "St. Mary's": "24037",
    "Talbot": "24041",
    "Washington": "24043",
    "Wicomico": "24045",
    "Worcester": "24047",
}

#: Doses the state has not (yet) assigned to a county: blank and ``Unknown`` county rows.
UNASSIGNED = "Unassigned"

#: Name of the whole state in totals and population tables.
STATE = "Maryland"

_UNASSIGNED_KEYS = {"", "unknown", "unassigned", "na", "n/a", "none", "null", "outofstate"}


def _key(name: str) -> str:
    """Fold a spelling to a comparison key: case, punctuation, spaces and 'County' ignored."""
    key = name.strip().lower()
    key = re.sub(r"\bsaint\b", "st", key)
    key = re.sub(r"\bcounty\b", "", key)
    return re.sub(r"[^a-z]", "", key)


_BY_KEY = {_key(name): name for name in JURISDICTIONS}
_BY_KEY["baltimorecity"] = "Baltimore City"
_BY_KEY["cityofbaltimore"] = "Baltimore City"


def canonical_county(raw: object) -> str:
    """Map a source's county spelling to a jurisdiction name or :data:`UNASSIGNED`.

    Parameters
    ----------
    raw : object
        The cell as read (padded string, empty string, ``None`` or NaN).

    Returns
    -------
    str
        One of :data:`JURISDICTIONS` or ``"Unassigned"``.

    Raises
    ------
    ValidationError
        For a name that is neither a Maryland jurisdiction nor a known "unassigned" marker.
    """
    if raw is None or (isinstance(raw, float) and raw != raw):  # None or NaN
        return UNASSIGNED
    text = str(raw)
    key = _key(text)
    if key in _UNASSIGNED_KEYS:
        return UNASSIGNED
    try:
        return _BY_KEY[key]
    except KeyError:
        shown = text.strip()[:80]
        raise ValidationError(
            f"unknown county name {shown!r}: not one of Maryland's 24 jurisdictions "
            f"({', '.join(JURISDICTIONS)}) nor a blank/'Unknown' row"
        ) from None


def fips_of(county: str) -> str | None:
    """FIPS code of a jurisdiction, ``None`` for :data:`UNASSIGNED`."""
    return JURISDICTIONS.get(county)


def county_of_fips(fips: str) -> str | None:
    """Jurisdiction with this FIPS code, or ``None``."""
    for name, code in JURISDICTIONS.items():
        if code == fips:
            return name
    return None
