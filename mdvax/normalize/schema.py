"""Recognise the layer's historical column schemas and map them to our names."""

from __future__ import annotations

from collections.abc import Iterable

from mdvax.errors import SchemaError
from mdvax.measures import DOSES

__all__ = ["DOSES", "SCHEMAS", "match_schema"]

#: Each known schema: our column -> the source's (case-insensitive) name. Daily columns are
#: recognised but recomputed from the cumulative ones, which the source keeps consistent.
SCHEMAS: dict[str, dict[str, str]] = {
    "2021": {
        "first_dose": "FirstDoseCumulative",
        "second_dose": "SecondDoseCumulative",
        "single_dose": "SingleDoseCumulative",
    },
    "predecessor": {
        "first_dose": "CumulativeFirstDose",
        "second_dose": "CumulativeSecondDose",
    },
}

#: Columns each schema also has (or later gained), which we accept and do not use.
_KNOWN_EXTRA = {
    "2021": {
        "FirstDoseDaily", "SecondDoseDaily", "SingleDoseDaily",
        "AtLeastOneDose", "AtLeastOneDoseCumulative", "FullyVaccinated", "FullVaccinatedCumulative",
    },
    "predecessor": {"DailyFirstDose", "DailySecondDose"},
}  # fmt: skip
_DATE = ("VACCINATION_DATE", "VaccinationDate", "Date")
_COUNTY = ("County", "COUNTY_NAME", "CountyName")
#: Bookkeeping columns ArcGIS adds to any layer.
_BOOKKEEPING = {"objectid", "fid", "globalid", "shape__area", "shape__length"}


def _fold(name: str) -> str:
    return name.strip().lstrip("\ufeff").lower()


def match_schema(columns: Iterable[str]) -> tuple[str, dict[str, str]]:
    """Find the schema of a raw table.

    Parameters
    ----------
    columns : iterable of str
        The raw header (any case; a UTF-8 BOM on the first name is tolerated).

    Returns
    -------
    name : str
        The schema's name (``"2021"`` or ``"predecessor"``).
    rename : dict
        Raw column -> our column (``date``, ``county`` and the doses the schema has).

    Raises
    ------
    SchemaError
        Naming the columns found and those each schema expects.
    """
    found = [str(c) for c in columns]
    by_fold = {_fold(c): c for c in found}
    date = next((by_fold[_fold(d)] for d in _DATE if _fold(d) in by_fold), None)
    county = next((by_fold[_fold(c)] for c in _COUNTY if _fold(c) in by_fold), None)
    for name, measures in SCHEMAS.items():
        wanted = {_fold(raw) for raw in measures.values()}
        if date is None or county is None or not wanted <= by_fold.keys():
            continue
        allowed = wanted | {_fold(x) for x in _KNOWN_EXTRA[name]} | _BOOKKEEPING
        allowed |= {_fold(date), _fold(county)}
        unexpected = [c for c in found if _fold(c) not in allowed]
        if unexpected:
            raise SchemaError(
                f"columns {unexpected} are not part of the {name!r} schema; found {found}, "
                f"expected {_expected()}"
            )
        rename = {date: "date", county: "county"}
        rename.update({by_fold[_fold(raw)]: ours for ours, raw in measures.items()})
        return name, rename
    raise SchemaError(f"unrecognised columns: found {found}, expected one of {_expected()}")


def _expected() -> str:
    schemas = []
    for name, measures in SCHEMAS.items():
        columns = [_DATE[0], _COUNTY[0], *measures.values()]
        schemas.append(f"{name}: {', '.join(columns)}")
    return " | ".join(schemas)
