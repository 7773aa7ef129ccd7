"""Where the data comes from: one small class per source, all returning a RawSnapshot."""

from mdvax.sources.base import RawSnapshot
from mdvax.sources.local import FileSource, from_upload
from mdvax.sources.maryland import MarylandApiSource, MarylandCsvSource

#: Named sources for ``mdvax update --source``.
SOURCES = {cls.name: cls for cls in (MarylandCsvSource, MarylandApiSource)}

__all__ = [
    "SOURCES",
    "FileSource",
    "MarylandApiSource",
    "MarylandCsvSource",
    "RawSnapshot",
    "from_upload",
]
