"""Reference data shipped in the package: county populations and county boundaries.

- ``population_2019.csv``: U.S. Census Bureau, Population Division, Vintage 2019 county
  population estimates (CO-EST2019), July 1, 2019, for the 24 jurisdictions and the state.
- ``md_counties.geojson``: county boundaries from the Census Bureau's 2016 cartographic boundary
  file ``cb_2016_us_county_500k``, simplified as a coverage (shared borders stay shared). Built by
  ``scripts/build_geometry.py``; rebuild it with that script, never by hand.
- ``md_zips.csv.xz``: Maryland's 622 ZIP codes with a centroid (0.01 degree) and, for ZCTAs, the
  2010 Census population, from the uszipcode database shipped by the PyPI package ``zipsearch``
  1.1.0 (MIT). Built by ``scripts/build_zip_reference.py``. No package in the registries ships
  a 2019 population by ZCTA (the ACS 5-year estimates come only from the Census API), so
  :data:`ZIP_POPULATION_SOURCE` names the 2010 Census and the dashboard says so.

This module imports neither geopandas nor shapely: the dashboard kernel stays light.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import pandas as pd

POPULATION_FILE = "population_2019.csv"
GEOMETRY_FILE = "md_counties.geojson"
ZIP_FILE = "md_zips.csv.xz"

#: Citation for :func:`population`.
POPULATION_SOURCE = (
    "U.S. Census Bureau, Population Division, Vintage 2019 county population estimates "
    "(CO-EST2019), July 1, 2019"
)
#: Citation for :func:`geometry`.
GEOMETRY_SOURCE = (
    "U.S. Census Bureau, 2016 cartographic boundary file cb_2016_us_county_500k, simplified"
)
#: Citation for :func:`zips`.
ZIP_SOURCE = (
    "ZIP centroids and 2010 Census ZCTA population from the uszipcode database "
    "(PyPI package zipsearch 1.1.0, MIT licence)"
)
#: Why the ZIP denominator is not the 2019 one the county table uses.
ZIP_POPULATION_NOTE = (
    "No 2019 population by ZIP code (ZCTA) is available to this project, so ZIP percentages "
    "divide by the 2010 Census count: fast-growing ZIPs can read high, and ZIPs that are not "
    "ZCTAs (PO boxes, single buildings) have no percentage."
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


def zips() -> pd.DataFrame:
    """Maryland's ZIP codes: centroid and 2010 Census population (see :data:`ZIP_SOURCE`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``zip`` (five-digit strings, sorted), columns ``type`` (``STANDARD``,
        ``PO BOX``, ``UNIQUE``), ``city``, ``county``, ``lat``, ``lng`` (float degrees) and
        ``population_2010`` (nullable ``Int64``: missing where the ZIP is not a ZCTA).
        A new frame on every call.
    """
    with resources.files(__name__).joinpath(ZIP_FILE).open("rb") as fh:
        table = pd.read_csv(
            fh,
            comment="#",
            compression="xz",
            dtype={"zip": str, "type": str, "city": str, "county": str},
        )
    table["population_2010"] = table["population_2010"].astype("Int64")
    return table.set_index("zip")
