"""``mdvax revisions``: how the source revised one county's measure, vintage by vintage."""

from __future__ import annotations


def register(subparsers) -> None:
    """Add the ``revisions`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "revisions",
        help="revision history of one county and measure (from the archive)",
        description="List every value of a county's measure that a later vintage revised: the "
        "date, the publication date of the revising vintage, the old and new value.",
    )
    parser.add_argument("--county", required=True, metavar="NAME",
                        help="e.g. Montgomery, 'Anne Arundel', 'Baltimore City'")  # fmt: skip
    parser.add_argument("--measure", default="first_dose", metavar="MEASURE",
                        help="a column of the table, e.g. first_dose (default), first_dose_daily, "
                        "fully_vaccinated")  # fmt: skip
    parser.add_argument("--as-of", metavar="DATE",
                        help="only vintages published on or before DATE (YYYY-MM-DD)")  # fmt: skip
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a text table")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Print the revision history; 0 on success (errors are raised as MdvaxError)."""
    import sys

    import pandas as pd

    from mdvax.archive import Archive, as_date
    from mdvax.normalize.counties import canonical_county

    county = canonical_county(args.county)
    with Archive.open() as archive:
        history = archive.revisions(county, args.measure, as_of=args.as_of)
        published = archive.vintages()["published"]
    if args.as_of:
        published = published[published <= pd.Timestamp(as_date(args.as_of))]
    n_vintages = len(published)
    if args.csv:
        history.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d", lineterminator="\n")
        return 0
    scope = f" up to {args.as_of}" if args.as_of else ""
    if history.empty:
        print(f"{county} {args.measure}: no revisions in {n_vintages} vintage(s){scope}")
        return 0
    shown = history.assign(
        date=history["date"].dt.strftime("%Y-%m-%d"),
        published=history["published"].dt.strftime("%Y-%m-%d"),
    ).drop(columns="vintage_id")
    print(
        f"{county} {args.measure}: {len(history):,} revised values on "
        f"{history['date'].nunique():,} dates, {n_vintages} vintage(s){scope}"
    )
    formats = {"old": "{:,}".format, "new": "{:,}".format, "change": "{:+,}".format}
    print(shown.to_string(index=False, formatters=formats))
    return 0
