"""The demographic files (age, race, ethnicity, gender) -> cumulative rows per day and group.

Expected figures come from the fixture files themselves, read with the ``csv`` module: for a
group on a day, the sum over the state's labels that mean that group of the running totals on
each label's last row up to that day.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from mdvax.datasets import COLUMNS
from mdvax.errors import (
    EmptySnapshotError,
    SchemaError,
    TruncatedSnapshotError,
    ValidationError,
)
from mdvax.normalize.demographics import FILES, GROUPS, OPEN_DATA, normalize_demographic
from tests.support.demographic_figures import (
    MEANING,
    TEN_YEAR,
    csv_rows,
    edit,
    expected_on,
    fetched,
    raw_bytes,
    table_on,
)

AGE_TEN, AGE_LINE = FILES["age"]
RACE_RAW, RACE_OLD = FILES["race"]
(ETHNICITY,) = FILES["ethnicity"]
(GENDER,) = FILES["gender"]

#: The fixtures: (day, dataset, file, layout, day checked in the middle of the file).
CASES = [
    ("2021-03-31", "age", AGE_LINE, "age-line-graph-cumulative", "2021-02-17"),
    ("2021-05-25", "age", AGE_LINE, "age-line-graph-cumulative", "2021-04-09"),
    ("2021-11-09", "age", AGE_LINE, "age-line-graph-cumulative", "2021-11-05"),
    ("2021-05-25", "age", AGE_TEN, "age-ten-year-cumulative", "2021-03-03"),
    ("2021-11-09", "age", AGE_TEN, "age-ten-year-cumulative", "2021-09-21"),
    ("2021-03-31", "race", RACE_RAW, "count-pivot", "2021-01-28"),
    ("2021-03-31", "race", RACE_OLD, "count-pivot", "2021-02-02"),
    ("2021-05-25", "race", RACE_RAW, "count-pivot", "2021-05-03"),
    ("2021-11-09", "race", RACE_RAW, "count-pivot", "2021-07-14"),
    ("2021-03-31", "ethnicity", ETHNICITY, "count-pivot", "2021-03-02"),
    ("2021-05-25", "ethnicity", ETHNICITY, "count-pivot", "2021-05-11"),
    ("2021-11-09", "ethnicity", ETHNICITY, "count-pivot", "2021-06-30"),
    ("2021-03-31", "gender", GENDER, "count-pivot", "2021-01-12"),
    ("2021-05-25", "gender", GENDER, "count-pivot", "2021-05-06"),
    ("2021-11-09", "gender", GENDER, "count-pivot", "2021-10-19"),
    ("2021-11-09", "gender", OPEN_DATA["gender"][0], "count-pivot", "2021-08-27"),
]


@pytest.mark.parametrize(("day", "dataset", "name", "layout", "middle"), CASES)
def test_every_fixture_matches_its_own_file(day, dataset, name, layout, middle):
    body = raw_bytes(day, name)
    result = normalize_demographic(dataset, body, fetched(day))
    rows = csv_rows(body)
    table = result.table
    assert result.dataset == dataset
    assert result.schema == layout
    assert tuple(table.columns) == COLUMNS[dataset]
    assert str(table["date"].dtype) == "datetime64[us]"
    assert set(table["group"]) <= set(GROUPS[dataset])
    last = max(row["day"] for row in rows)
    for when in (date.fromisoformat(middle), last):
        assert table_on(table, when) == expected_on(rows, when), when
    on_last = table[table["date"] == pd.Timestamp(last)]
    assert (on_last["at_least_one"] == on_last["first_dose"] + on_last["single_dose"]).all()
    assert (on_last["fully_vaccinated"] == on_last["second_dose"] + on_last["single_dose"]).all()
    # one row per day and group, every day from the first valid day to the last
    days = table["date"].nunique()
    assert len(table) == days * table["group"].nunique()
    assert days == (table["date"].max() - table["date"].min()).days + 1
    early = [row for row in rows if row["day"] < date(2020, 12, 1)]
    assert len(result.quarantined) == len(early)
    assert (result.quarantined["reason"] == "dated before 2020-12-01").all()


@pytest.mark.parametrize(
    ("day", "name", "bands"),
    [
        ("2021-03-31", AGE_LINE, {"16-17", "18-49", "50-64", "65+", "Unknown"}),
        ("2021-05-25", AGE_LINE, {"12-17", "18-49", "50-64", "65+", "Unknown"}),
        ("2021-11-09", AGE_LINE, {"0-11", "12-17", "18-49", "50-64", "65+", "Unknown"}),
        ("2021-05-25", AGE_TEN, {*TEN_YEAR[1:], "Federal entities", "Unknown"}),
        ("2021-11-09", AGE_TEN, {*TEN_YEAR, "Federal entities", "Unknown"}),
    ],
)
def test_age_bands_over_the_schema_changes(day, name, bands):
    body = raw_bytes(day, name)
    valid = {row["label"] for row in csv_rows(body) if row["day"] >= date(2020, 12, 1)}
    assert {MEANING[label] for label in valid} == bands
    assert set(normalize_demographic("age", body, fetched(day)).table["group"]) == bands


def test_two_spellings_of_unknown_are_one_group():
    body = raw_bytes("2021-05-25", ETHNICITY)
    labels = {row["label"] for row in csv_rows(body)}
    assert {"UNKNOWN", "Unknown"} <= labels
    result = normalize_demographic("ethnicity", body, fetched("2021-05-25"))
    assert set(result.table["group"]) == {
        "Hispanic or Latino", "Not Hispanic or Latino", "Federal entities", "Unknown"
    }  # fmt: skip


def test_padded_labels_and_decimal_counts_read_as_the_plain_file():
    body = raw_bytes("2021-05-25", GENDER)

    def pad(number, row):
        row[1] = row[1].ljust(50).upper()
        row[2:] = [f"{float(value):.15f}" if value else value for value in row[2:]]

    plain = normalize_demographic("gender", body, fetched("2021-05-25")).table
    padded = normalize_demographic("gender", edit(body, pad), fetched("2021-05-25"))
    pd.testing.assert_frame_equal(padded.table, plain)


def test_rows_after_the_fetch_are_set_aside():
    body = raw_bytes("2021-11-09", GENDER)
    result = normalize_demographic("gender", body, fetched("2021-10-20"))
    later = [row for row in csv_rows(body) if row["day"] > date(2021, 10, 20)]
    assert len(later) > 0
    assert (result.quarantined["reason"] == "dated after the fetch (2021-10-20)").sum() == len(
        later
    )
    assert result.table["date"].max() == pd.Timestamp("2021-10-20")


def test_unknown_column_is_named():
    body = raw_bytes("2021-05-25", GENDER).decode()
    header, rest = body.split("\n", 1)
    bad = header.replace("SingleDoseDaily", "BoosterDaily") + "\n" + rest
    with pytest.raises(SchemaError, match=r"unknown columns \['BoosterDaily'\].*SingleDoseDaily"):
        normalize_demographic("gender", bad.encode(), fetched("2021-05-25"))


def test_decreasing_running_total_is_reported_by_group():
    body = raw_bytes("2021-05-25", RACE_RAW)
    rows = csv_rows(body)
    asian = [i for i, row in enumerate(rows) if row["label"] == "ASIAN" and row["day"].month == 4]
    target = asian[3]

    def lower(number, row):
        if number == target:
            row[3] = str(int(row[3]) - 5000)  # FirstDoseCumulative

    with pytest.raises(
        ValidationError, match=r"^Asian: cumulative first_dose decreases on 2021-04"
    ):
        normalize_demographic("race", edit(body, lower), fetched("2021-05-25"))


def test_negative_running_total_is_reported_by_group():
    body = raw_bytes("2021-03-31", GENDER)
    rows = csv_rows(body)
    target = next(i for i, row in enumerate(rows) if row["label"] == "Male" and row["totals"][1])

    def negate(number, row):
        if number == target:
            row[5] = "-" + row[5]  # SecondDoseCumulative

    with pytest.raises(ValidationError, match=r"^Male: negative second_dose"):
        normalize_demographic("gender", edit(body, negate), fetched("2021-03-31"))


def test_unknown_group_label_is_named():
    def rename(number, row):
        if number == 7:
            row[1] = "Nonbinary"

    body = edit(raw_bytes("2021-03-31", GENDER), rename)
    with pytest.raises(ValidationError, match=r"gender: unknown group 'Nonbinary'"):
        normalize_demographic("gender", body, fetched("2021-03-31"))


def test_two_rows_for_a_group_on_one_day_are_refused():
    body = raw_bytes("2021-03-31", ETHNICITY).decode()
    lines = body.splitlines()
    doubled = "\n".join([*lines, lines[-1]]) + "\n"
    with pytest.raises(ValidationError, match="more than one row"):
        normalize_demographic("ethnicity", doubled.encode(), fetched("2021-03-31"))


@pytest.mark.parametrize("body", [b"", b"\n", None])
def test_empty_file_records_nothing(body):
    if body is None:  # the header alone
        body = raw_bytes("2021-03-31", GENDER).splitlines()[0] + b"\n"
    with pytest.raises(EmptySnapshotError):
        normalize_demographic("gender", body, fetched("2021-03-31"))


def test_unreadable_date_is_named():
    def garble(number, row):
        if number == 4:
            row[0] = "sometime in May"

    body = edit(raw_bytes("2021-03-31", GENDER), garble)
    with pytest.raises(ValidationError, match=r"unreadable dates.*sometime in May"):
        normalize_demographic("gender", body, fetched("2021-03-31"))


def test_extra_column_is_named():
    def extend(number, row):
        row.append("7")

    body = raw_bytes("2021-05-25", ETHNICITY)
    header, rest = edit(body, extend).split(b"\n", 1)
    bad = header + b",BoosterCumulative\n" + rest
    with pytest.raises(
        SchemaError, match=r"unknown columns \['BoosterCumulative'\], missing columns \[\]"
    ):
        normalize_demographic("ethnicity", bad, fetched("2021-05-25"))


def test_cut_last_line_is_refused():
    body = raw_bytes("2021-11-09", RACE_RAW)
    cut = body.rstrip(b"\n").rsplit(b",", 3)[0] + b"\n"
    with pytest.raises(TruncatedSnapshotError, match="last line"):
        normalize_demographic("race", cut, fetched("2021-11-09"))


def test_notes_name_merged_labels_and_rows_set_aside():
    day = "2021-05-25"
    notes = normalize_demographic("ethnicity", raw_bytes(day, ETHNICITY), fetched(day)).notes
    assert "Unknown: the state's labels ['UNKNOWN', 'Unknown'] added up" in notes
    body = raw_bytes(day, AGE_TEN)
    early = [row for row in csv_rows(body) if row["day"] < date(2020, 12, 1)]
    notes = normalize_demographic("age", body, fetched(day)).notes
    assert f"{len(early):,} rows set aside (see quarantined)" in notes


def test_not_a_demographic_dataset():
    with pytest.raises(ValueError, match="not a demographic dataset: 'zip'"):
        normalize_demographic("zip", raw_bytes("2021-03-31", GENDER), fetched("2021-03-31"))
