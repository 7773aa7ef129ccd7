"""``mdvax revisions``: how the source revised one county's measure, vintage by vintage."""

from __future__ import annotations


def register(subparsers) -> None:
    """Add the ``revisions`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "revisions",
        help="revision history of one county and measure (from the archive)",
        description="List every value of a county's measure that a later vintage revised: the "
        "date, the publication date of the revising vintage, the old and new value. With "
        "--date, the revision series of that one day instead: its value as each vintage "
        "published it (the series the dashboard's county panel shows).",
    )
    from mdvax.datasets import DATASETS

    parser.add_argument("--dataset", choices=DATASETS, default="county",
                        help="which table (default county); zip takes --zip, third_dose "
                        "--date, age/race/ethnicity/gender --date and --group")  # fmt: skip
    parser.add_argument("--county", metavar="NAME",
                        help="e.g. Montgomery, 'Anne Arundel', 'Baltimore City' (county only)")  # fmt: skip
    parser.add_argument("--zip", metavar="ZIP", help="a Maryland ZIP code, or 0 (--dataset zip)")
    parser.add_argument("--group", metavar="LABEL",
                        help="a group label of a demographic dataset (docs/datasets.md)")  # fmt: skip
    parser.add_argument("--measure", default="first_dose", metavar="MEASURE",
                        help="a column of the table, e.g. first_dose (default), first_dose_daily, "
                        "fully_vaccinated")  # fmt: skip
    parser.add_argument("--date", metavar="DATE",
                        help="one data day (YYYY-MM-DD): print its value in every vintage "
                        "(publication date, value, change)")  # fmt: skip
    parser.add_argument("--as-of", metavar="DATE",
                        help="only vintages published on or before DATE (YYYY-MM-DD)")  # fmt: skip
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a text table")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Print the revision history; 0 on success (errors are raised as MdvaxError)."""
    import sys

    import pandas as pd

    from mdvax.archive import Archive, as_date
    from mdvax.errors import MdvaxError
    from mdvax.normalize.counties import canonical_county

    if args.dataset != "county":
        return run_dataset(args)
    if not args.county:
        raise MdvaxError("mdvax revisions: --county is required for the county table")
    if args.date:
        return run_series(args)
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


def run_series(args) -> int:
    """Print one county-day's value as each vintage published it (``--date``)."""
    import sys

    import pandas as pd

    from mdvax import format as fmt
    from mdvax.errors import ArchiveError
    from mdvax.revisions import series

    found = series(args.county, args.measure, args.date, as_of=args.as_of)
    values = found.values
    if args.csv:
        out = values.assign(published=values["published"].dt.strftime("%Y-%m-%d"))
        out.to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    scope = f" (vintages published up to {args.as_of})" if args.as_of else ""
    head = f"{found.county} {found.measure} on {found.day:%Y-%m-%d}"
    if values.empty:
        raise ArchiveError(f"{head}: no vintage published a value for that day{scope}; "
                           f"{_data_range(args.as_of)}")  # fmt: skip
    print(
        f"{head}{scope}: {len(values)} vintage(s), {found.n_revised} changed it; first "
        f"published {fmt.count(found.first)} on {values['published'].iloc[0]:%Y-%m-%d}, "
        f"latest {fmt.count(found.latest)} on {values['published'].iloc[-1]:%Y-%m-%d} "
        f"({fmt.change(found.change)})"
    )
    rows = [("published", "value", "change")] + [
        (f"{r.published:%Y-%m-%d}", fmt.count(r.value),
         "" if pd.isna(r.change) else fmt.change(r.change))
        for r in values.itertuples(index=False)
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}".rstrip())
    return 0


def _data_range(as_of: str | None) -> str:
    """Which data days the archived vintages (up to ``as_of``) cover, for an error message."""
    import pandas as pd

    from mdvax.api import vintages

    listed = vintages()
    if as_of:
        listed = listed[listed["published"] <= pd.Timestamp(as_of)]
    if listed.empty:
        return "no vintage is archived (run `mdvax update` or `mdvax history import`)"
    return (
        f"the archived data runs from {listed['first_date'].min():%Y-%m-%d} to "
        f"{listed['last_date'].max():%Y-%m-%d}"
    )


def run_dataset(args) -> int:
    """Print one row's figure of a dataset beyond the county table in every vintage."""
    import sys

    from mdvax.archive import Archive
    from mdvax.archive.dataset_series import dataset_series

    key = {"zip": args.zip, "date": args.date, "group": args.group}
    wanted = {"zip": ("zip",), "third_dose": ("date",)}.get(args.dataset, ("date", "group"))
    with Archive.open() as archive:
        found = dataset_series(archive, args.dataset, args.measure,
                               {k: key[k] for k in wanted}, as_of=args.as_of)  # fmt: skip
    if args.csv:
        found.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d", lineterminator="\n")
        return 0
    label = " ".join(str(key[k]) for k in wanted)
    print(f"{args.dataset} {label} {args.measure}: {len(found)} vintage(s) with this row")
    if not found.empty:
        formats = {"value": "{:,}".format, "change": "{:+,}".format}
        shown = found.assign(published=found["published"].dt.strftime("%Y-%m-%d"))
        print(shown.to_string(index=False, formatters=formats))
    return 0
