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
            "is recorded in the index, and exits non-zero. Dates the data cannot serve are "
            "refused before anything is written."
        ),
        epilog=(
            "Two dates: --date D is the day whose figures are reported; --as-of V is the day "
            "the data is read as published on. `--date 2021-04-01` alone reports the figures "
            "of 2021-04-01 from the newest data (with the source's later revisions); add "
            "`--as-of 2021-04-01` for those figures as first published. Without either, the "
            "report is today's: the newest data, its newest day, with a warning when that day "
            "is more than 2 days old."
        ),
    )
    parser.add_argument(
        "--date", metavar="YYYY-MM-DD",
        help="the day whose figures are reported, and the report's folder (default: the "
        "newest day of the data, in the folder of --as-of, else of today, UTC)",
    )  # fmt: skip
    parser.add_argument(
        "--as-of", metavar="YYYY-MM-DD",
        help="read the data as published on that day, from the archive (default: the newest "
        "data). Refused when --date is outside that data, or --as-of is before the oldest "
        "archived version or in the future",
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
        help="one report per day D from START to END, each with --date D --as-of D: the data "
        "as published on D (read from the archive), its figures of D or, when the source "
        "had not reached D yet, of its newest day (with a staleness warning)",
    )  # fmt: skip
    parser.add_argument(
        "--jobs", type=int, default=None, metavar="N",
        help="with --backfill: days built at once, one kernel each (default: one per CPU, "
        "at most 4)",
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
        if args.date or args.as_of or args.update:
            raise ReportError("--backfill cannot be combined with --date, --as-of or --update")
        results = backfill(*args.backfill, out=args.out, measure=args.measure,
                           per_capita=args.per_capita, jobs=args.jobs)  # fmt: skip
        for result in results:
            state = "ok" if result.ok else "FAILED"
            print(f"{result.date} {state}: {result.message}")
        failed = [r for r in results if not r.ok]
        if failed:
            print(f"mdvax report: {len(failed)} of {len(results)} reports failed "
                  f"(recorded in {args.out}/index.html)", file=sys.stderr)  # fmt: skip
            return ReportError.exit_code
        return 0
    if args.jobs is not None:
        raise ReportError("--jobs goes with --backfill (a single report runs in one kernel)")
    result = report(args.out, day=args.date, as_of=args.as_of, update=args.update,
                    measure=args.measure, per_capita=args.per_capita)  # fmt: skip
    print(f"{result.date}: {result.message}")
    print(f"published {result.path} ({result.size:,} bytes, {result.seconds:.1f} s)")
    return 0
