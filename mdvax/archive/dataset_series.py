"""One figure of a dataset beyond the county table, as every vintage published it.

``mdvax revisions --dataset zip --zip 20850 --measure at_least_one`` prints a ZIP's figure in
every ZIP vintage; ``--dataset third_dose --date D`` one day's figure; a demographic dataset
takes ``--date`` and ``--group``. Each vintage's stored table is read by key
(:mod:`mdvax.archive.datasets`).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from mdvax.archive.dates import as_date
from mdvax.datasets import COLUMNS, UNASSIGNED_ZIP
from mdvax.errors import ArchiveError, UnknownMeasureError

#: The key columns of each dataset's rows (what names one row).
KEYS = {name: tuple(c for c in columns if c in ("zip", "date", "group"))
        for name, columns in COLUMNS.items()}  # fmt: skip


def zip_label(text: str) -> str:
    """``20850`` -> ``20850``; ``0`` or ``unassigned`` -> ``unassigned``."""
    text = str(text).strip()
    if text.lower() == UNASSIGNED_ZIP or text.lstrip("0") == "":
        return UNASSIGNED_ZIP
    if not (text.isdigit() and len(text) <= 5):
        raise ArchiveError(f"not a ZIP code: {text[:20]!r}")
    return text.zfill(5)


def dataset_series(archive, dataset: str, measure: str, key: dict, as_of=None) -> pd.DataFrame:
    """``published, value, change`` of one row's ``measure`` in every vintage of ``dataset``.

    Parameters
    ----------
    key : dict
        The row: ``{"zip": ...}``, ``{"date": ...}`` or ``{"date": ..., "group": ...}``.
    as_of : date, optional
        Only vintages published on or before it.

    Raises
    ------
    UnknownMeasureError
        A measure that is not a column of the dataset.
    ArchiveError
        A key that the dataset does not have (names the ones it needs).
    """
    measures = tuple(c for c in COLUMNS[dataset] if c not in KEYS[dataset])
    if measure not in measures:
        raise UnknownMeasureError(measure, measures)
    given = {k: v for k, v in key.items() if v is not None}
    if set(given) != set(KEYS[dataset]):
        raise ArchiveError(
            f"{dataset}: name the row with {', '.join('--' + k for k in KEYS[dataset])}"
        )
    wanted = {k: _value(k, v) for k, v in given.items()}
    limit = as_date(as_of) if as_of is not None else date.max
    out = []
    for published, table in archive.dataset_tables(dataset):
        if published > limit:
            break
        match = pd.Series(True, index=table.index)
        for column, value in wanted.items():
            match &= table[column] == value
        if match.any():
            out.append((pd.Timestamp(published), int(table.loc[match, measure].iloc[0])))
    frame = pd.DataFrame(out, columns=["published", "value"])
    frame["change"] = frame["value"].diff().fillna(0).astype("int64")
    return frame


def _value(column: str, value):
    if column == "zip":
        return zip_label(value)
    if column == "date":
        return pd.Timestamp(as_date(value))
    return str(value)
