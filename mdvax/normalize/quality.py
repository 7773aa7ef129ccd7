"""Data-quality checks that do not reject a file: they become notes kept with its vintage."""

from __future__ import annotations

import io

import pandas as pd

#: (daily column, cumulative column) pairs of the state's files.
_PAIRS = (
    ("FirstDoseDaily", "FirstDoseCumulative"),
    ("SecondDoseDaily", "SecondDoseCumulative"),
    ("SingleDoseDaily", "SingleDoseCumulative"),
)


def layout(header: list[str]) -> str:
    """Name the layout of one of the state's files from its header.

    ``county-13`` (the ArcGIS-style county file, with ``OBJECTID``), ``pivot-8`` (the pivot
    file until 2021-05-04) or ``pivot-12`` (from 2021-05-05, with at-least-one and fully
    vaccinated columns); otherwise ``<n> columns``.
    """
    names = [h.strip().lstrip("\ufeff") for h in header]
    if names and names[0].upper() == "OBJECTID":
        return f"county-{len(names)}"
    if len(names) in (8, 12):
        return f"pivot-{len(names)}"
    return f"{len(names)} columns"


def daily_cumulative_notes(body: bytes) -> list[str]:
    """Where a file's daily counts disagree with the steps of its cumulative counts.

    A blank daily cell counts as 0. The state's files do disagree at times; the archive keeps
    the cumulative counts (what the canonical table is built from) and records each
    disagreement here rather than silently picking one.
    """
    frame = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False)
    frame.columns = [c.strip().lstrip("\ufeff") for c in frame.columns]
    date_column = next((c for c in frame.columns if c.upper() == "VACCINATION_DATE"), None)
    if date_column is None or "County" not in frame.columns:
        return []
    frame["_day"] = pd.to_datetime(frame[date_column].str.strip(), format="mixed", errors="coerce")
    frame["_series"] = frame["County"].str.strip()
    frame = frame.sort_values(["_series", "_day"], kind="stable")
    notes = []
    for daily, cumulative in _PAIRS:
        if daily not in frame.columns or cumulative not in frame.columns:
            continue
        day_counts = pd.to_numeric(frame[daily].str.strip().replace("", "0"), errors="coerce")
        totals = pd.to_numeric(frame[cumulative].str.strip().replace("", "0"), errors="coerce")
        steps = totals.groupby(frame["_series"]).diff().fillna(totals)
        bad = (day_counts - steps).abs() > 0
        if bad.any():
            first = frame[bad].iloc[0]
            notes.append(
                f"{daily} disagrees with the steps of {cumulative} on {int(bad.sum()):,} rows "
                f"(e.g. {first['_series'] or 'blank county'} {first['_day']:%Y-%m-%d}: daily "
                f"{day_counts[bad].iloc[0]:g}, cumulative step {steps[bad].iloc[0]:g}); "
                "the cumulative counts are used"
            )
    return notes
