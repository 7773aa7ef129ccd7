"""``mdvax report``: the daily report, the single entry point for cron, systemd and CI."""

from __future__ import annotations

import argparse
import sys

from mdvax import measures


def register(subparsers) -> None:
    """Add ``mdvax report`` to the command line."""
    parser = subparsers.add_parser(
        "report",
        help="build the daily HTML report (or backfill past ones)",
        description=(
            "Run notebooks/report.ipynb with papermill and publish it as "
            "OUT/YYYY-MM-DD/report.html (self-contained), with the executed notebook, "
            "OUT/index.html and OUT/latest/. A failure leaves earlier reports untouched, "
            "is recorded in the index, and exits non-zero."
        ),
    )
    parser.add_argument(
        "--date", metavar="YYYY-MM-DD",
        help="day of the report (default: today, UTC): the data as published that day, "
        "its newest figures",
    )  # fmt: skip
    parser.add_argument(
        "--out", default="reports", metavar="FOLDER",
        help="folder of published reports (default: ./reports)",
    )  # fmt: skip
    parser.add_argument(
        "--update", action="store_true",
        help="fetch the newest data first (as `mdvax update`)",
    )  # fmt: skip
    parser.add_argument(
        "--backfill", nargs=2, metavar=("START", "END"),
        help="one report per day from START to END, from the data as published on each day "
        "(read from the archive)",
    )  # fmt: skip
    parser.add_argument(
        "--measure", default=measures.DEFAULT, metavar="NAME",
        help=f"measure mapped and ranked: {', '.join(measures.NAMES)} "
        f"(default: {measures.DEFAULT})",
    )  # fmt: skip
    parser.add_argument(
        "--counts", dest="per_capita", action="store_false",
        help="map and rank by number of people instead of percent of population",
    )  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build one report, or backfill; 0 when every report was published."""
    from mdvax.errors import ReportError
    from mdvax.report import backfill, report

    if args.backfill:
        if args.date or args.update:
            raise ReportError("--backfill cannot be combined with --date or --update")
        results = backfill(*args.backfill, out=args.out, measure=args.measure,
                           per_capita=args.per_capita)  # fmt: skip
        for result in results:
            state = "ok" if result.ok else "FAILED"
            print(f"{result.date} {state}: {result.message}")
        failed = [r for r in results if not r.ok]
        if failed:
            print(f"mdvax report: {len(failed)} of {len(results)} reports failed "
                  f"(recorded in {args.out}/index.html)", file=sys.stderr)  # fmt: skip
            return ReportError.exit_code
        return 0
    result = report(args.out, day=args.date, update=args.update, measure=args.measure,
                    per_capita=args.per_capita)  # fmt: skip
    print(f"{result.date}: {result.message}")
    print(f"published {result.path} ({result.size:,} bytes, {result.seconds:.1f} s)")
    return 0
