"""Reference data shipped in the package: Census populations and county boundaries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from mdvax import reference
from mdvax.normalize.counties import JURISDICTIONS, STATE
from tests.support.data_files import data_file

REPO = Path(__file__).resolve().parents[1]
GEOJSON = REPO / "mdvax" / "reference" / "md_counties.geojson"
SCRIPT = REPO / "scripts" / "build_geometry.py"
EQUAL_AREA = "EPSG:5070"  # NAD83 / Conus Albers, metres


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    """Our boundaries, in an equal-area CRS, indexed by name."""
    features = reference.geometry()["features"]
    frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326").to_crs(EQUAL_AREA)
    return frame.set_index("name")


@pytest.fixture(scope="module")
def independent_counties() -> gpd.GeoDataFrame:
    """The independent land-clipped boundaries (names only; tests/data, simplified to ~100 m)."""
    frame = gpd.read_file(data_file("md_counties.geojson")).to_crs(EQUAL_AREA)
    return frame.set_index("name")


# --- population ---------------------------------------------------------------------------------


def test_population_index_dtype_and_figures():
    pop = reference.population()
    assert pop.name == "population"
    assert pop.dtype == "int64"
    assert list(pop.index) == [*JURISDICTIONS, STATE]
    assert pop["Montgomery"] == 1_050_688
    assert pop["Baltimore City"] == 593_490
    assert pop["Kent"] == 19_422
    assert pop[STATE] == 6_045_680


def test_population_counties_sum_to_state():
    pop = reference.population()
    assert pop.drop(STATE).sum() == pop[STATE] == 6_045_680


def test_population_agrees_with_the_census_table():
    census = pd.read_csv(data_file("md_population_2019.csv"), encoding="utf-8-sig")
    census = census.set_index("County")["Population"].rename({"State": STATE})
    ours = reference.population()
    assert sorted(census.index) == sorted(ours.index)
    assert (census.reindex(ours.index) == ours).all()


def test_population_file_cites_its_source():
    first = (REPO / "mdvax" / "reference" / "population_2019.csv").read_text().splitlines()[0]
    assert first.startswith("#")
    assert "Vintage 2019" in first
    assert "CO-EST2019" in first


def test_population_returns_a_new_series_each_call():
    pop = reference.population()
    pop["Kent"] = 0
    assert reference.population()["Kent"] == 19_422


# --- geometry: structure ------------------------------------------------------------------------


def test_geometry_has_every_jurisdiction_with_its_fips():
    collection = reference.geometry()
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) == 24
    got = {f["properties"]["name"]: (f["id"], f["properties"]["fips"]) for f in features}
    assert got == {name: (fips, fips) for name, fips in JURISDICTIONS.items()}
    assert [f["id"] for f in features] == sorted(JURISDICTIONS.values())
    assert {f["geometry"]["type"] for f in features} <= {"Polygon", "MultiPolygon"}


def test_geometry_returns_a_new_dict_each_call():
    first = reference.geometry()
    first["features"][0]["properties"]["name"] = "changed"
    first["features"].clear()
    again = reference.geometry()
    assert len(again["features"]) == 24
    assert again["features"][0]["properties"]["name"] == "Allegany"


def test_reference_does_not_import_geopandas_or_shapely():
    code = (
        "import sys, mdvax.reference as r; r.geometry(); r.population(); "
        "heavy = sorted(m for m in ('geopandas', 'shapely', 'pyproj', 'pyogrio') "
        "if m in sys.modules); print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_geometry_file_is_small():
    assert GEOJSON.stat().st_size < 100_000


# --- geometry: shapes ---------------------------------------------------------------------------


def test_geometry_valid_and_rfc7946_oriented(counties):
    assert counties.is_valid.all()
    polygons = shapely.get_parts(gpd.GeoSeries(counties.geometry).to_crs("EPSG:4326").values)
    assert shapely.is_ccw(shapely.get_exterior_ring(polygons)).all()


@pytest.mark.parametrize(
    ("name", "km2"),
    # Census total areas (land + water inside the cartographic boundary): 507 and 254 sq mi.
    [("Montgomery", 1313.0), ("Howard", 657.0)],
)
def test_area_plausible(counties, name, km2):
    assert counties.loc[name].geometry.area / 1e6 == pytest.approx(km2, rel=0.02)


def test_shared_borders_stay_shared(counties):
    geoms = counties.geometry
    border = geoms["Montgomery"].intersection(geoms["Howard"])
    assert border.geom_type in {"LineString", "MultiLineString"}
    assert 40_000 < border.length < 55_000  # the Patuxent River, ~47 km
    # No overlaps: the counties' areas add up to the area of their union...
    union = shapely.union_all(geoms.values)
    assert geoms.area.sum() == pytest.approx(union.area, rel=1e-9)
    # ...and no gaps: the union has no holes (Maryland has none inside it).
    parts = shapely.get_parts(union)
    assert shapely.get_num_interior_rings(parts).sum() == 0
    assert shapely.coverage_is_valid(geoms.values)


def test_names_sit_on_the_right_polygons(counties, independent_counties):
    assert sorted(counties.index) == sorted(independent_counties.index)
    distance_km = (
        counties.centroid.distance(independent_counties.centroid.reindex(counties.index)) / 1e3
    )
    assert (distance_km < 5).all(), distance_km[distance_km >= 5]
    # Each of our counties overlaps the same-named independent polygon more than any other.
    for name, geom in counties.geometry.items():
        overlap = independent_counties.geometry.intersection(geom).area
        assert overlap.idxmax() == name


# --- geometry: the committed file is what the script builds -------------------------------------


def test_rebuild_is_byte_identical(tmp_path):
    out = tmp_path / "md_counties.geojson"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.read_bytes() == GEOJSON.read_bytes()
