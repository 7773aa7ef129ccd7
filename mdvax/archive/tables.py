"""Each vintage's table in one row of ``vintage_tables``: a read path whose cost does not grow.

``value_versions`` stores each value once per version, which keeps the archive small and makes
revisions cheap to query, but reading one vintage from it means scanning every version
(``valid_from <= v < valid_to``): the dashboard's vintage switch took 556 ms (p95) on a
366-vintage archive. So each vintage also gets its table as one compressed blob, read by primary
key: the same cost for the first vintage and the 366th.

What is stored is :func:`~mdvax.archive.frames.dose_table` of the vintage: ``date, county`` and
the cumulative first, second and single doses, as a compressed NumPy archive (``.npz``: zip,
deflate, a CRC per array) of small integer arrays: the county names once and a code per row,
the days and the doses each as differences from the row before in the same county (the daily
counts; the first row of a county keeps its cumulative value), so they compress well: about
21 KB for the 4,200 rows of 2021-05-31. Decoding is :func:`numpy.load` and running sums, 2 ms;
every other column of the canonical table follows through
:func:`~mdvax.normalize.table.derive_measures`, the very call
:func:`~mdvax.archive.frames.from_long` ends with, so the stored path returns exactly what the
scan does (a test checks it on every vintage of the state's history). NumPy rather than
Parquet: reading Parquet loads ``pyarrow.parquet`` and Arrow's memory pool into every dashboard
kernel (about 15 MB more RSS each, measured), for no gain in size. The whole canonical table
would read 8 ms faster but take three times the space and would have to be rewritten whenever
a derived column changes.

A vintage's values are those of its own file, so its blob never changes, even when an older
vintage is spliced in before it. The blob is written in the same transaction as the vintage
(:mod:`mdvax.archive.record`); ``value_versions`` stays the source of truth, from which
:func:`backfill` (:meth:`mdvax.archive.Archive.rebuild_tables`) writes them; migration 3
(:mod:`mdvax.archive.migrations.v3_vintage_tables`) has its own frozen copy of this format.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Row, delete, select

from mdvax.archive.frames import DATE_DTYPE, dose_table
from mdvax.archive.read import long_frame, series_names
from mdvax.archive.schema import value_versions, vintage_tables, vintages
from mdvax.errors import ArchiveError
from mdvax.normalize.schema import DOSES
from mdvax.normalize.table import derive_measures

#: How ``vintage_tables.data`` is encoded; a reader refuses any other.
FORMAT = "npz-doses/1"

#: Versions read at a time by :func:`backfill`.
CHUNK = 20_000


class VintageTableError(ArchiveError):
    """A vintage's stored table is missing or cannot be decoded (the message names the vintage)."""


