"""Small pure steps the dataset normalizers share: read a file's CSV, check its columns and values.

Every dataset beyond the county table (:mod:`mdvax.datasets`) is one CSV file per vintage in the
state's repository. These steps turn its bytes into text columns and say clearly what is wrong:
an empty file (:class:`~mdvax.errors.EmptySnapshotError`), columns nobody knows
(:class:`~mdvax.errors.SchemaError`, naming them), counts that cannot be right
(:class:`~mdvax.errors.ValidationError`, naming the rows).
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import pandas as pd

from mdvax.errors import EmptySnapshotError, SchemaError, ValidationError
from mdvax.normalize.complete import check_rows_complete
from mdvax.normalize.parse import parse_counts

#: Most row labels quoted back in an error message.
SHOWN = 5


def read_csv(body: bytes, what: str) -> pd.DataFrame:
    """The file's rows as text columns (header names stripped); ``what`` names the file.

    Raises
    ------
    EmptySnapshotError
        No data rows (the state published a few header-only files).
    SchemaError
        Not UTF-8, not CSV, or a record with the wrong number of fields.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SchemaError(f"{what}: not UTF-8 text ({error})") from error
    if len(text.strip().splitlines()) < 2:
        raise EmptySnapshotError(f"{what}: the file has no data rows")
    check_rows_complete(text)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise SchemaError(f"{what}: the CSV cannot be parsed: {error}") from error
    frame.columns = [str(name).strip() for name in frame.columns]
    if frame.empty:
        raise EmptySnapshotError(f"{what}: the file has no data rows")
    return frame


def check_columns(
    columns: Iterable[str], required: Iterable[str], known: Iterable[str], what: str
) -> None:
    """Every column known and every required one present (SchemaError naming the others)."""
    columns = list(columns)
    unknown = [c for c in columns if c not in set(known) | set(required)]
    missing = [c for c in required if c not in columns]
    if unknown or missing:
        parts = [f"unknown column(s) {unknown}" if unknown else "",
                 f"missing column(s) {missing}" if missing else ""]  # fmt: skip
        raise SchemaError(
            f"{what}: {'; '.join(p for p in parts if p)} (expected {sorted(set(required))})"
        )


def counts(values: pd.Series, column: str) -> tuple[pd.Series, int]:
    """Whole counts (``1.000000000000000`` accepted) and how many blanks became 0."""
    parsed = parse_counts(values, column)
    blanks = int(parsed.isna().sum())
    return parsed.fillna(0).astype("int64"), blanks


def check_not_negative(table: pd.DataFrame, key: str, columns: Iterable[str], what: str) -> None:
    """A ValidationError naming the ``key`` values (ZIPs, days, groups) with a negative count."""
    for column in columns:
        bad = table.loc[table[column] < 0, key].astype(str)
        if len(bad):
            raise ValidationError(
                f"{what}: negative {column} for {len(bad)} {key}(s): {', '.join(bad[:SHOWN])}"
            )


def check_unique(table: pd.DataFrame, key: list[str], what: str) -> None:
    """A ValidationError naming the ``key`` values that appear on more than one row."""
    twice = table[table.duplicated(key, keep=False)]
    if len(twice):
        shown = sorted({" ".join(map(str, row)) for row in twice[key].to_numpy()})[:SHOWN]
        raise ValidationError(f"{what}: {'/'.join(key)} repeated on several rows: {shown}")
