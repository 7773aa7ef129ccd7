"""The measures: names, the labels people read, the default, and their table columns.

The one vocabulary of the package: the canonical table, the statistics, the dashboard, the
archive, the report and the command line all take their measure names from here and reject
an unknown one with the same :class:`~mdvax.errors.UnknownMeasureError`.
"""

from __future__ import annotations

from mdvax.errors import UnknownMeasureError

__all__ = [
    "COLUMNS",
    "DAILY",
    "DEFAULT",
    "DOSES",
    "LABELS",
    "NAMES",
    "UnknownMeasureError",
    "check",
    "check_column",
    "column",
    "label",
]

#: The doses the source counts (cumulative columns of the raw data).
DOSES = ("first_dose", "second_dose", "single_dose")

#: Every cumulative measure, in order, with the label people read.
LABELS: dict[str, str] = {
    "first_dose": "First doses",
    "second_dose": "Second doses",
    "single_dose": "Single doses (J&J)",
    "at_least_one": "At least one dose",
    "fully_vaccinated": "Fully vaccinated",
}
#: Names of the cumulative measures, in order.
NAMES = tuple(LABELS)
#: The daily counts derived from them (``<measure>_daily``).
DAILY = tuple(f"{m}_daily" for m in NAMES)
#: Every measure column of the canonical table: cumulative, then daily.
COLUMNS = (*NAMES, *DAILY)
#: The measure shown when none is asked for.
DEFAULT = "at_least_one"


def check(measure: object) -> str:
    """``measure`` itself when it is one of :data:`NAMES`.

    Raises
    ------
    UnknownMeasureError
        Otherwise (the message names the value and the valid ones).
    """
    if not isinstance(measure, str) or measure not in LABELS:
        raise UnknownMeasureError(measure, NAMES)
    return measure


def check_column(name: object) -> str:
    """``name`` itself when it is a measure column (:data:`COLUMNS`, daily ones included)."""
    if not isinstance(name, str) or name not in COLUMNS:
        raise UnknownMeasureError(name, COLUMNS)
    return name


def column(measure: str, daily: bool = False) -> str:
    """Table column of a measure: the cumulative one, or the daily count."""
    return f"{check(measure)}_daily" if daily else check(measure)


def label(measure: str, daily: bool = False, per_capita: bool = False) -> str:
    """A heading such as ``"Fully vaccinated (daily, % of population)"``."""
    details = [x for x, on in (("daily", daily), ("% of population", per_capita)) if on]
    return LABELS[check(measure)] + (f" ({', '.join(details)})" if details else "")
