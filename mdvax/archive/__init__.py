"""Every published version of the county table, in SQLite (default) or PostgreSQL.

>>> from mdvax.archive import Archive
>>> archive = Archive.open()                    # doctest: +SKIP
>>> archive.table_as_of("2021-03-23")           # doctest: +SKIP

See ``docs/archive.md`` for the design (vintages, value versions, vintage tables, migrations).

The names below are imported on first use, so importing a light module of this package
(:mod:`mdvax.archive.dates`, :mod:`mdvax.archive.frames`) does not load SQLAlchemy: a dashboard
kernel without an archive never pays for it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mdvax.archive.core import Archive
    from mdvax.archive.dates import as_date
    from mdvax.archive.diff import STORED_MEASURES
    from mdvax.archive.frames import MEASURE_COLUMNS
    from mdvax.archive.summary import VintageSummary
    from mdvax.archive.tables import VintageTableError

#: Public name -> the module that defines it.
_HOMES = {
    "Archive": "mdvax.archive.core",
    "as_date": "mdvax.archive.dates",
    "STORED_MEASURES": "mdvax.archive.diff",
    "MEASURE_COLUMNS": "mdvax.archive.frames",
    "VintageSummary": "mdvax.archive.summary",
    "VintageTableError": "mdvax.archive.tables",
}

__all__ = [
    "MEASURE_COLUMNS",
    "STORED_MEASURES",
    "Archive",
    "VintageSummary",
    "VintageTableError",
    "as_date",
]


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
