"""Reference data for the ZIP view: centroids and 2010 population, and the script that builds it."""

from __future__ import annotations

import importlib.util
import io
import lzma
import pickle
import zipfile
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, shape

from mdvax import reference

REPO = Path(__file__).resolve().parents[1]
XZ = REPO / "mdvax" / "reference" / "md_zips.csv.xz"


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_zip_reference", REPO / "scripts" / "build_zip_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_zips_frame_shape_and_types():
    zips = reference.zips()
    assert zips.index.name == "zip"
    assert zips.index.is_unique
    assert zips.index.is_monotonic_increasing
    assert all(len(z) == 5 and z.isdigit() for z in zips.index)
    assert str(zips["population_2010"].dtype) == "Int64"
    assert zips.loc["20850", "city"] == "Rockville"


def test_every_centroid_lies_in_maryland():
    """Checked against the county boundaries (independent source), within 0.02 degree."""
    land = shapely.union_all([shape(f["geometry"]) for f in reference.geometry()["features"]])
    near = land.buffer(0.02)
    zips = reference.zips()
    outside = [z for z, r in zips.iterrows() if not near.contains(Point(r["lng"], r["lat"]))]
    assert outside == []


def test_population_is_below_the_2010_state_total():
    """ZCTAs that straddle a state line sit with one state: the sum is a little under 5,773,552."""
    total = int(reference.zips()["population_2010"].sum())
    assert 5_600_000 < total < 5_773_552


def test_file_cites_its_source():
    first = lzma.decompress(XZ.read_bytes()).decode("utf-8").splitlines()[0]
    assert first.startswith("# Source:")
    assert "zipsearch 1.1.0" in first
    assert "2010 Census" in first


def test_zips_returns_a_new_frame_each_call():
    zips = reference.zips()
    zips.loc["20850", "city"] = "changed"
    assert reference.zips().loc["20850", "city"] == "Rockville"


def _wheel(tmp_path: Path, payload: bytes) -> Path:
    wheel = tmp_path / "zipsearch-1.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("zipsearch/bin/indices.bin", payload)
    return wheel


def test_builder_keeps_maryland_rows_from_a_wheel(tmp_path):
    row = {"zipcode_type": "STANDARD", "major_city": "Town", "county": "Kent County"}
    index = {
        "21620": {**row, "state": "MD", "lat": 39.2111, "lng": -76.07, "population": 1234},
        "19901": {**row, "state": "DE", "lat": 39.1, "lng": -75.5, "population": 99},
        "20588": {**row, "state": "MD", "lat": 38.74, "lng": -76.85, "population": None},
    }
    wheel = _wheel(tmp_path, pickle.dumps({"zipcode_index": index}))
    builder = _builder()
    out = tmp_path / "out.csv.xz"
    builder.write(builder.maryland_rows(builder.read_index(wheel)), out)
    lines = lzma.decompress(out.read_bytes()).decode("utf-8").splitlines()
    assert lines[1:] == [
        "zip,type,city,county,lat,lng,population_2010",
        "20588,STANDARD,Town,Kent County,38.74,-76.85,",
        "21620,STANDARD,Town,Kent County,39.21,-76.07,1234",
    ]


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_builder_refuses_a_pickle_that_would_run_code(tmp_path):
    wheel = _wheel(tmp_path, pickle.dumps({"zipcode_index": {"21620": _Evil()}}))
    with pytest.raises(pickle.UnpicklingError, match=r"builtins\.print"):
        _builder().read_index(wheel)


def test_builder_refuses_a_malformed_zip():
    index = {"2162": {"state": "MD", "lat": 39.0, "lng": -76.0}}
    with pytest.raises(ValueError, match="'2162' is not five digits"):
        _builder().maryland_rows(index)


def test_packaged_file_is_what_the_builder_writes(tmp_path):
    """Reading the committed file and writing it back gives the same bytes (deterministic)."""
    builder = _builder()
    text = lzma.decompress(XZ.read_bytes()).decode("utf-8")
    rows = [tuple(line.split(",")) for line in text.splitlines()[2:]]
    out = tmp_path / "again.csv.xz"
    builder.write(rows, out)
    assert out.read_bytes() == XZ.read_bytes()
    assert io.StringIO(text).readline().strip() == builder.HEADER
