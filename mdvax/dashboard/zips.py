"""The "ZIP codes" view: Maryland's ZIPs ranked, their table, and points for the map.

Pure functions of the ``zip`` dataset's table (:data:`mdvax.datasets.COLUMNS`) and the
reference ZIPs (:func:`mdvax.reference.zips`); :mod:`mdvax.dashboard.views` shows them.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from mdvax import format as fmt
from mdvax import measures
from mdvax.dashboard.lines import vintage_text
from mdvax.datasets import UNASSIGNED_ZIP
from mdvax.reference import ZIP_POPULATION_NOTE, ZIP_SOURCE
from mdvax.render.classes import PALETTES
from mdvax.templates import render

#: Maryland's ZIP range in the state's file (which lists every US ZIP).
FIRST_ZIP, LAST_ZIP = "20600", "21999"
#: Colours of the map's points by % of the 2010 population: five classes, their lower bounds
#: (the top class is open: 2010 denominators put fast-growing ZIPs over 100%).
POINT_COLOURS = tuple(
    "#" + "".join(f"{round(255 * c):02x}" for c in rgba[:3]) for rgba in PALETTES[5]
)
POINT_BOUNDS = (0.0, 40.0, 60.0, 80.0, 100.0)
NO_POPULATION = "#9e9e9e"


def ranking(table: pd.DataFrame, zips: pd.DataFrame, measure: str, per_capita: bool = True):
    """Maryland's ZIPs ranked by % of population (or by count), with their share of the state.

    Parameters
    ----------
    table : pandas.DataFrame
        The ``zip`` dataset: ``zip``, the dose columns; ``unassigned`` for doses without a ZIP.
    zips : pandas.DataFrame
        :func:`mdvax.reference.zips` (``city``, ``population_2010``, indexed by ``zip``).
    measure : str
        One of :data:`mdvax.measures.NAMES`.
    per_capita : bool
        Rank by % of population (ZIPs without a population last) instead of by count.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``zip`` in rank order: ``city``, ``value`` (int), ``share`` (% of the
        state's total, doses without a ZIP included), ``population`` (nullable), ``pct`` (float,
        NaN without a population) and ``rank`` (1 = highest).
    """
    measures.check(measure)
    codes = table["zip"].astype(str)
    inside = codes.between(FIRST_ZIP, LAST_ZIP) & codes.str.fullmatch(r"\d{5}")
    state_total = int(table.loc[inside | (codes == UNASSIGNED_ZIP), measure].sum())
    frame = pd.DataFrame(
        {"value": table.loc[inside, measure].astype("int64").to_numpy()},
        index=pd.Index(codes[inside].to_numpy(), name="zip"),
    )
    frame["city"] = zips["city"].reindex(frame.index).fillna("")
    frame["share"] = 100.0 * frame["value"] / state_total if state_total else float("nan")
    frame["population"] = zips["population_2010"].reindex(frame.index).astype("Int64")
    pop = frame["population"].astype("float64")
    frame["pct"] = (100.0 * frame["value"] / pop.where(pop > 0)).astype("float64")
    key = "pct" if per_capita else "value"
    frame = frame.sort_values(
        [key, "zip"], ascending=[False, True], na_position="last", kind="stable"
    )
    frame["rank"] = range(1, len(frame) + 1)
    return frame[["city", "value", "share", "population", "pct", "rank"]]


def unassigned(table: pd.DataFrame, measure: str) -> int:
    """Doses recorded without a ZIP (the state's ZIP ``0``)."""
    return int(table.loc[table["zip"].astype(str) == UNASSIGNED_ZIP, measure].sum())


def point_colour(pct: float) -> str:
    """Fill of a ZIP's point: its class of :data:`POINT_STEP` points (grey: no population)."""
    if pd.isna(pct):
        return NO_POPULATION
    return POINT_COLOURS[sum(pct >= bound for bound in POINT_BOUNDS[1:])]


def points(rank: pd.DataFrame, zips: pd.DataFrame) -> dict:
    """The ranked ZIPs that have a centroid, as GeoJSON points with their style and text."""
    features = []
    for code, row in rank.iterrows():
        if code not in zips.index:
            continue
        place = zips.loc[code]
        pct = "no population" if pd.isna(row["pct"]) else f"{fmt.percent(row['pct'])}"
        features.append(
            {
                "type": "Feature",
                "id": code,
                "geometry": {"type": "Point", "coordinates": [place["lng"], place["lat"]]},
                "properties": {
                    "zip": code,
                    "text": f"{code} {row['city']}: {fmt.count(row['value'])} ({pct})",
                    "style": {"fillColor": point_colour(row["pct"])},
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def legend() -> list[tuple[str, str]]:
    """The map's key: (colour, text) per class, then the grey of ZIPs without a population."""
    b = POINT_BOUNDS
    keys = [(POINT_COLOURS[0], f"under {b[1]:g}%")]
    keys += [(POINT_COLOURS[i], f"{b[i]:g}% to {b[i + 1]:g}%") for i in range(1, len(b) - 1)]
    keys.append((POINT_COLOURS[-1], f"{b[-1]:g}% or more"))
    return [*keys, (NO_POPULATION, "no 2010 population")]


def zip_html(rank: pd.DataFrame, without_zip: int, measure: str, published: date | None) -> str:
    """The view's heading, sentences (denominator, doses without a ZIP) and ranking table."""
    what = measures.label(measure, False)
    vintage = vintage_text(published)
    total = int(rank["value"].sum()) + without_zip
    with_pct = int(rank["pct"].notna().sum())
    sentences = [
        f"{what}: {fmt.count(total)} in Maryland ({vintage}), of which {fmt.count(without_zip)} "
        f"were recorded without a ZIP code. {len(rank)} Maryland ZIP codes have doses; "
        f"{with_pct} of them have a population to divide by.",
        ZIP_POPULATION_NOTE,
        "At least one dose is recomputed as first + single doses and fully vaccinated as "
        "second + single doses for every ZIP: the state's own columns are blank whenever a "
        "part is blank.",
        f"Sources: Maryland Department of Health; {ZIP_SOURCE}.",
    ]
    rows = [
        (
            code,
            int(row["rank"]),
            row["city"],
            fmt.count(row["value"]),
            "–" if pd.isna(row["pct"]) else fmt.percent(row["pct"]),
            fmt.percent(row["share"], 2),
        )
        for code, row in rank.iterrows()
    ]
    headers = ("ZIP", "Rank", "City", what, "% of 2010 population", "% of Maryland's total")
    return render(
        "dashboard/dataset_view.html.j2", key="zip", title="ZIP codes", sentences=sentences,
        charts=(), rows=rows, headers=headers,
        caption=f"{what} by ZIP code, ranked ({vintage})",
    )  # fmt: skip
