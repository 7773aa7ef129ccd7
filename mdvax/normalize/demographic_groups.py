"""The normalized group labels of the demographic datasets and how the state's labels map to them.

The state's files spell one category several ways over time (``UNKNOWN`` and ``Unknown`` in the
same ethnicity file, upper-case race names, ``age30to39``...). Each raw label, stripped of the
padding some exports add and compared without case, maps to exactly one label of
:data:`GROUPS`; a label that is not listed is an error, never a silent new group.
``docs/demographics.md`` gives the full table and the reasons.
"""

from __future__ import annotations

from mdvax.errors import ValidationError

#: Doses that federal agencies (Department of Defense, Veterans Affairs, Indian Health Service,
#: Bureau of Prisons) reported to the state as totals with no demographic detail. Not a
#: demographic category: kept as a group of its own in every dataset so the groups still add up
#: to the state's totals, and so a reader can count it with ``Unknown`` as "not known".
FEDERAL = "Federal entities"
UNKNOWN = "Unknown"

#: Normalized labels per dataset, in display order. Age bands come from two files: ten-year
#: bands (``0-9`` ... ``80+``, from 2021-04-27) and, for the first four weeks of the history,
#: the broad bands of the line-graph file (``16-17``, later ``12-17``, ``18-49``, ``50-64``,
#: ``65+``, and ``0-11`` from 2021-11-09).
GROUPS: dict[str, tuple[str, ...]] = {
    "age": (
        "0-9",
        "10-19",
        "20-29",
        "30-39",
        "40-49",
        "50-59",
        "60-69",
        "70-79",
        "80+",
        "0-11",
        "12-17",
        "16-17",
        "18-49",
        "50-64",
        "65+",
        FEDERAL,
        UNKNOWN,
    ),
    "race": (
        "American Indian or Alaska Native",
        "Asian",
        "Black or African American",
        "Native Hawaiian or Other Pacific Islander",
        "White",
        "Two or more races",
        "Other",
        FEDERAL,
        UNKNOWN,
    ),
    "ethnicity": ("Hispanic or Latino", "Not Hispanic or Latino", FEDERAL, UNKNOWN),
    "gender": ("Female", "Male", FEDERAL, UNKNOWN),
}

AGE_GROUPS = GROUPS["age"]
RACE_GROUPS = GROUPS["race"]
ETHNICITY_GROUPS = GROUPS["ethnicity"]
GENDER_GROUPS = GROUPS["gender"]

_SHARED = {"FEDERAL ENTITIES": FEDERAL, "UNKNOWN": UNKNOWN, "DATA NOT AVAILABLE": UNKNOWN}

_TEN_YEAR = {f"AGE{low}TO{low + 9}": f"{low}-{low + 9}" for low in range(0, 80, 10)}

#: Raw label (stripped, upper case) -> normalized label, per dataset.
RAW_LABELS: dict[str, dict[str, str]] = {
    "age": {
        **_SHARED,
        **_TEN_YEAR,
        "AGE80PLUS": "80+",
        "11 AND UNDER": "0-11",
        "12-17": "12-17",
        "16-17": "16-17",
        "18-49": "18-49",
        "50-64": "50-64",
        "65 AND OLDER": "65+",
        "NOT AVAILABLE": UNKNOWN,
    },
    "race": {
        **_SHARED,
        "AMERICAN INDIAN OR ALASKAN NATIVE": "American Indian or Alaska Native",
        "AMERICAN INDIAN OR ALASKA NATIVE": "American Indian or Alaska Native",
        "ASIAN": "Asian",
        "BLACK OR AFRICAN AMERICAN": "Black or African American",
        "NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER": "Native Hawaiian or Other Pacific Islander",
        "WHITE": "White",
        "TWO OR MORE RACES": "Two or more races",
        "OTHER": "Other",
        "OTHER RACE": "Other",
        "UNKNOWN RACE": UNKNOWN,
    },
    "ethnicity": {
        **_SHARED,
        "HISPANIC OR LATINO": "Hispanic or Latino",
        "HISPANIC": "Hispanic or Latino",
        "NOT HISPANIC OR LATINO": "Not Hispanic or Latino",
        "NOT HISPANIC": "Not Hispanic or Latino",
        "UNKNOWN ETHNICITY": UNKNOWN,
    },
    "gender": {**_SHARED, "FEMALE": "Female", "MALE": "Male", "UNKNOWN GENDER": UNKNOWN},
}


def canonical_group(dataset: str, raw: str) -> str:
    """The normalized label of the state's ``raw`` label (padding and case ignored).

    Raises
    ------
    ValidationError
        The label is not one the state has used for this dataset.
    """
    key = " ".join(str(raw).split()).upper()
    try:
        return RAW_LABELS[dataset][key]
    except KeyError:
        known = sorted({label for label in RAW_LABELS[dataset].values()})
        shown = str(raw).strip()[:60]
        raise ValidationError(
            f"{dataset}: unknown group {shown!r}; expected a label meaning one of {known}"
        ) from None
