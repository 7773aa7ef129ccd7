"""Where shown data came from: one :class:`Provenance` for the dashboard and the report.

:func:`source_text` and :func:`stopped_on` are what the public pages say about it (the banner,
the "About the data" section, the still picture): derived from the data, never written by hand,
so the pages cannot contradict each other, and free of shell commands (those are the operator's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from mdvax import format as fmt

#: The source is called stale when its newest day is more than this many days before the
#: reference day (a report's as-of day, else the day the data was fetched).
STALE_AFTER_DAYS = 2


@dataclass(frozen=True)
class Provenance:
    """Where a table came from and how current it is.

    Attributes
    ----------
    source : str
        Source name (``maryland-csv``...), or a description such as an uploaded file's name.
    last_date : date
        The data's newest day (the source's newest day).
    url : str
        Where the raw file was downloaded from ("" when not downloaded).
    fetched_at : datetime or None
        When the raw file was fetched (aware, UTC); None for an upload.
    sha256 : str or None
        Hash of the raw file.
    published : date or None
        Publication date of that version of the data.
    first_date : date or None
        The data's first day.
    reference : date or None
        Day the data is judged against for staleness (default: the fetch day).
    as_of : date or None
        Day the data was taken as published on (None: the newest data, whatever its date).
    details : dict
        Where an archived vintage's bytes came from (a git vintage's ``commit``, ``path``...).
    shipped : bool
        The snapshot packaged with mdvax (:mod:`mdvax.embedded`): nobody fetched it.
    republished : tuple of date
        Later days the source published the very same file again (an archived vintage's).
    """

    source: str
    last_date: date
    url: str = ""
    fetched_at: datetime | None = None
    sha256: str | None = None
    published: date | None = None
    first_date: date | None = None
    reference: date | None = None
    as_of: date | None = None
    details: dict = field(default_factory=dict, compare=False)
    shipped: bool = False
    republished: tuple[date, ...] = ()

    @classmethod
    def from_cache(cls, meta, as_of: date | None = None) -> Provenance:
        """From the cache's :class:`mdvax.cache.CacheMeta` (the newest data)."""
        from mdvax import embedded

        fetched = utc(meta.fetched_at)
        return cls(
            source=meta.source,
            url=meta.url,
            fetched_at=fetched,
            sha256=meta.sha256,
            published=meta.published,
            first_date=meta.first_date,
            last_date=meta.last_date,
            reference=as_of or fetched.date(),
            as_of=as_of,
            shipped=meta.source == embedded.note(),
        )

    @classmethod
    def from_vintage(cls, row, as_of: date) -> Provenance:
        """From one row of :meth:`mdvax.archive.Archive.vintages` (the data as of ``as_of``)."""
        details = _details(row.get("provenance"))  # the vintage's JSON, parsed once
        return cls(
            source=str(row["source"]),
            fetched_at=utc(row["fetched_at"].to_pydatetime()),
            sha256=str(row["sha256"]),
            published=row["published"].date(),
            first_date=row["first_date"].date(),
            last_date=row["last_date"].date(),
            reference=as_of,
            as_of=as_of,
            details=details,
            republished=republished_days(details),
        )

    @property
    def republished_note(self) -> str:
        """``republished unchanged on 16 Oct 2021 and 17 Oct 2021`` ("" when it was not)."""
        days = [f"{d.day} {d:%b %Y}" for d in self.republished]
        if not days:
            return ""
        if len(days) > 4:
            return (f"republished unchanged on {len(days)} later days, "
                    f"{days[0]} to {days[-1]}")  # fmt: skip
        listed = days[0] if len(days) == 1 else ", ".join(days[:-1]) + " and " + days[-1]
        return f"republished unchanged on {listed}"

    @property
    def where(self) -> str:
        """The URL the data came from, else the source's name."""
        return self.url or self.source

    @property
    def days_behind(self) -> int:
        """Days between the source's newest day and the reference day (0 without one)."""
        reference = self.reference or (self.fetched_at.date() if self.fetched_at else None)
        return (reference - self.last_date).days if reference else 0

    @property
    def stale(self) -> bool:
        """True when the source has not moved for more than :data:`STALE_AFTER_DAYS` days."""
        return self.days_behind > STALE_AFTER_DAYS


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _details(text: object) -> dict:
    """A vintage's ``provenance`` JSON as a dict (empty when absent or unreadable)."""
    try:
        found = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


#: How a visitor reads the name of a source (other names are shown as they are).
SOURCE_NAMES = {
    "maryland-csv": "Maryland Department of Health open data",
    "maryland-api": "Maryland Department of Health open data (its API)",
    "maryland-github": "the state's git repository (its county file)",
    "file": "a copy of the table loaded by this site's operator",
}


def source_text(prov: Provenance) -> str:
    """Where the data came from, in words (plain text; no path of the server, no command).

    The packaged snapshot is the state's table as published on its day; a vintage imported
    from the state's git repository is its commit (short) and day.
    """
    if prov.shipped:
        published = fmt.day(prov.published or prov.last_date)
        return (
            "the snapshot shipped with mdvax, as the Maryland Department of Health "
            f"published it on {published}"
        )
    commit = str(prov.details.get("commit") or "")
    if not commit and prov.source.startswith("git:"):
        commit = prov.source[4:]
    if commit:
        text = f"the state's git repository, commit {commit[:7]}"
        return f"{text} of {fmt.day(prov.published)}" if prov.published else text
    return SOURCE_NAMES.get(prov.source, prov.source)


def fetched_text(prov: Provenance) -> str:
    """``2022-03-07 17:00 UTC`` when the data was downloaded ("" for a snapshot or an upload)."""
    if prov.fetched_at is None or prov.shipped:
        return ""
    return f"{prov.fetched_at:%Y-%m-%d %H:%M} UTC"


def stopped_on(prov: Provenance, today: date | None = None) -> date | None:
    """The day the source stopped: the newest data's last day, if long past.

    That is, more than :data:`STALE_AFTER_DAYS` days before ``today`` (default: today). None while the source moves, and for an archived vintage (the source went on after it).
    """
    today = today or datetime.now().date()
    if prov.as_of is not None or (today - prov.last_date).days <= STALE_AFTER_DAYS:
        return None
    return prov.last_date


def republished_days(details: dict) -> tuple[date, ...]:
    """The ``republished`` days of a vintage's parsed details (none when unreadable)."""
    try:
        return tuple(sorted(date.fromisoformat(day) for day in details.get("republished") or ()))
    except (ValueError, TypeError):
        return ()
