"""``mdvax history``: import the state's git history as vintages, list them, rebuild their tables."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    """Add ``history import``, ``history list`` and ``history rebuild``."""
    parser = subparsers.add_parser(
        "history",
        help="every vintage Maryland published: import its git history, list the vintages",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    importing = actions.add_parser(
        "import",
        help="record each publication day of the state's git repository as a vintage",
        description="Read the history of the county files and of every other dataset's files "
        "(docs/datasets.md) in github.com/state-of-maryland/VaccineCSVs (blobless clone: only "
        "those files' versions are downloaded) in one pass, and record each publication day as "
        "a vintage; one summary line per dataset. Safe to rerun and to interrupt.",
    )
    importing.add_argument("--repo", metavar="URL_OR_PATH",
                           help="repository (default $MDVAX_MARYLAND_GIT_URL or the state's)")  # fmt: skip
    importing.add_argument("--since", metavar="DATE", help="first publication day to import")
    importing.add_argument("--until", metavar="DATE", help="last publication day to import")
    importing.add_argument("--quiet", action="store_true", help="no progress bar")
    importing.set_defaults(func=run_import)
    from mdvax.datasets import DATASETS

    listing = actions.add_parser("list", help="one line per archived vintage")
    listing.add_argument("--dataset", choices=DATASETS, default="county",
                         help="which table's vintages (default county)")  # fmt: skip
    listing.set_defaults(func=run_list)
    rebuilding = actions.add_parser(
        "rebuild",
        help="rewrite every vintage's stored table from the archived values (a repair)",
        description="Each vintage's whole table is also stored on its own, so that reading a "
        "vintage does not scan the history. This rewrites them all from the archived values, "
        "which stay the source of truth: run it when an error names a missing or damaged table.",
    )
    rebuilding.add_argument("--quiet", action="store_true", help="no progress bar")
    rebuilding.set_defaults(func=run_rebuild)


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
    if args.dataset != "county":
        return list_dataset(args.dataset)
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


def list_dataset(name: str) -> int:
    """One line per archived vintage of a dataset beyond the county table."""
    from mdvax.archive import Archive

    with Archive.open() as archive:
        table = archive.dataset_vintages(name)
    if table.empty:
        print(f"no {name} vintages archived: run `mdvax history import` or `mdvax update`")
    for row in table.itertuples(index=False):
        print(f"{row.published:%Y-%m-%d}  {row.source.removeprefix('git:')[:7]:<8} "
              f"{row.n_rows:>6,} rows  {row.first_date:%Y-%m-%d} to {row.last_date:%Y-%m-%d}")  # fmt: skip
    return 0


def run_rebuild(args) -> int:
    from mdvax.archive import Archive

    with Archive.open() as archive:
        written = archive.rebuild_tables(progress=not args.quiet and sys.stderr.isatty())
    print(f"rebuilt the stored tables of {written} vintages from the archived values")
    return 0
