"""Raw snapshot bytes -> a raw DataFrame with our column names (still one row per source row)."""

from __future__ import annotations

import io
import json

import pandas as pd

from mdvax.errors import SchemaError, ValidationError
from mdvax.normalize.complete import check_rows_complete
from mdvax.normalize.schema import DOSES, match_schema
from mdvax.sources.base import RawSnapshot


def read_raw(snapshot: RawSnapshot) -> pd.DataFrame:
    """Parse a snapshot into ``date`` (UTC timestamps), ``county`` (raw text) and dose columns.

    Dose columns missing from the schema (single doses before they existed) are 0.
    """
    frame = _read_json(snapshot.body) if snapshot.kind == "json" else _read_csv(snapshot.body)
    schema, rename = match_schema(frame.columns)
    frame = frame[list(rename)].rename(columns=rename)
    frame["date"] = parse_dates(frame["date"], epoch_ms=snapshot.kind == "json")
    frame["county"] = frame["county"].fillna("").astype(str)
    for dose in DOSES:
        frame[dose] = parse_counts(frame[dose], dose) if dose in frame else 0
    frame.attrs["schema"] = schema
    return frame[["date", "county", *DOSES]]


def _read_csv(body: bytes) -> pd.DataFrame:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SchemaError(f"the CSV is not UTF-8 text ({error})") from error
    check_rows_complete(text)
    try:
        return pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise SchemaError(f"the CSV cannot be parsed: {error}") from error


def _read_json(body: bytes) -> pd.DataFrame:
    try:
        document = json.loads(body)
        rows = [feature["attributes"] for feature in document["features"]]
        names = [field["name"] for field in document.get("fields") or []]
    except (ValueError, KeyError, TypeError) as error:
        raise SchemaError(f"the JSON is not an ArcGIS feature set: {error}") from error
    return pd.DataFrame.from_records(rows, columns=names or None)


def parse_dates(values: pd.Series, epoch_ms: bool) -> pd.Series:
    """Parse ``2021/03/23 15:00:00+00`` text (CSV) or epoch milliseconds (JSON) to UTC timestamps."""
    if epoch_ms:
        numbers = pd.to_numeric(values, errors="coerce")
        parsed = pd.to_datetime(numbers, unit="ms", utc=True, errors="coerce")
    else:
        text = values.astype(str).str.strip()
        parsed = pd.to_datetime(text, format="%Y/%m/%d %H:%M:%S%z", utc=True, errors="coerce")
        retry = parsed.isna() & text.ne("")
        if retry.any():  # ISO dates, or other layouts some exports used
            parsed[retry] = pd.to_datetime(text[retry], utc=True, errors="coerce", format="mixed")
    bad = parsed.isna()
    if bad.any():
        examples = values[bad].astype(str).head(3).tolist()
        raise ValidationError(f"{int(bad.sum())} rows have unreadable dates, e.g. {examples}")
    return parsed


def parse_counts(values: pd.Series, column: str) -> pd.Series:
    """Parse dose counts: empty cells become missing (carried forward later), the rest integers."""
    text = values.astype("string").str.strip().replace("", pd.NA)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & text.notna()
    if bad.any():
        raise ValidationError(f"{column}: non-numeric values {text[bad].head(3).tolist()}")
    fractional = numbers.notna() & (numbers % 1 != 0)
    if fractional.any():
        raise ValidationError(
            f"{column}: fractional dose counts {numbers[fractional].head(3).tolist()}"
        )
    return numbers.astype("Int64")
