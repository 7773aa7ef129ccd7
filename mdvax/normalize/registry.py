"""The registry of datasets beyond the county table: one entry each.

An entry names the dataset, its files in the state's repository (preferred first: when several
changed in one commit, the first of them is read and the others only compared) and its
normalizer. The file's URL for ``mdvax update`` is the repository's raw folder
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
    """One dataset: ``name``, repository ``files`` (preferred first) and ``normalize``."""

    name: str
    files: tuple[str, ...]
    normalize: Callable[[bytes, datetime], DatasetTable]

    def url(self, raw_folder: str) -> str:
        """The preferred file's URL under the repository's raw folder ``raw_folder``."""
        return raw_folder.rstrip("/") + "/" + self.files[0]


REGISTRY: dict[str, Dataset] = {
    entry.name: entry
    for entry in (
        Dataset("zip", (zips.FILE,), zips.normalize_zip),
        Dataset("third_dose", third_dose.FILES, third_dose.normalize_third_dose),
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
