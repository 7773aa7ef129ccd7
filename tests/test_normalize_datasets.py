"""The ZIP and third-dose files -> the ``zip`` and ``third_dose`` tables.

Expected figures come from each fixture file itself, read with the ``csv`` module (never with
mdvax code): a ZIP's doses from its own row, blanks as 0; a day's third doses from its own row.
"""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, datetime

import pytest

from mdvax.datasets import COLUMNS
from mdvax.errors import EmptySnapshotError, SchemaError, ValidationError
from mdvax.normalize.third_dose import OPEN_DATA_FILE, RAW_FILE, normalize_third_dose
from mdvax.normalize.zips import FILE as ZIP_FILE
from mdvax.normalize.zips import normalize_zip
from tests.support.data_files import DATA_DIR

FOLDER = DATA_DIR / "datasets"
FETCHED = datetime(2022, 3, 8, tzinfo=UTC)
ZIP_DAYS = ["2021-03-31", "2021-11-09", "2022-03-07"]
THIRD_DAYS = [("2021-10-22", OPEN_DATA_FILE), ("2022-01-31", RAW_FILE),
              ("2022-03-07", OPEN_DATA_FILE), ("2022-02-24", RAW_FILE)]  # fmt: skip


def body(day: str, name: str) -> bytes:
    return gzip.decompress((FOLDER / day / f"{name}.gz").read_bytes())


def rows(day: str, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(day, name).decode("utf-8-sig"))))


def whole(text: str) -> int:
    return int(float(text)) if text.strip() else 0


@pytest.mark.parametrize("day", ZIP_DAYS)
def test_zip_figures_come_from_each_row(day):
    raw = rows(day, ZIP_FILE)
    maryland = {r["ZIP_CODE"]: r for r in raw if int(r["ZIP_CODE"]) == 0
                or 20600 <= int(r["ZIP_CODE"]) <= 21999}  # fmt: skip
    out = normalize_zip(body(day, ZIP_FILE), FETCHED)
    table = out.table.set_index("zip")
    assert list(out.table.columns) == list(COLUMNS["zip"])
    assert len(table) == len(maryland)
    assert table.index.is_unique
    # A ZIP with a blank component (the state's totals blank), one with all three, and ZIP 0.
    blank = next(z for z, r in maryland.items() if r["SingleDose"] == "" and r["SecondDose"])
    full = sorted(z for z, r in maryland.items() if r["AtleastOneDose"] and z != "0")[7]
    for code in (blank, full, "0"):
        r = maryland[code]
        got = table.loc["unassigned" if code == "0" else code.zfill(5)]
        assert got["first_dose"] == whole(r["FirstDose"])
        assert got["at_least_one"] == whole(r["FirstDose"]) + whole(r["SingleDose"])
        assert got["fully_vaccinated"] == whole(r["SecondDose"]) + whole(r["SingleDose"])
        if r["AtleastOneDose"]:  # the state's own figure, where given, agrees
            assert got["at_least_one"] == whole(r["AtleastOneDose"])
            assert got["fully_vaccinated"] == whole(r["FullyVaccinated"])
    n_blank = sum(1 for r in maryland.values() if r["AtleastOneDose"] == "")
    assert any(f"AtleastOneDose was blank for {n_blank:,} ZIPs" in n for n in out.notes)
    assert not any("differs" in n for n in out.notes)
    assert any(f"{len(raw) - len(maryland):,} rows of ZIPs outside" in n for n in out.notes)


