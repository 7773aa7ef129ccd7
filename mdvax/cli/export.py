"""``mdvax export``: write the canonical table as CSV or Parquet."""

from __future__ import annotations

import sys
from pathlib import Path

from mdvax.errors import MdvaxError


def register(subparsers) -> None:
    parser = subparsers.add_parser("export", help="write the canonical table (CSV or Parquet)")
    parser.add_argument("--format", choices=["csv", "parquet"], default=None,
                        help="default: from the output's extension, else csv")  # fmt: skip
    parser.add_argument("--output", "-o", metavar="FILE", help="default: standard output")
    parser.add_argument("--as-of", metavar="DATE",
                        help="the table as published on this date (latest vintage on or before it)")  # fmt: skip
    parser.set_defaults(func=run)


def run(args) -> int:
    from mdvax.api import load_table
    from mdvax.cache.files import atomic_write

    table = load_table(as_of=args.as_of)
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