def encode(doses: pd.DataFrame) -> bytes:
    """The ``.npz`` bytes of a :func:`~mdvax.archive.frames.dose_table` frame.

    Its rows are sorted by county and date, as :func:`~mdvax.archive.frames.dose_table` returns.
    """
    names, code = np.unique(doses["county"].to_numpy(dtype=str), return_inverse=True)
    starts = np.r_[True, code[1:] != code[:-1]]  # first row of each county
    days = doses["date"].to_numpy().astype("datetime64[D]").astype("int64")
    arrays = {"names": names, "code": code.astype("int16"), "date": _steps(days, starts)}
    for column in DOSES:
        arrays[column] = _steps(doses[column].to_numpy(dtype="int64"), starts)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def _steps(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Differences from the row before, restarting at ``starts``; int32 when they fit."""
    out = np.diff(values, prepend=0)
    out[starts] = values[starts]
    return out.astype("int32") if len(out) and np.abs(out).max() < 2**31 else out


def decode(data: bytes) -> pd.DataFrame:
    """The frame :func:`encode` was given (NumPy's or zip's exceptions on damaged bytes)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        code = stored["code"]
        starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
        lengths = np.diff(np.r_[starts, len(code)])

        def sums(name: str) -> np.ndarray:
            steps = stored[name].astype("int64")
            total = np.cumsum(steps)
            return total - np.repeat(total[starts] - steps[starts], lengths)

        frame = pd.DataFrame({
            "date": sums("date").astype("datetime64[D]").astype(DATE_DTYPE),
            "county": stored["names"][code].astype(object),
            **{column: sums(column) for column in DOSES},
        })  # fmt: skip
    return frame


def write(conn: Connection, vintage_id: int, values: pd.DataFrame) -> None:
    """Store the table of vintage ``vintage_id`` from its long stored ``values``."""
    doses = dose_table(values)
    conn.execute(
        vintage_tables.insert().values(
            vintage_id=int(vintage_id), format=FORMAT, n_rows=len(doses), data=encode(doses)
        )
    )


def delete_from(conn: Connection, first_id: int) -> None:
    """Remove the tables of vintage ``first_id`` and every later one (before the vintages)."""
    conn.execute(delete(vintage_tables).where(vintage_tables.c.vintage_id >= first_id))


def read(conn: Connection, vintage: Row) -> pd.DataFrame:
    """The canonical table of ``vintage`` (a ``vintages`` row): one primary-key lookup.

    Raises
    ------
    VintageTableError
        When the vintage's table is missing, in an unknown format or damaged.
    """
    row = conn.execute(
        select(vintage_tables.c.format, vintage_tables.c.n_rows, vintage_tables.c.data).where(
            vintage_tables.c.vintage_id == vintage.id
        )
    ).first()
    what = f"the stored table of vintage {vintage.published:%Y-%m-%d} (id {vintage.id})"
    repair = "`mdvax history rebuild` rewrites it from the value versions"
    if row is None:
        raise VintageTableError(f"archive: {what} is missing: {repair}")
    if row.format != FORMAT:
        raise VintageTableError(
            f"archive: {what} is in format {row.format!r}; this mdvax reads {FORMAT!r}"
        )
    try:
        doses = decode(bytes(row.data))
    except Exception as error:  # zip, zlib and NumPy raise several kinds on damaged bytes
        detail = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise VintageTableError(f"archive: {what} cannot be decoded ({detail}): {repair}") from None
    if len(doses) != row.n_rows:
        raise VintageTableError(
            f"archive: {what} has {len(doses):,} rows instead of {row.n_rows:,}: {repair}"
        )
    return derive_measures(doses)


def states(conn: Connection, ids: list[int]) -> Iterator[tuple[int, list[tuple]]]:
    """``(vintage id, [(series_id, day, value), ...])`` for each of ``ids`` (ascending).

    One pass over ``value_versions`` in ``valid_from`` order (streamed ``CHUNK`` rows at a
    time), replaying the versions vintage by vintage, instead of one scan per vintage.
    """
    vv = value_versions.c
    query = select(vv.series_id, vv.day, vv.value, vv.valid_from, vv.valid_to)
    # Options on the statement: Connection.execution_options would stream every later one.
    rows = iter(conn.execute(query.order_by(vv.valid_from).execution_options(yield_per=CHUNK)))
    pending = next(rows, None)
    current: dict[tuple, tuple] = {}  # (series_id, day) -> (value, valid_to)
    closing: dict[int, list[tuple]] = {}  # valid_to -> keys whose version it closes
    for vintage_id in ids:
        while pending is not None and pending.valid_from <= vintage_id:
            key = (pending.series_id, pending.day)
            current[key] = (pending.value, pending.valid_to)
            if pending.valid_to is not None:
                closing.setdefault(pending.valid_to, []).append(key)
            pending = next(rows, None)
        for key in closing.pop(vintage_id, ()):
            if key in current and current[key][1] == vintage_id:  # not reopened by this vintage
                del current[key]
        yield vintage_id, [(sid, day, value) for (sid, day), (value, _) in current.items()]


def backfill(conn: Connection, progress: bool | None = None) -> int:
    """Write the table of every vintage that has none; returns how many were written.

    Parameters
    ----------
    progress : bool, optional
        Show a progress bar (default: when standard error is a terminal).
    """
    from tqdm import tqdm

    ids = list(conn.scalars(select(vintages.c.id).order_by(vintages.c.id)))
    todo = set(ids) - set(conn.scalars(select(vintage_tables.c.vintage_id)))
    if not todo:
        return 0
    names = series_names(conn)
    last = max(todo)
    disable = None if progress is None else not progress
    with tqdm(
        total=len(todo), desc="archive: vintage tables", unit="vintage", disable=disable
    ) as bar:
        for vintage_id, rows in states(conn, [i for i in ids if i <= last]):
            if vintage_id in todo:
                write(conn, vintage_id, long_frame(rows, names))
                bar.update(1)
    return len(todo)