def test_zip_errors_name_the_problem():
    header = "ZIP_CODE,FirstDose,SecondDose,SingleDose,AtleastOneDose,FullyVaccinated\n"
    with pytest.raises(EmptySnapshotError):
        normalize_zip(header.encode(), FETCHED)
    with pytest.raises(SchemaError, match="ThirdDose"):
        normalize_zip(b"ZIP_CODE,FirstDose,SecondDose,SingleDose,AtleastOneDose,"
                      b"FullyVaccinated,ThirdDose\n20850,1,1,,,,\n", FETCHED)  # fmt: skip
    with pytest.raises(ValidationError, match="20850"):
        normalize_zip((header + "20850,-3,1,,,\n20851,4,1,,,\n").encode(), FETCHED)
    with pytest.raises(ValidationError, match="20851"):
        normalize_zip((header + "20851,3,1,,,\n20851.0,4,1,,,\n").encode(), FETCHED)
    out = normalize_zip((header + "2085x,3,1,,,\n20852,4,,2,,\n").encode(), FETCHED)
    assert out.table.to_dict("records") == [{"zip": "20852", "first_dose": 4, "second_dose": 0,
        "single_dose": 2, "at_least_one": 6, "fully_vaccinated": 2}]  # fmt: skip
    assert out.quarantined["ZIP_CODE"].tolist() == ["2085x"]


@pytest.mark.parametrize(("day", "name"), THIRD_DAYS)
def test_third_dose_figures_come_from_each_row(day, name):
    raw = [r for r in rows(day, name) if r["ReportDate"]]
    out = normalize_third_dose(body(day, name), FETCHED)
    assert list(out.table.columns) == list(COLUMNS["third_dose"])
    table = out.table.set_index(out.table["date"].dt.strftime("%Y-%m-%d"))
    assert len(table) == len(raw)
    given = sorted((r for r in raw if whole(r["ThrDose_AdminCum"])),
                   key=lambda r: whole(r["ThrDose_AdminCum"]))  # fmt: skip
    middle = given[len(given) // 2]  # a day with third doses, not the first nor the last
    when = datetime.strptime(middle["ReportDate"].split()[0],
                             "%m/%d/%Y" if "/" in middle["ReportDate"] else "%Y-%m-%d")  # fmt: skip
    got = table.loc[f"{when:%Y-%m-%d}"]
    assert got["third_dose"] == whole(middle["ThrDose_AdminCum"]) > 0
    assert got["third_dose_daily"] == whole(middle["ThrDose_AdminDaily"])
    assert got["third_dose_7day"] == whole(middle["ThrDose_AdminSevenDayAvg"])
    assert out.schema == ("open-data" if name == OPEN_DATA_FILE else "raw")


@pytest.mark.parametrize("day", ["2022-02-01", "2022-02-24"])
def test_empty_third_dose_files_are_refused(day):
    with pytest.raises(EmptySnapshotError, match="no data rows"):
        normalize_third_dose(body(day, OPEN_DATA_FILE), FETCHED)


def test_third_dose_dates_and_errors():
    head = "ReportDate,ThrDose_AdminDaily,ThrDose_AdminCum,ThrDose_AdminSevenDayAvg\n"
    epoch = normalize_third_dose((head + "1631718000000,5,5,1\n1631804400000,2,7,1\n"
                                  "1600000000000,1,1,1\n").encode(), FETCHED)  # fmt: skip
    assert epoch.table["date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-09-15", "2021-09-16"]
    assert epoch.quarantined["reason"].tolist() == ["dated before 2020-12-01"]
    later = normalize_third_dose((head + "2022-03-20 15:00:00,3,9,1\n2021-09-15,1,1,\n").encode(),
                                 FETCHED)  # fmt: skip
    assert later.quarantined["reason"].str.startswith("dated after").tolist() == [True]
    assert any("ThrDose_AdminSevenDayAvg: 1 blank" in n for n in later.notes)
    with pytest.raises(SchemaError, match="FourthDose_AdminCum"):
        normalize_third_dose(b"ReportDate,ThrDose_AdminDaily,ThrDose_AdminCum,"
                             b"ThrDose_AdminSevenDayAvg,FourthDose_AdminCum\n2021-09-15,1,1,1,0\n", FETCHED)  # fmt: skip
    with pytest.raises(ValidationError, match="2021-09-17"):
        normalize_third_dose((head + "9/16/2021 15:00:00,5,50,1\n9/17/2021 15:00:00,1,40,1\n")
                             .encode(), FETCHED)  # fmt: skip
    with pytest.raises(ValidationError, match="unreadable dates"):
        normalize_third_dose((head + "someday,5,50,1\n").encode(), FETCHED)
