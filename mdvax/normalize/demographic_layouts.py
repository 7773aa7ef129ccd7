"""Where the demographic tables are in the state's repository, and the layouts they have had.

``docs/demographics.md`` dates every layout and group change.
"""

from __future__ import annotations

from dataclasses import dataclass

from mdvax.errors import SchemaError

#: Repository files of each dataset, preferred first. At each commit, read the first of them
#: that the commit's tree has (a vintage when its content changed): age's ten-year bands exist
#: from 2021-04-27, its broad bands (the line-graph file) from the first commit. The race file
#: without ``_Raw`` changed in the first commit only (it stays in the tree, unchanged, beside the
#: ``_Raw`` one, which is always preferred).
FILES: dict[str, tuple[str, ...]] = {
    "age": (
        "Vax_Age_FirstSecondSingle_Totals_Cumulative_Raw.csv",
        "Vax_Age_LineGraph_FirstSecondSingle_PercentVax_Cumulative_Raw.csv",
    ),
    "race": (
        "Vax_OpenData_Race_CRISP_Insights_FirstSecondSingle_Count_Pivot_Cumulative_Raw.csv",
        "Vax_OpenData_Race_CRISP_Insights_FirstSecondSingle_Count_Pivot_Cumulative.csv",
    ),
    "ethnicity": ("Vax_Ethnicity_CRISP_Insights_FirstSecondSingle_Count_Pivot_Cumulative_Raw.csv",),
    "gender": ("Vax_Gender_FirstSecondSingle_Count_Pivot_Cumulative_Raw.csv",),
}

#: The same tables as the state's open-data (ArcGIS) exports, also committed to the repository
#: from 2021-08-16: an ``OBJECTID`` column, ``12/14/2020 15:00:00`` dates, counts written as
#: ``1.000000000000000``. They add no history to :data:`FILES` but read the same way.
OPEN_DATA: dict[str, tuple[str, ...]] = {
    "age": (
        "MD_COVID19_TotalVaccinationsAgeFirstandSecondSingleDose.csv",
        "MD_COVID19_VaccinationPercentAgeGroupPopulation.csv",
    ),
    "race": ("MD_COVID19_TotalVaccinationsRaceFirstandSecondSingleDose.csv",),
    "ethnicity": ("MD_COVID19_TotalVaccinationsEthnicityFirstandSecondSingleDose.csv",),
    "gender": ("MD_COVID19_TotalVaccinationsGenderFirstandSecondSingleDose.csv",),
}

#: Columns a file may have beside its layout's, ignored (the open-data exports' row number).
IGNORED = ("OBJECTID",)


@dataclass(frozen=True)
class Layout:
    """One file layout: its exact columns and which ones hold the group and running totals."""

    name: str
    group: str
    columns: tuple[str, ...]
    cumulative: tuple[str, str, str]  # first, second, single


def _pivot(group: str) -> Layout:
    counts = ("FirstDose", "SecondDose", "SingleDose")
    columns = [f"{dose}{kind}" for dose in counts for kind in ("Daily", "Cumulative")]
    cumulative = tuple(f"{dose}Cumulative" for dose in counts)
    return Layout("count-pivot", group, ("VACCINATION_DATE", group, *columns), cumulative)


def _age(name: str, combined: str) -> Layout:
    doses = ("FirstDailyDose", "SecondDailyDose", "SingleDailyDose", combined, "FullyVaccinated")
    columns = [column for dose in doses for column in (dose, f"{dose}Cumulative")]
    cumulative = tuple(f"{dose}Cumulative" for dose in doses[:3])
    return Layout(name, "AgeRange", ("VACCINATION_DATE", "AgeRange", *columns), cumulative)


#: The layouts each dataset's files have had (``docs/demographics.md`` dates them).
SCHEMAS: dict[str, tuple[Layout, ...]] = {
    "age": (
        _age("age-ten-year-cumulative", "CombinedTotalDoses"),
        _age("age-line-graph-cumulative", "CombinedAllDoses"),
    ),
    "race": (_pivot("Race"),),
    "ethnicity": (_pivot("Ethnicity"),),
    "gender": (_pivot("Gender"),),
}


def match_layout(dataset: str, columns: tuple[str, ...]) -> Layout:
    """The dataset's layout with exactly these columns (order and padding ignored)."""
    found = [column.strip() for column in columns if column.strip() not in IGNORED]
    for layout in SCHEMAS[dataset]:
        if set(found) == set(layout.columns):
            return layout
    known = {column for layout in SCHEMAS[dataset] for column in layout.columns}
    closest = min(SCHEMAS[dataset], key=lambda layout: len(set(layout.columns) ^ set(found)))
    unknown = [column for column in found if column not in known]
    missing = [column for column in closest.columns if column not in found]
    raise SchemaError(
        f"{dataset}: unknown columns {unknown}, missing columns {missing}; expected the "
        f"columns of one of {[layout.name for layout in SCHEMAS[dataset]]}"
    )
