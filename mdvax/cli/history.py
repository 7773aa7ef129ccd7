"""``mdvax history``: import the state's git history as vintages, and list the vintages."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    """Add ``history import`` and ``history list``."""
    parser = subparsers.add_parser(
        "history",
        help="every vintage Maryland published: import its git history, list the vintages",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    importing = actions.add_parser(
        "import",
        help="record each publication day of the state's git repository as a vintage",
        description="Read the history of the county files in github.com/state-of-maryland/"
        "VaccineCSVs (blobless clone: only the county files' versions are downloaded) and "
        "record each publication day as a vintage. Safe to rerun and to interrupt.",
    )
    importing.add_argument("--repo", metavar="URL_OR_PATH",
                           help="repository (default $MDVAX_MARYLAND_GIT_URL or the state's)")  # fmt: skip
    importing.add_argument("--since", metavar="DATE", help="first publication day to import")
    importing.add_argument("--until", metavar="DATE", help="last publication day to import")
    importing.add_argument("--quiet", action="store_true", help="no progress bar")
    importing.set_defaults(func=run_import)
    listing = actions.add_parser("list", help="one line per archived vintage")
    listing.set_defaults(func=run_list)


def run_import(args) -> int:
    from mdvax.archive import as_date
    from mdvax.archive.git_import import import_history

    result = import_history(
        repo=args.repo,
        since=as_date(args.since, "--since date") if args.since else None,
        until=as_date(args.until, "--until date") if args.until else None,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    print(result.summary())
    return 0


def run_list(args) -> int:
    from mdvax.api import vintages

    table = vintages()
    if table.empty:
        print("no vintages archived: run `mdvax update` or `mdvax history import`")
        return 0
    for row in table.itertuples(index=False):
        print(
            f"{row.published:%Y-%m-%d}  {row.source:<8} {row.rows:>6,} rows  "
            f"{row.first_date:%Y-%m-%d} to {row.last_date:%Y-%m-%d}  revised {row.revised:>6,}"
        )
    return 0
