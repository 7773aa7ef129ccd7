"""Reference data shipped in the package: county populations and county boundaries.

- ``population_2019.csv``: U.S. Census Bureau, Population Division, Vintage 2019 county
  population estimates (CO-EST2019), July 1, 2019, for the 24 jurisdictions and the state.
- ``md_counties.geojson``: county boundaries from the Census Bureau's 2016 cartographic boundary
  file ``cb_2016_us_county_500k``, simplified as a coverage (shared borders stay shared). Built by
  ``scripts/build_geometry.py``; rebuild it with that script, never by hand.

This module imports neither geopandas nor shapely: the dashboard kernel stays light.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import pandas as pd

POPULATION_FILE = "population_2019.csv"
GEOMETRY_FILE = "md_counties.geojson"

#: Citation for :func:`population`.
POPULATION_SOURCE = (
    "U.S. Census Bureau, Population Division, Vintage 2019 county population estimates "
    "(CO-EST2019), July 1, 2019"
)
#: Citation for :func:`geometry`.
GEOMETRY_SOURCE = (
    "U.S. Census Bureau, 2016 cartographic boundary file cb_2016_us_county_500k, simplified"
)


def _read_bytes(name: str) -> bytes:
    return resources.files(__name__).joinpath(name).read_bytes()


@functools.lru_cache(maxsize=1)
def _geometry_bytes() -> bytes:
    return _read_bytes(GEOMETRY_FILE)


def population() -> pd.Series:
    """Population of each jurisdiction and of the state (Census Vintage 2019, July 1, 2019).

    Returns
    -------
    pandas.Series
        ``int64`` values named ``"population"``, indexed by ``county``: the 24 jurisdiction
        names of :data:`mdvax.normalize.counties.JURISDICTIONS` in that order, then
        ``"Maryland"`` (which equals the sum of the 24). A new Series on every call.
    """
    with resources.files(__name__).joinpath(POPULATION_FILE).open("r", encoding="utf-8") as fh:
        table = pd.read_csv(
            fh, comment="#", dtype={"name": str, "fips": str, "population": "int64"}
        )
    return pd.Series(
        table["population"].to_numpy(),
        index=pd.Index(table["name"], name="county"),
        name="population",
        dtype="int64",
    )


def geometry() -> dict:
    """Maryland's county boundaries as a GeoJSON FeatureCollection.

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "source": ..., "features": [...]}`` with 24 features
        sorted by FIPS code, each with ``id`` = 5-digit FIPS string (``"24031"``) and
        ``properties`` ``name`` (as in :data:`mdvax.normalize.counties.JURISDICTIONS`) and
        ``fips``. Coordinates are longitude/latitude (WGS84 for all practical purposes: the
        source is NAD83, about a metre away), rounded to 4 decimals.

    Notes
    -----
    The file is read once and cached as bytes; every call parses it into a new dict, so callers
    may modify the result (add properties for a choropleth, say) without affecting other callers.
    """
    return json.loads(_geometry_bytes())
