"""``mdvax update``: fetch the newest data into the cache and archive it."""

from __future__ import annotations

import sys

from mdvax.sources import SOURCE_NAMES


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "update",
        help="fetch the newest data into the cache",
        description="Fetch Maryland's county vaccination table, validate it, cache and archive it. "
        "Exits 0 on success or when nothing is new, non-zero on any failure (the cache is untouched).",
    )
    parser.add_argument(
        "--source", default="auto", choices=["auto", *SOURCE_NAMES],
        help="where to fetch from (default auto: the hub's CSV download, then its API, then the "
        "county file in the state's git repository)",
    )  # fmt: skip
    parser.add_argument("--from", dest="from_", metavar="PATH_OR_URL",
                        help="read this CSV file or URL instead (offline, or behind a firewall)")  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args) -> int:
    from mdvax.config import get_settings
    from mdvax.pipeline import update

    result = update(
        source=args.source, from_=args.from_, progress=not args.quiet and sys.stderr.isatty()
    )
    if result.answered:
        print(result.answered)
    print(result.summary())
    if result.quarantined is not None and len(result.quarantined):
        print(f"quarantined rows (kept in {get_settings().quarantine_path}):")
        for row in result.quarantined.head(10).itertuples():
            print(f"  {row.county or '(blank county)'}  {row.date:%Y-%m-%d}  {row.reason}")
    if result.revisions is not None:
        print(result.revisions)
    return 0
