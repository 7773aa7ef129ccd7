"""The report's sections of the datasets beyond the county table, from frames built here.

The frames are in the contract's columns (:data:`mdvax.datasets.COLUMNS`); every expected figure
is computed below from plain Python rows (dicts and loops), not with the code under test.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
import pytest

from mdvax.datasets import COLUMNS, DOSE_COLUMNS, UNASSIGNED_ZIP
from mdvax.report import dataset_sections as ds

DAY = date(2021, 10, 20)  # the report's day
HOSTILE = '<script>alert("x")</script>'


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


def n(value: int) -> str:
    return f"{value:,}"


def frame(dataset: str, rows: list[dict]) -> pd.DataFrame:
    """A table of ``dataset`` from rows (count columns the rows lack: 0)."""
    out = pd.DataFrame(rows)
    for column in COLUMNS[dataset]:
        if column not in out:
            out[column] = 0
    if "date" in out:
        out["date"] = pd.to_datetime(out["date"]).astype("datetime64[us]")
    return out[list(COLUMNS[dataset])]


def third_dose_rows(start: date, days: int, scale: int) -> list[dict]:
    rows, total = [], 0
    for k in range(days):
        daily = scale * (k + 1) + k % 3
        total += daily
        day = start + timedelta(days=k)
        rows.append({"date": day, "third_dose": total, "third_dose_daily": daily,
                     "third_dose_7day": total // (k + 1)})  # fmt: skip
    return rows


def test_third_doses_latest_week_and_largest_revisions():
    now_rows = third_dose_rows(date(2021, 9, 15), 30, 40)  # to 2021-10-14
    before_rows = [dict(r) for r in now_rows[:22]]
    before_rows[5]["third_dose"] -= 120  # revised up by 120 since
    before_rows[17]["third_dose"] += 45  # revised down by 45
    before_rows[9]["third_dose"] += 300  # the largest
    vintages = ds.DatasetVintages(
        "third_dose", DAY, frame("third_dose", now_rows), frame("third_dose", before_rows)
    )
    html = ds.section(vintages, "first_dose")  # the report's measure does not apply here
    text = text_of(html)
    last, week = now_rows[-1], now_rows[-8]
    assert f"Third doses to {last['date']} (cumulative) {n(last['third_dose'])}" in text
    assert f"third doses given on {last['date']} {n(last['third_dose_daily'])}" in text
    assert f"7-day average {n(last['third_dose_7day'])}" in text
    assert f"change over 7 days +{n(last['third_dose'] - week['third_dose'])}" in text
    assert "Revisions since the data in force on 2021-10-13: 3 figures of third doses (net" in text
    order = [(now_rows[9], -300), (now_rows[5], 120), (now_rows[17], -45)]
    listed = " ".join(
        f"{r['date']} {n(r['third_dose'] - c)} {n(r['third_dose'])} {c:+,}" for r, c in order
    )
    assert listed in text
    assert f"(net {sum(c for _, c in order):+,})" in text
    assert 'id="mdvax-third-dose"' in html
    assert 'id="mdvax-third-dose-revisions"' in html


def demographic_rows() -> list[dict]:
    """Three groups over 12 days; ``Unknown`` has no row on the newest day's week-before day."""
    rows = []
    for k in range(12):
        day = date(2021, 10, 1) + timedelta(days=k)
        for g, (group, base) in enumerate((("18-24", 500), ("65+", 900), ("Unknown", 40))):
            if group == "Unknown" and k in (3, 4):
                continue
            row = {"date": day, "group": group}
            for i, column in enumerate(DOSE_COLUMNS):
                row[column] = base * (k + 1) + 13 * i + g
            rows.append(row)
    return rows


