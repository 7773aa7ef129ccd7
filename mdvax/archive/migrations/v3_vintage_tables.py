"""Migration 3: each vintage's table in one row of ``vintage_tables`` (format ``npz-doses/1``).

Frozen (see the package): the table definition, the encoding and the pass that writes the
table of every vintage already archived, as ``mdvax.archive.tables`` had them when this
shipped. The live reader (:func:`mdvax.archive.tables.read`) accepts this format; a new format
would be a new migration that rewrites these rows.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pandas as pd
from sqlalchemy import Column, Connection, ForeignKey, Integer, LargeBinary, String, Table, select

from mdvax.archive.migrations.v1_create import metadata, value_versions, vintages
from mdvax.archive.migrations.v2_timeline_ids import DATE_DTYPE, long_frame, series_names

#: How ``vintage_tables.data`` is encoded.
FORMAT = "npz-doses/1"

#: The cumulative doses stored, and the daily measures the archive keeps of them.
DOSES = ("first_dose", "second_dose", "single_dose")
STORED_MEASURES = tuple(f"{dose}_daily" for dose in DOSES)

#: Versions read at a time.
CHUNK = 20_000

vintage_tables = Table(
    "vintage_tables",
    metadata,
    Column("vintage_id", Integer, ForeignKey("vintages.id"), primary_key=True, autoincrement=False),
    Column("format", String(40), nullable=False),
    Column("n_rows", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)


def migrate(conn: Connection) -> None:
    """Version 3: each vintage's table in one row (written for every vintage already there)."""
    from tqdm import tqdm

    vintage_tables.create(conn)
    ids = list(conn.scalars(select(vintages.c.id).order_by(vintages.c.id)))
    if not ids:
        return
    names = series_names(conn)
    bar = tqdm(total=len(ids), desc="archive: vintage tables", unit="vintage", disable=None)
    with bar:
        for vintage_id, rows in states(conn, ids):
            doses = dose_table(long_frame(rows, names))
            conn.execute(
                vintage_tables.insert().values(
                    vintage_id=int(vintage_id), format=FORMAT, n_rows=len(doses), data=encode(doses)
                )
            )
            bar.update(1)


def dose_table(long: pd.DataFrame) -> pd.DataFrame:
    """``date, county`` and the cumulative doses, sorted by county and date, from long values."""
    wide = long.pivot(index=["date", "county"], columns="measure", values="value")
    wide = wide.reindex(columns=list(STORED_MEASURES)).reset_index()
    wide.columns.name = None
    wide["date"] = pd.to_datetime(wide["date"]).astype(DATE_DTYPE)
    wide = wide.sort_values(["county", "date"], ignore_index=True)
    cumulative = wide.groupby("county", sort=False)[list(STORED_MEASURES)].cumsum()
    wide[list(DOSES)] = cumulative.astype("int64").to_numpy()
    return wide[["date", "county", *DOSES]]


def encode(doses: pd.DataFrame) -> bytes:
    """The ``.npz`` bytes of a :func:`dose_table` frame: names once, a code and steps per row."""
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


def states(conn: Connection, ids: list[int]) -> Iterator[tuple[int, list[tuple]]]:
    """``(vintage id, [(series_id, day, value), ...])`` for each of ``ids`` (ascending).

    One pass over ``value_versions`` in ``valid_from`` order, replaying the versions.
    """
    vv = value_versions.c
    query = select(vv.series_id, vv.day, vv.value, vv.valid_from, vv.valid_to)
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
