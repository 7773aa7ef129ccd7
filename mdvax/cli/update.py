"""``mdvax update``: fetch the newest data into the cache and archive it."""

from __future__ import annotations

import sys

from mdvax.datasets import DATASETS
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
    parser.add_argument("--dataset", action="append", metavar="NAME",
                        choices=["all", *DATASETS],
                        help="which table to update (repeatable; default county; all: every "
                        "dataset, the others from MDVAX_MARYLAND_RAW_URL into the archive)")  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args) -> int:
    chosen = args.dataset or ["county"]
    names = list(DATASETS) if "all" in chosen else list(dict.fromkeys(chosen))
    status = run_county(args) if "county" in names else 0
    others = [name for name in names if name != "county"]
    if others:
        from mdvax.dataset_update import update_datasets

        lines, ok = update_datasets(others)
        print("\n".join(lines))
        if not ok:
            return 3  # a source failed (as SourceError exits)
    return status


def run_county(args) -> int:
    """Update the county table (the cache and the archive)."""
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
