"""Build ``mdvax/reference/md_zips.csv.xz``: Maryland's ZIP codes, their centroids and population.

Source: the PyPI package ``zipsearch`` 1.1.0 (MIT licence), whose ``zipsearch/bin/indices.bin``
carries the "simple" ZIP database of the ``uszipcode`` package: for every ZIP its type, main
city, county, state, a centroid (latitude/longitude rounded to 0.01 degree, about 1 km) and,
for ZIPs that are ZIP Code Tabulation Areas (ZCTAs), the 2010 Census population. No registry
package we could find ships a 2019 population by ZCTA (the ACS 2015-2019 5-year estimates are
only reachable through the Census API), so the dashboard divides by the 2010 Census figure and
says so.

The index is a Python pickle: it is read with an unpickler that refuses every class, so only
plain dicts, lists, strings and numbers can come out of it (no code runs).

Steps: keep ``state == "MD"``; write ``zip,type,city,county,lat,lng,population_2010`` sorted by
ZIP, with a ``#`` provenance line first, xz-compressed, atomically and deterministically.

Usage::

    pip download --no-deps -d /tmp/zs zipsearch==1.1.0
    .venv/bin/python scripts/build_zip_reference.py /tmp/zs/zipsearch-1.1.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import csv
import io
import lzma
import os
import pickle
import tempfile
import zipfile
from pathlib import Path

OUTPUT = Path(__file__).resolve().parents[1] / "mdvax" / "reference" / "md_zips.csv.xz"
MEMBER = "zipsearch/bin/indices.bin"
COLUMNS = ("zip", "type", "city", "county", "lat", "lng", "population_2010")
HEADER = (
    "# Source: PyPI package zipsearch 1.1.0 (MIT), the uszipcode simple ZIP database: centroids "
    "(0.01 degree) and 2010 Census ZCTA population (blank: not a ZCTA). Built by "
    "scripts/build_zip_reference.py."
)


class _DataOnly(pickle.Unpickler):
    """An unpickler that builds plain data only: any class or function is refused."""

    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"refused {module}.{name}: only plain data is read")


def read_index(wheel: Path) -> dict[str, dict]:
    """The ``zipcode_index`` of the wheel's pickled index, as plain dicts."""
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read(MEMBER)
    return _DataOnly(io.BytesIO(data)).load()["zipcode_index"]


def maryland_rows(index: dict[str, dict]) -> list[tuple]:
    """One row per Maryland ZIP, sorted by ZIP."""
    rows = []
    for code, row in sorted(index.items()):
        if row.get("state") != "MD":
            continue
        if len(code) != 5 or not code.isdigit():
            raise ValueError(f"ZIP {code!r} is not five digits")
        population = row.get("population")
        rows.append(
            (
                code,
                row.get("zipcode_type") or "",
                row.get("major_city") or "",
                row.get("county") or "",
                f"{row['lat']:.2f}",
                f"{row['lng']:.2f}",
                "" if population is None else str(int(population)),
            )
        )
    return rows


def write(rows: list[tuple], output: Path) -> None:
    """Write the compressed CSV atomically (same bytes for the same rows)."""
    text = io.StringIO()
    text.write(HEADER + "\n")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    body = lzma.compress(text.getvalue().encode("utf-8"), preset=9)
    fd, tmp = tempfile.mkstemp(dir=output.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(body)
    os.chmod(tmp, 0o644)
    os.replace(tmp, output)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="the zipsearch 1.1.0 wheel")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    rows = maryland_rows(read_index(args.wheel))
    write(rows, args.output)
    print(f"{len(rows)} Maryland ZIPs -> {args.output}")


if __name__ == "__main__":
    main()
