"""Every published version of the county table, in SQLite (default) or PostgreSQL.

>>> from mdvax.archive import Archive
>>> archive = Archive.open()                    # doctest: +SKIP
>>> archive.table_as_of("2021-03-23")           # doctest: +SKIP

See ``docs/archive.md`` for the design (vintages, value versions, migrations).
"""

from mdvax.archive.core import Archive, as_date
from mdvax.archive.diff import STORED_MEASURES
from mdvax.archive.frames import MEASURE_COLUMNS
from mdvax.archive.summary import VintageSummary

__all__ = ["MEASURE_COLUMNS", "STORED_MEASURES", "Archive", "VintageSummary", "as_date"]
