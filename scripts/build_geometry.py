"""Build ``mdvax/reference/md_counties.geojson`` from the Census cartographic boundary file.

Source: U.S. Census Bureau, 2016 cartographic boundary file ``cb_2016_us_county_500k``
(counties, 1:500,000), as shipped by the PyPI package ``plotly-geo`` (``_plotly_geo/package_data``;
install it with ``pip install -e '.[geometry]'``).

Steps:

1. read the shapefile (it has no ``.prj``; the Census publishes these files in NAD83, EPSG:4269);
2. keep Maryland (``STATEFP == "24"``): 23 counties and Baltimore City (``NAME == "Baltimore"``,
   ``GEOID == "24510"``), named after :data:`mdvax.normalize.counties.JURISDICTIONS` by FIPS code;
3. simplify the 24 polygons together as a coverage (:func:`shapely.coverage_simplify`), so that a
   border two counties share is simplified once and stays shared: no gaps, no overlaps;
4. round coordinates to :data:`DECIMALS` places (about 10 m; the simplification tolerance is
   about 300 m), drop repeated points, orient rings the RFC 7946 way, check the result is a valid
   coverage;
5. write a GeoJSON FeatureCollection sorted by FIPS, each feature with ``id`` = FIPS and properties
   ``name`` and ``fips``, atomically and byte-for-byte deterministically.

Coordinates are written as longitude/latitude without a datum shift: GeoJSON (RFC 7946) means
WGS84 (EPSG:4326), and NAD83 and WGS84 differ by about a metre or two in Maryland, far below the
simplification tolerance.

Usage::

    .venv/bin/python scripts/build_geometry.py [--output PATH] [--source SHP] [--tolerance DEG]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from importlib import resources
from pathlib import Path

import geopandas as gpd
import shapely
import shapely.geometry

from mdvax.normalize.counties import JURISDICTIONS

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "mdvax" / "reference" / "md_counties.geojson"

#: Maryland's state FIPS code.
STATE_FIPS = "24"
#: Simplification tolerance in degrees (~0.003° is about 330 m north-south, 260 m east-west).
TOLERANCE = 0.003
#: Decimal places kept in coordinates (1e-4° is about 11 m).
DECIMALS = 4
#: The committed file must stay small enough to ship in the package and serve to browsers.
MAX_BYTES = 100_000

SOURCE_NOTE = (
    "U.S. Census Bureau, 2016 cartographic boundary file cb_2016_us_county_500k (1:500,000, "
    "NAD83), shipped by the PyPI package plotly-geo; Maryland only, simplified as a coverage "
    "with tolerance {tolerance} degrees, coordinates rounded to {decimals} decimals, "
    "built by scripts/build_geometry.py"
)


def default_source() -> Path:
    """Path of ``cb_2016_us_county_500k.shp`` inside the installed ``plotly-geo`` package."""
    try:
        data = resources.files("_plotly_geo") / "package_data" / "cb_2016_us_county_500k.shp"
    except ModuleNotFoundError:
        sys.exit("plotly-geo is not installed: pip install -e '.[geometry]' (or plotly-geo==1.0.0)")
    return Path(str(data))


def read_maryland(source: Path) -> gpd.GeoDataFrame:
    """Maryland's 24 jurisdictions from the county shapefile, sorted by FIPS, named our way."""
    counties = gpd.read_file(source, columns=["STATEFP", "GEOID", "NAME"])
    if counties.crs is None:  # no .prj: the Census files are NAD83
        counties = counties.set_crs("EPSG:4269")
    md = counties[counties["STATEFP"] == STATE_FIPS].sort_values("GEOID").reset_index(drop=True)
    by_fips = {fips: name for name, fips in JURISDICTIONS.items()}
    if sorted(md["GEOID"]) != sorted(by_fips):
        raise SystemExit(
            f"{source}: Maryland FIPS codes {sorted(md['GEOID'])} differ from {sorted(by_fips)}"
        )
    md["name"] = md["GEOID"].map(by_fips)
    # The Census name must agree with ours, but for "Baltimore" (city) vs "Baltimore City".
    census = md["NAME"].where(md["GEOID"] != "24510", "Baltimore City")
    differ = md.loc[census != md["name"], ["GEOID", "NAME", "name"]]
    if not differ.empty:
        raise SystemExit(f"{source}: Census names disagree with ours:\n{differ.to_string()}")
    return md


def _round(coords):
    """Round an (N, 2) coordinate array to :data:`DECIMALS` places (Python's exact rounding)."""
    return [[round(float(x), DECIMALS), round(float(y), DECIMALS)] for x, y in coords]


def simplify(geoms, tolerance: float):
    """Simplify a polygon coverage, round it and check it is still a valid coverage."""
    out = shapely.coverage_simplify(geoms, tolerance)
    out = shapely.transform(out, _round)
    out = shapely.remove_repeated_points(out)
    out = shapely.orient_polygons(out, exterior_cw=False)  # RFC 7946: exteriors counterclockwise
    if not shapely.is_valid(out).all():
        raise SystemExit(f"tolerance {tolerance}: simplified polygons are not valid")
    if not shapely.coverage_is_valid(out):
        raise SystemExit(f"tolerance {tolerance}: simplified polygons are no longer a coverage")
    return out


def feature_collection(md: gpd.GeoDataFrame, geoms, tolerance: float) -> dict:
    """The GeoJSON FeatureCollection (plain dicts, features sorted by FIPS)."""
    features = [
        {
            "type": "Feature",
            "id": fips,
            "properties": {"name": name, "fips": fips},
            "geometry": shapely.geometry.mapping(geom),
        }
        for fips, name, geom in zip(md["GEOID"], md["name"], geoms, strict=True)
    ]
    return {
        "type": "FeatureCollection",
        "source": SOURCE_NOTE.format(tolerance=tolerance, decimals=DECIMALS),
        "features": features,
    }


def write_atomic(text: str, output: Path) -> None:
    """Write ``text`` to ``output`` through a temporary file in the same folder."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the file ships in the package
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(source: Path, output: Path, tolerance: float = TOLERANCE) -> int:
    """Build the GeoJSON file; returns its size in bytes."""
    md = read_maryland(source)
    geoms = simplify(md.geometry.values, tolerance)
    collection = feature_collection(md, geoms, tolerance)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise SystemExit(f"{size} bytes is over {MAX_BYTES}: raise --tolerance")
    write_atomic(text, output)
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="county shapefile (.shp)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="GeoJSON to write")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE, help="degrees")
    args = parser.parse_args(argv)
    source = args.source or default_source()
    size = build(source, args.output, args.tolerance)
    print(f"wrote {args.output} ({size} bytes, tolerance {args.tolerance} degrees)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
