"""The registry of datasets beyond the county table: one entry each.

An entry names the dataset, its files in the state's repository (preferred first, see
:class:`Dataset` for which one a commit is read from) and its normalizer. The file's URL for ``mdvax update`` is the repository's raw folder
(``MDVAX_MARYLAND_RAW_URL``) plus the preferred file's name. Adding a dataset is adding an
entry here (and its columns to :data:`mdvax.datasets.COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from mdvax.datasets import DATASETS, DEMOGRAPHICS, DatasetTable
from mdvax.errors import ArchiveError
from mdvax.normalize import demographics, third_dose, zips


@dataclass(frozen=True)
class Dataset:
    """One dataset: ``name``, repository ``files`` (preferred first) and ``normalize``.

    ``copies``: the files are copies of one table (the third doses' open-data and ``_Raw``
    files), so whichever a commit changed is current: the first of those it changed is read
    and the others compared. Otherwise (the age files: ten-year bands, else broad ones) the
    first file present is the table, whichever changed.
    """

    name: str
    files: tuple[str, ...]
    normalize: Callable[[bytes, datetime], DatasetTable]
    copies: bool = False

    def url(self, raw_folder: str) -> str:
        """The preferred file's URL under the repository's raw folder ``raw_folder``."""
        return raw_folder.rstrip("/") + "/" + self.files[0]


REGISTRY: dict[str, Dataset] = {
    entry.name: entry
    for entry in (
        Dataset("zip", (zips.FILE,), zips.normalize_zip),
        Dataset("third_dose", third_dose.FILES, third_dose.normalize_third_dose, copies=True),
        *(
            Dataset(
                name, demographics.FILES[name], partial(demographics.normalize_demographic, name)
            )
            for name in DEMOGRAPHICS
        ),
    )
}


def dataset(name: str) -> Dataset:
    """The entry of ``name`` (ArchiveError naming the registered ones otherwise)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ArchiveError(
            f"unknown dataset {str(name)[:40]!r}: choose one of {', '.join(DATASETS)}"
        ) from None
