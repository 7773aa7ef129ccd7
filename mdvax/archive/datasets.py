"""The vintages of every dataset but the county table, one row per (dataset, publication day).

A ZIP snapshot (about 900 rows) or a demographic table (a few thousand) is small, so each vintage
is stored whole: its provenance (the county vintages' columns and details JSON) and its table as
a compressed NumPy archive of its columns (format :data:`FORMAT`), read by primary key: the
same cost for the first vintage and the last. The day's last file wins (a later commit or
download of the same day replaces it); the same bytes twice add nothing; an empty table is
never recorded (:class:`~mdvax.errors.EmptySnapshotError`): the previous vintage stays in force.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Row, delete, select

from mdvax.archive.dates import as_date
from mdvax.archive.engine import write_transaction
from mdvax.archive.frames import DATE_DTYPE
from mdvax.archive.read import too_early
from mdvax.archive.record import check_sha256, utc_naive
from mdvax.archive.schema import dataset_vintages
from mdvax.datasets import COLUMNS, DATASETS, DatasetTable
from mdvax.errors import ArchiveError, EmptySnapshotError

#: How ``dataset_vintages.data`` is encoded; a reader refuses any other.
FORMAT = "npz-columns/1"
#: The listing columns (everything but the blob).
LISTING = [c.name for c in dataset_vintages.c if c.name != "data"]


def check_dataset(dataset: str) -> str:
    """``dataset`` if it is archived here (ArchiveError naming the valid ones otherwise)."""
    if dataset not in DATASETS[1:]:
        raise ArchiveError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}")
    return dataset


def encode(table: pd.DataFrame) -> bytes:
    """The ``.npz`` bytes of a table: dates as day numbers, text as text, counts as integers."""
    arrays = {}
    for name in table.columns:
        values = table[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            arrays[name] = values.to_numpy().astype("datetime64[D]").astype("int32")
        elif pd.api.types.is_integer_dtype(values):
            arrays[name] = values.to_numpy(dtype="int64")
        else:
            arrays[name] = values.to_numpy(dtype=str)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def decode(data: bytes, dataset: str) -> pd.DataFrame:
    """The table :func:`encode` was given (its columns in :data:`~mdvax.datasets.COLUMNS` order)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        columns = {}
        for name in COLUMNS[dataset]:
            values = stored[name]
            if name == "date":
                columns[name] = values.astype("datetime64[D]").astype(DATE_DTYPE)
            elif values.dtype.kind == "U":
                columns[name] = values.astype(object)
            else:
                columns[name] = values.astype("int64")
    return pd.DataFrame(columns)


def record(
    conn: Connection,
    normalized: DatasetTable,
    *,
    published: date,
    fetched_at: datetime,
    sha256: str,
    source: str,
    details: str | None = None,
) -> str:
    """Record one vintage of ``normalized.dataset`` (inside the caller's transaction).

    Returns
    -------
    str
        ``added``, ``replaced`` (an earlier file of the same day) or ``skipped`` (these bytes,
        or a later file of that day, are already there).

    Raises
    ------
    EmptySnapshotError
        When the table has no rows.
    """
    dataset, table = check_dataset(normalized.dataset), normalized.table
    if table.empty:
        raise EmptySnapshotError(f"{dataset}: the table of {published} has no rows")
    fetched_at = utc_naive(fetched_at)
    key = (dataset_vintages.c.dataset == dataset) & (dataset_vintages.c.published == published)
    known = conn.execute(select(dataset_vintages.c.sha256, dataset_vintages.c.fetched_at)
                         .where(key)).first()  # fmt: skip
    if known is not None and (known.sha256 == sha256 or known.fetched_at > fetched_at):
        return "skipped"
    if known is not None:
        conn.execute(delete(dataset_vintages).where(key))
    dates = table.get("date")
    conn.execute(
        dataset_vintages.insert().values(
            dataset=dataset, published=published, fetched_at=fetched_at,
            recorded_at=datetime.now(UTC).replace(tzinfo=None), sha256=check_sha256(sha256),
            source=str(source), n_rows=len(table), format=FORMAT, provenance=details,
            first_date=published if dates is None else dates.min().date(),
            last_date=published if dates is None else dates.max().date(), data=encode(table),
        )
    )  # fmt: skip
    return "added" if known is None else "replaced"


