"""Normalization of real and deliberately broken raw tables."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pandas as pd
import pytest

from mdvax.errors import SchemaError, ValidationError
from mdvax.normalize import normalize
from mdvax.normalize.counties import JURISDICTIONS, canonical_county
from mdvax.normalize.schema import match_schema
from mdvax.sources.base import RawSnapshot
from tests.support.raw_figures import cumulative_by_label, raw_rows
from tests.support.source_server import csv_to_features, snapshot_path

FETCHED = datetime(2021, 4, 2, tzinfo=UTC)


def snapshot(body: bytes, kind: str = "csv") -> RawSnapshot:
    return RawSnapshot(body, "file", "test", kind, fetched_at=FETCHED)


def to_csv(rows: list[dict], header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def independent_sum(day: str, column: str, on: str, counties: set[str]) -> int:
    """Sum of the series' last cumulative values on or before ``on``, straight from the CSV."""
    values = cumulative_by_label(day, on, column)
    return sum(v for k, v in values.items() if k in counties)


def test_real_snapshot_figures():
    table = normalize(snapshot(snapshot_path("2021-03-30").read_bytes())).table
    day = table[table["date"] == "2021-03-30"].set_index("county")
    assert day.loc[list(JURISDICTIONS), "first_dose"].sum() == 1_637_517
    assert day.loc["Unassigned", "first_dose"] == 82_839
    assert set(table["county"]) == {*JURISDICTIONS, "Unassigned"}
    # Every county on the same continuous range, one row a day.
    assert len(table) == 25 * table["date"].nunique()
    assert table["date"].nunique() == (table["date"].max() - table["date"].min()).days + 1
    anne = table[(table["county"] == "Anne Arundel") & (table["date"] == "2021-03-23")].iloc[0]
    assert (anne["first_dose_daily"], anne["first_dose"]) == (3_444, 140_800)


@pytest.mark.parametrize("measure", ["second_dose", "single_dose"])
def test_cumulative_matches_source_for_every_county(measure):
    column = {"second_dose": "SecondDoseCumulative", "single_dose": "SingleDoseCumulative"}[measure]
    table = normalize(snapshot(snapshot_path("2021-04-01").read_bytes())).table
    day = table[table["date"] == "2021-03-15"].set_index("county")
    for county in ("Montgomery", "Kent", "Baltimore City"):
        assert day.loc[county, measure] == independent_sum(
            "2021-04-01", column, "2021-03-15", {county}
        )
    assert (day["at_least_one"] == day["first_dose"] + day["single_dose"]).all()
    assert (day["fully_vaccinated"] == day["second_dose"] + day["single_dose"]).all()


def test_json_api_gives_the_same_table_as_csv():
    body = snapshot_path("2021-03-23").read_bytes()
    fields, features = csv_to_features(body)
    import json

    document = json.dumps({"fields": fields, "features": features}).encode()
    from_csv = normalize(snapshot(body)).table
    from_json = normalize(snapshot(document, "json")).table
    pd.testing.assert_frame_equal(from_csv, from_json)


def test_predecessor_schema_lowercase_and_bom():
    rows = raw_rows("2021-03-23")
    renamed = [
        {
            "vaccination_date": r["VACCINATION_DATE"],
            "county": r["County"],
            "dailyfirstdose": r["FirstDoseDaily"],
            "cumulativefirstdose": r["FirstDoseCumulative"],
            "dailyseconddose": r["SecondDoseDaily"],
            "cumulativeseconddose": r["SecondDoseCumulative"],
        }
        for r in rows
    ]
    result = normalize(snapshot(b"\xef\xbb\xbf" + to_csv(renamed)))
    assert result.schema == "predecessor"
    assert (result.table["single_dose"] == 0).all()
    montgomery = result.table[(result.table["county"] == "Montgomery")]
    assert montgomery["first_dose"].iloc[-1] == independent_sum(
        "2021-03-23", "FirstDoseCumulative", "2021-03-23", {"Montgomery"}
    )


def test_bogus_dates_are_quarantined_not_dropped():
    rows = raw_rows("2021-03-23")
    rows[5] = {**rows[5], "VACCINATION_DATE": "1971/01/01 15:00:00+00"}
    rows[9] = {**rows[9], "VACCINATION_DATE": "2012/06/30 15:00:00+00"}
    rows.append({**rows[20], "VACCINATION_DATE": "2031/01/01 15:00:00+00"})
    result = normalize(snapshot(to_csv(rows)))
    assert len(result.quarantined) == 3
    assert sorted(result.quarantined["reason"].str.split(" ").str[1]) == [
        "after",
        "before",
        "before",
    ]
    assert result.table["date"].min() == pd.Timestamp("2020-12-14")
    assert result.table["date"].max() == pd.Timestamp("2021-03-23")


