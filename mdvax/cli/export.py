"""``mdvax export``: write the canonical table as CSV or Parquet."""

from __future__ import annotations

import sys
from pathlib import Path

from mdvax.errors import MdvaxError


def register(subparsers) -> None:
    from mdvax.datasets import DATASETS

    parser = subparsers.add_parser("export", help="write a dataset's table (CSV or Parquet)")
    parser.add_argument("--dataset", choices=DATASETS, default="county",
                        help="which table (default: county; see docs/datasets.md)")  # fmt: skip
    parser.add_argument("--format", choices=["csv", "parquet"], default=None,
                        help="default: from the output's extension, else csv")  # fmt: skip
    parser.add_argument("--output", "-o", metavar="FILE", help="default: standard output")
    parser.add_argument("--as-of", metavar="DATE",
                        help="the table as published on this date (latest vintage on or before it)")  # fmt: skip
    parser.set_defaults(func=run)


def run(args) -> int:
    from mdvax.api import load_table
    from mdvax.cache.files import atomic_write

    table = load_table(as_of=args.as_of, dataset=args.dataset)
    for note in as_of_notes(args.as_of) if args.as_of and args.dataset == "county" else ():
        print(f"mdvax export: {note}", file=sys.stderr)
    fmt = args.format or ("parquet" if args.output and args.output.endswith(".parquet") else "csv")
    if fmt == "parquet" and not args.output:
        raise MdvaxError("parquet is binary: name a file with --output")

    def write(target) -> None:
        if fmt == "parquet":
            table.to_parquet(target, index=False)
        else:
            table.to_csv(target, index=False, date_format="%Y-%m-%d", lineterminator="\n")

    if args.output:
        atomic_write(Path(args.output), write)
    else:
        write(sys.stdout)
    return 0


def as_of_notes(as_of: str) -> list[str]:
    """What the dashboard notes about a link with this ``as_of`` (e.g. a day in the future).

    Its own resolution (:func:`mdvax.dashboard.state.resolve`) over the archived vintages, so a
    table exported with ``--as-of`` and a dashboard link with the same ``as_of`` say the same.
    """
    from mdvax.api import vintages
    from mdvax.dashboard.state import Vintage, resolve

    rows = vintages().sort_values("published", kind="stable")
    rows = rows.drop_duplicates("published", keep="last")
    choices = [
        Vintage(row.published.date(), row.first_date.date(), row.last_date.date())
        for row in rows.itertuples(index=False)
    ]
    if not choices:
        return []
    _, notes = resolve({"as_of": as_of}, "", choices[-1].first, choices[-1].last, choices)
    return notes