def as_of(conn: Connection, dataset: str, day: date) -> Row:
    """The vintage of ``dataset`` in force on ``day``: the latest published on or before it.

    Raises
    ------
    ArchiveError
        When ``dataset`` has no vintage; :class:`~mdvax.errors.NoVintageYetError` when every
        one was published after ``day``.
    """
    dv = dataset_vintages.c
    mine = select(*(dv[c] for c in LISTING)).where(dv.dataset == check_dataset(dataset))
    row = conn.execute(mine.where(dv.published <= day).order_by(dv.published.desc()).limit(1))
    found = row.first()
    if found is not None:
        return found
    oldest = conn.scalar(select(dv.published).where(dv.dataset == dataset).order_by(dv.published))
    if oldest is None:
        raise ArchiveError(
            f"the archive has no {dataset} vintage: run `mdvax history import` or `mdvax update`"
        )
    raise too_early(day, oldest)


def read(conn: Connection, dataset: str, published: date) -> pd.DataFrame:
    """The table of the ``dataset`` vintage published on ``published`` (one key lookup)."""
    dv = dataset_vintages.c
    row = conn.execute(
        select(dv.format, dv.n_rows, dv.data).where(
            (dv.dataset == dataset) & (dv.published == published)
        )
    ).first()
    what = f"archive: the stored {dataset} table of {published:%Y-%m-%d}"
    if row is None:
        raise ArchiveError(f"{what} is missing")
    if row.format != FORMAT:
        raise ArchiveError(f"{what} is in format {row.format!r}; this mdvax reads {FORMAT!r}")
    try:
        table = decode(bytes(row.data), dataset)
    except Exception as error:  # zip, zlib and NumPy raise several kinds on damaged bytes
        raise ArchiveError(f"{what} cannot be decoded ({type(error).__name__})") from None
    if len(table) != row.n_rows:
        raise ArchiveError(f"{what} has {len(table):,} rows instead of {row.n_rows:,}")
    return table


def listing(conn: Connection, dataset: str) -> pd.DataFrame:
    """Every vintage of ``dataset``, oldest first (no tables), with the county listing's dtypes."""
    dv = dataset_vintages.c
    rows = conn.execute(select(*(dv[c] for c in LISTING))
                        .where(dv.dataset == check_dataset(dataset)).order_by(dv.published))  # fmt: skip
    return frame(list(rows))


def frame(rows: list[Row]) -> pd.DataFrame:
    """Listing rows as a DataFrame (dates as datetime64, times in UTC)."""
    out = pd.DataFrame([tuple(r) for r in rows], columns=LISTING)
    for name in ("published", "first_date", "last_date"):
        out[name] = pd.to_datetime(out[name]).astype(DATE_DTYPE)
    for name in ("fetched_at", "recorded_at"):
        out[name] = pd.to_datetime(out[name]).astype(DATE_DTYPE).dt.tz_localize(UTC)
    return out


class DatasetQueries:
    """The :class:`~mdvax.archive.Archive` methods for the datasets beyond the county table."""

    def record_dataset(self, normalized: DatasetTable, **provenance) -> str:
        """Record one vintage in its own transaction (see :func:`record`)."""
        provenance["published"] = as_date(provenance["published"], "publication date")
        with self._errors("record a vintage"), write_transaction(self.engine) as conn:
            return record(conn, normalized, **provenance)

    def dataset_vintages(self, dataset: str) -> pd.DataFrame:
        """Every vintage of ``dataset``, oldest first (:data:`LISTING` columns)."""
        with self._errors("list vintages"), self.engine.connect() as conn:
            return listing(conn, dataset)

    def dataset_tables(self, dataset: str) -> Iterator[tuple[date, pd.DataFrame]]:
        """``(publication day, table)`` of every vintage of ``dataset``, oldest first."""
        days = self.dataset_vintages(dataset)["published"].dt.date.tolist()
        with self._errors("read vintages"), self.engine.connect() as conn:
            for day in days:
                yield day, read(conn, dataset, day)
