"""What recording one vintage did, printable for ``mdvax update``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

#: Revisions listed by ``str(summary)``.
SHOWN = 5


@dataclass(frozen=True)
class VintageSummary:
    """Outcome of :meth:`mdvax.archive.Archive.record_vintage`.

    Attributes
    ----------
    vintage_id : int
        Id of the vintage (the existing one when nothing was added).
    published : date
        Its publication date.
    sha256 : str
        The raw file's hash.
    added_vintage : bool
        False when this snapshot was already archived (nothing was written).
    previous : date or None
        Publication date of the vintage before it (None for the first).
    n_values : int
        Stored values in the snapshot (counties x dates x daily first/second/single doses).
    n_revised, n_added, n_removed : int
        Stored values that changed, appeared (new dates) or disappeared since ``previous``;
        ``n_revised + n_added`` versions were written.
    n_relinked : int
        Vintages published after this one that were already archived, and were re-linked on
        top of it (0 when it arrived in publication order).
    revisions : pandas.DataFrame
        The ``n_revised`` daily counts this vintage revised (``county, date, measure, old,
        new, change``), largest ``|change|`` first.
    """

    vintage_id: int
    published: date
    sha256: str
    added_vintage: bool
    previous: date | None = None
    n_values: int = 0
    n_revised: int = 0
    n_added: int = 0
    n_removed: int = 0
    n_relinked: int = 0
    revisions: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def n_versions(self) -> int:
        """Value versions this vintage wrote."""
        return self.n_revised + self.n_added

    def __str__(self) -> str:
        head = f"vintage {self.published:%Y-%m-%d} (sha256 {self.sha256[:12]})"
        if not self.added_vintage:
            return f"{head} is already archived: nothing added"
        relinked = f"; re-linked {self.n_relinked} later vintage(s)" if self.n_relinked else ""
        if self.previous is None:
            return f"{head} archived: first vintage, {self.n_values:,} daily counts{relinked}"
        down = int((self.revisions["change"] < 0).sum()) if len(self.revisions) else 0
        lines = [
            f"{head} archived: revises {self.n_revised:,} daily counts published on "
            f"{self.previous:%Y-%m-%d} ({down:,} down), adds {self.n_added:,}"
            + (f", drops {self.n_removed:,}" if self.n_removed else "")
            + relinked
        ]
        if len(self.revisions):
            lines.append("  largest revisions:")
        for row in self.revisions.head(SHOWN).itertuples(index=False):
            lines.append(
                f"    {row.county:<16} {row.date:%Y-%m-%d} {row.measure:<18} "
                f"{row.old:>10,} -> {row.new:>10,} ({row.change:+,})"
            )
        return "\n".join(lines)
