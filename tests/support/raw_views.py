"""What a dashboard view should show, computed from the raw CSV with the csv module only.

Builds on :mod:`tests.support.raw_figures` (an oracle independent of ``mdvax.normalize`` and
``mdvax.stats``): every day's value for every source label, the state totals with the doses
assigned to no county, shares of the 2019 population, ranks and 7-day changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tests.support.raw_figures import raw_population, raw_rows

#: Raw cumulative columns summed for each measure.
COLUMNS = {
    "first_dose": ("FirstDoseCumulative",),
    "second_dose": ("SecondDoseCumulative",),
    "single_dose": ("SingleDoseCumulative",),
    "at_least_one": ("FirstDoseCumulative", "SingleDoseCumulative"),
    "fully_vaccinated": ("SecondDoseCumulative", "SingleDoseCumulative"),
}
#: Source labels of doses assigned to no county (blank and "Unknown").
UNASSIGNED = ("", "Unknown")


def raw_days(snapshot: str) -> list[date]:
    """Every day from the snapshot's first row to its last."""
    days = sorted({_day(row) for row in raw_rows(snapshot)})
    return [days[0] + timedelta(n) for n in range((days[-1] - days[0]).days + 1)]


def _day(row: dict) -> date:
    return date.fromisoformat(row["VACCINATION_DATE"][:10].replace("/", "-"))


def raw_grid(snapshot: str, measure: str, daily: bool = False) -> dict[date, dict[str, int]]:
    """Day -> source label -> the measure (cumulative carried forward, or that day's increase).

    A label with no row yet counts 0; a label without a row on a day keeps its last value.
    """
    rows = sorted(raw_rows(snapshot), key=_day)
    labels = {row["County"].strip() for row in rows}
    current = dict.fromkeys(labels, 0)
    by_day: dict[date, list[dict]] = {}
    for row in rows:
        by_day.setdefault(_day(row), []).append(row)
    grid = {}
    for day in raw_days(snapshot):
        for row in by_day.get(day, []):
            current[row["County"].strip()] = sum(int(row[c] or 0) for c in COLUMNS[measure])
        grid[day] = dict(current)
    if daily:
        previous = dict.fromkeys(labels, 0)
        for day, values in list(grid.items()):
            grid[day] = {label: values[label] - previous[label] for label in labels}
            previous = values
    return grid


@dataclass(frozen=True)
class RawView:
    """The figures of one view: ``counties`` maps a county name to value, pct, rank, change."""

    counties: dict[str, dict[str, float]]
    total: int
    unassigned: int
    pct: float
    change_7d: int
    #: Highest county figure (count or %) over all days: the top of the colour scale.
    vmax: float


def raw_view(snapshot: str, day: date, measure: str, daily: bool, per_capita: bool) -> RawView:
    """What the dashboard should show for the view, from the raw snapshot alone."""
    grid = raw_grid(snapshot, measure, daily)
    names = sorted(label for label in grid[day] if label not in UNASSIGNED)
    population = {name: raw_population(name) for name in names}

    def shown(values: dict[str, int], name: str) -> float:
        return 100 * values[name] / population[name] if per_capita else values[name]

    week_ago = grid.get(day - timedelta(7), dict.fromkeys(grid[day], 0))
    counties = {}
    for name in names:
        value = grid[day][name]
        counties[name] = {
            "value": value,
            "pct": 100 * value / population[name],
            "rank": 1 + sum(shown(grid[day], o) > shown(grid[day], name) for o in names),
            "change_7d": value - week_ago[name],
        }
    total = sum(grid[day].values())
    return RawView(
        counties=counties,
        total=total,
        unassigned=sum(grid[day].get(label, 0) for label in UNASSIGNED),
        pct=100 * total / raw_population("State"),
        change_7d=total - sum(week_ago.values()),
        vmax=max(shown(values, name) for values in grid.values() for name in names),
    )
