"""``mdvax status``: what is cached, from where, fetched when."""

from __future__ import annotations

from datetime import UTC, datetime


def register(subparsers) -> None:
    parser = subparsers.add_parser("status", help="show what is cached and how fresh it is")
    parser.set_defaults(func=run)


def run(args) -> int:
    from mdvax.api import load_metadata
    from mdvax.config import get_settings

    settings = get_settings()
    meta = load_metadata(settings)  # the embedded snapshot in a folder never updated
    age = (datetime.now(UTC).date() - meta.last_date).days
    lines = [
        ("data folder", str(settings.data_dir)),
        ("source", f"{meta.source} ({meta.url})"),
        ("fetched at", f"{meta.fetched_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("published", str(meta.published)),
        ("data range", f"{meta.first_date} to {meta.last_date} ({age:,} days ago)"),
        (
            "rows",
            f"{meta.rows:,} ({meta.source_rows:,} in the source, {meta.quarantined} quarantined)",
        ),
        ("raw file", f"{meta.raw_path} (sha256 {meta.sha256})"),
        ("schema", meta.schema),
    ]
    width = max(len(name) for name, _ in lines)
    for name, value in lines:
        print(f"{name:<{width}}  {value}")
    return 0