def test_later_schema_columns_are_accepted():
    header = ["OBJECTID", "VACCINATION_DATE", "County", "FirstDoseDaily", "FirstDoseCumulative",
              "SecondDoseDaily", "SecondDoseCumulative", "SingleDoseDaily", "SingleDoseCumulative",
              "AtLeastOneDose", "AtLeastOneDoseCumulative", "FullyVaccinated", "FullVaccinatedCumulative"]  # fmt: skip
    assert match_schema(header)[0] == "2021"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"FirstDoseCumulative": "FirstDoseCum"}, "FirstDoseCumulative"),
        ({"County": "Jurisdiction"}, "Jurisdiction"),
    ],
)
def test_renamed_columns_name_what_was_found_and_expected(change, message):
    rows = [{change.get(k, k): v for k, v in r.items()} for r in raw_rows("2021-03-23")]
    with pytest.raises(SchemaError) as error:
        normalize(snapshot(to_csv(rows)))
    assert message in str(error.value)
    assert "expected" in str(error.value)


def test_unknown_county_is_named():
    rows = raw_rows("2021-03-23")
    rows[3] = {**rows[3], "County": "<img src=x onerror=alert(1)>"}
    with pytest.raises(
        ValidationError, match=r"unknown county name '<img src=x onerror=alert\(1\)>'"
    ):
        normalize(snapshot(to_csv(rows)))


def test_decreasing_cumulative_starts_with_the_county():
    rows = raw_rows("2021-03-23")
    index = max(i for i, r in enumerate(rows) if r["County"].strip() == "Talbot")
    rows[index] = {**rows[index], "FirstDoseCumulative": "5"}
    with pytest.raises(
        ValidationError, match=r"^Talbot: cumulative first_dose decreases on 2021-03-23"
    ):
        normalize(snapshot(to_csv(rows)))


def test_negative_counts_and_duplicate_days_start_with_the_county():
    rows = raw_rows("2021-03-23")
    first = next(i for i, r in enumerate(rows) if r["County"].strip() == "Kent")
    rows[first] = {**rows[first], "SecondDoseCumulative": "-4"}
    with pytest.raises(ValidationError, match=r"^Kent: negative second_dose"):
        normalize(snapshot(to_csv(rows)))
    rows = raw_rows("2021-03-23")
    rows.append(next(r for r in rows if r["County"].strip() == "Cecil"))
    with pytest.raises(ValidationError, match=r"^Cecil: 2 rows share a day"):
        normalize(snapshot(to_csv(rows)))


def test_empty_cumulative_cells_carry_forward():
    rows = raw_rows("2021-03-23")
    kent = [i for i, r in enumerate(rows) if r["County"].strip() == "Kent"]
    before = normalize(snapshot(to_csv(rows))).table
    rows[kent[-2]] = {**rows[kent[-2]], "FirstDoseCumulative": "", "FirstDoseDaily": ""}
    after = normalize(snapshot(to_csv(rows))).table
    k_before = before[before["county"] == "Kent"].set_index("date")["first_dose"]
    k_after = after[after["county"] == "Kent"].set_index("date")["first_dose"]
    changed = k_after[k_after != k_before]
    assert len(changed) == 1
    previous_day = changed.index[0] - pd.Timedelta(days=1)
    assert changed.iloc[0] == k_before[previous_day]


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("Montgomery                  ", "Montgomery"),
        ("Saint Mary's", "St. Mary's"),
        ("st marys", "St. Mary's"),
        ("Baltimore County", "Baltimore"),
        ("baltimore city", "Baltimore City"),
        ("Prince Georges", "Prince George's"),
        ("QUEEN ANNE'S COUNTY", "Queen Anne's"),
        ("", "Unassigned"),
        ("Unknown   ", "Unassigned"),
        (None, "Unassigned"),
    ],
)
def test_county_spellings(spelling, expected):
    assert canonical_county(spelling) == expected


@pytest.mark.parametrize("name", ["Fairfax", "Baltimore Town", "Montgomery, PA"])
def test_unknown_spellings_are_errors(name):
    with pytest.raises(ValidationError, match="unknown county name"):
        canonical_county(name)
