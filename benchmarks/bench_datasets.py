"""Datasets: ``table_as_of`` for every dataset (target: under 300 ms each), from an archive.

Run: ``.venv/bin/python benchmarks/bench_datasets.py [--archive URL] [--repeat 20]``.

Without ``--archive``, the fixture repository (``tests/support/dataset_repo.py``) is imported
into a temporary SQLite archive by the real ``mdvax history import``; with it, an archive made
by an import of the whole history (``mdvax history import`` into some ``MDVAX_DATA_DIR``, then
``--archive sqlite:///DIR/archive.sqlite``) is read as is. Each dataset is read as of random
days between its first and last vintage, each read opening the archive as the API does
(:func:`mdvax.vintages.load_table`): median and worst time per dataset.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from _common import report, timed

from mdvax.archive import Archive
from mdvax.datasets import DATASETS

#: What each dataset's read must stay under, in seconds.
TARGET = 0.300


def fixture_archive(folder: Path) -> str:
    """Import the fixture repository into ``folder``; the archive's URL."""
    from mdvax.cli import main
    from tests.support.dataset_repo import build_dataset_repo

    repo = build_dataset_repo(folder / "VaccineCSVs")
    os.environ.update({"MDVAX_DATA_DIR": str(folder / "data"), "MDVAX_EMBEDDED_SNAPSHOT": "off"})
    os.environ.pop("MDVAX_DATABASE_URL", None)
    if main(["history", "import", "--repo", str(repo), "--quiet"]) != 0:
        raise SystemExit("the fixture import failed")
    return f"sqlite:///{folder / 'data' / 'archive.sqlite'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", help="archive URL (default: the fixtures, imported)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    random.seed(20)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.archive or fixture_archive(Path(tmp))
        rows, slow = [], []
        with Archive.open(url) as archive:
            days = {}
            for name in DATASETS:
                listed = archive.vintages() if name == "county" else archive.dataset_vintages(name)
                if listed.empty:
                    continue
                first, last = listed["published"].min().date(), listed["published"].max().date()
                span = (last - first).days
                days[name] = [
                    first + timedelta(random.randint(0, span)) for _ in range(args.repeat)
                ]
        for name in DATASETS:
            if name not in days:
                rows.append((name, "no vintage archived"))
                continue
            picks = iter(days[name])

            def read(name=name, picks=picks) -> None:
                with Archive.open(url, reader=True) as archive:
                    archive.table_as_of(next(picks), name)

            median, times = timed(read, args.repeat)
            rows.append((name, f"median {median * 1000:.1f} ms, worst {max(times) * 1000:.1f} ms "
                         f"({args.repeat} random days)"))  # fmt: skip
            if max(times) > TARGET:
                slow.append(name)
        report(f"table_as_of per dataset ({url.split('///')[-1]})", rows)
    if slow:
        print(f"over {TARGET * 1000:.0f} ms: {', '.join(slow)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