def test_demographic_groups_with_shares_week_change_and_revisions():
    rows = demographic_rows()
    before = [dict(r) for r in rows if r["date"] <= date(2021, 10, 9)]
    before[4]["fully_vaccinated"] += 77  # 2021-10-02, 65+
    before[10]["fully_vaccinated"] -= 5  # 2021-10-04, 65+
    before[11]["at_least_one"] += 1_000  # another measure: not this report's
    vintages = ds.DatasetVintages("age", DAY, frame("age", rows), frame("age", before))
    text = text_of(ds.section(vintages, "fully_vaccinated"))
    newest = max(r["date"] for r in rows)
    week = newest - timedelta(days=7)  # 2021-10-05: Unknown's newest row then is 10-03
    latest = {r["group"]: r["fully_vaccinated"] for r in rows if r["date"] == newest}
    earlier = {}
    for r in sorted(rows, key=lambda r: r["date"]):
        if r["date"] <= week:
            earlier[r["group"]] = r["fully_vaccinated"]
    total = sum(latest.values())
    assert f"fully vaccinated by age on {newest}" in text
    for group in ("65+", "18-24", "Unknown"):  # largest first
        value = latest[group]
        line = f"{group} {n(value)} {100 * value / total:.1f}% +{n(value - earlier[group])}"
        assert line in text
    assert text.index("65+ ") < text.index("18-24 ") < text.index("Unknown ")
    total_change = total - sum(earlier.values())
    assert f"Total {n(total)} 100.0% +{n(total_change)}" in text
    assert "2 figures of fully vaccinated (net -72); the largest:" in text
    assert (
        f"2021-10-02 65+ {n(rows[4]['fully_vaccinated'] + 77)} {n(rows[4]['fully_vaccinated'])} -77"
        in text
    )


def zip_table(counts: dict[str, int]) -> pd.DataFrame:
    return frame(
        "zip", [{"zip": z, "at_least_one": c, "first_dose": c - 3} for z, c in counts.items()]
    )


def test_zip_totals_gains_and_counts_that_fell():
    before = {"20601": 1_000, "20850": 30_000, "21201": 12_000, "21613": 8, UNASSIGNED_ZIP: 150_000}
    now = {"20601": 1_250, "20850": 31_900, "21201": 11_990, "21613": 8, "21930": 40,
           UNASSIGNED_ZIP: 151_000}  # fmt: skip
    vintages = ds.DatasetVintages("zip", DAY, zip_table(now), zip_table(before))
    html = ds.section(vintages, "first_dose")
    text = text_of(html)
    first_now = {z: c - 3 for z, c in now.items()}
    first_before = {z: c - 3 for z, c in before.items()}
    assert "Maryland ZIP codes with figures 5" in text
    assert f"First doses, every ZIP code {n(sum(first_now.values()))}" in text
    assert f"of which with no ZIP code {n(first_now[UNASSIGNED_ZIP])}" in text
    week = sum(first_now.values()) - sum(first_before.values())
    assert f"change since the data in force on 2021-10-13 +{n(week)}" in text
    gains = sorted(
        ((first_now[z] - first_before.get(z, 0), z) for z in first_now), key=lambda t: (-t[0], t[1])
    )
    gains = [(c, z) for c, z in gains if c > 0]
    assert f"The {len(gains)} ZIP codes that gained most" in text
    listed = " ".join(
        f"{'no ZIP code' if z == UNASSIGNED_ZIP else z} {n(first_now[z] - c)} {n(first_now[z])} "
        f"+{n(c)}"
        for c, z in gains
    )
    assert listed in text
    assert "1 ZIP codes whose count fell (net -10); the largest:" in text
    assert "21201 11,997 11,987 -10" in text
    assert 'id="mdvax-zip-gains"' in html


def test_a_dataset_without_vintages_says_so_in_one_line_and_data_is_escaped():
    html = ds.section(
        ds.DatasetVintages("race", DAY, None, note="no vintage in force"), "at_least_one"
    )
    assert text_of(html).strip() == "By race By race: no vintage in force."
    rows = [{"date": date(2021, 10, 1), "group": HOSTILE, "at_least_one": 5}]
    alone = ds.DatasetVintages("gender", DAY, frame("gender", rows))
    html = ds.section(alone, "at_least_one")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "Revisions: no earlier vintage to compare with." in text_of(html)
    same = ds.DatasetVintages("gender", DAY, frame("gender", rows), frame("gender", rows))
    assert "Revisions: none; the data in force on 2021-10-13 is the same." in text_of(
        ds.section(same, "at_least_one")
    )


def test_a_measure_the_dataset_lacks_is_refused():
    rows = [{"date": date(2021, 10, 1), "group": "Male", "at_least_one": 5}]
    with pytest.raises(ValueError, match="gender has no column 'total'"):
        ds.section(ds.DatasetVintages("gender", DAY, frame("gender", rows)), "total")
