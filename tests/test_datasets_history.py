"""``mdvax history import`` of every dataset from a real git repository built from the fixtures.

One commit per fixture day (``tests/support/dataset_repo.py``). Expected figures come from each
day's own file, read with the ``csv`` module; the archive runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from mdvax.api import load_table
from mdvax.archive import Archive
from mdvax.cli import main
from mdvax.errors import EmptySnapshotError, NoVintageYetError, UnknownMeasureError
from mdvax.normalize.third_dose import OPEN_DATA_FILE, RAW_FILE
from mdvax.normalize.zips import FILE as ZIP_FILE
from tests.support.archive_fixtures import archive_env  # noqa: F401  (fixture)
from tests.support.dataset_repo import build_dataset_repo, files
from tests.support.demographic_figures import csv_rows, expected_on, table_on

ZIP_DAYS = ["2021-03-31", "2021-11-09", "2022-03-07"]
#: Third-dose days with data, and the file that was read (the open-data copy when it changed).
THIRD = {"2021-10-22": OPEN_DATA_FILE, "2022-01-31": OPEN_DATA_FILE,
         "2022-02-23": OPEN_DATA_FILE, "2022-03-07": OPEN_DATA_FILE}  # fmt: skip
AGE_TEN = "Vax_Age_FirstSecondSingle_Totals_Cumulative_Raw.csv"
AGE_LINE = "Vax_Age_LineGraph_FirstSecondSingle_PercentVax_Cumulative_Raw.csv"
RACE = "Vax_OpenData_Race_CRISP_Insights_FirstSecondSingle_Count_Pivot_Cumulative_Raw.csv"
ETHNICITY = "Vax_Ethnicity_CRISP_Insights_FirstSecondSingle_Count_Pivot_Cumulative_Raw.csv"
GENDER = "Vax_Gender_FirstSecondSingle_Count_Pivot_Cumulative_Raw.csv"
#: The file each demographic vintage is read from: ten-year age bands once they exist.
DEMOGRAPHIC = {
    **{("age", d): AGE_TEN for d in ("2021-05-25", "2021-11-09")},
    ("age", "2021-03-31"): AGE_LINE,
    **{(n, d): f for n, f in (("race", RACE), ("ethnicity", ETHNICITY), ("gender", GENDER))
       for d in ("2021-03-31", "2021-05-25", "2021-11-09")},
}  # fmt: skip
#: Days whose open-data copy is header-only: nothing recorded, the day before stays in force.
EMPTY = {"2022-02-01": "2022-01-31", "2022-02-24": "2022-02-23"}


def rows(day: str, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files(day)[name].decode("utf-8-sig"))))


def whole(text: str) -> int:
    return int(float(text)) if text.strip() else 0


def zip_figure(day: str, code: str) -> int:
    """At least one dose in ``code`` on ``day``: first + single doses of its row (blank = 0)."""
    (row,) = [r for r in rows(day, ZIP_FILE) if r["ZIP_CODE"] == code]
    return whole(row["FirstDose"]) + whole(row["SingleDose"])


def third_figure(day: str, when: str) -> int:
    """Cumulative third doses on data day ``when`` (M/D/YYYY) in ``day``'s file."""
    (row,) = [r for r in rows(day, THIRD[day]) if r["ReportDate"].split()[0] == when]
    return whole(row["ThrDose_AdminCum"])


@pytest.fixture
def imported(archive_env, tmp_path, capsys):  # noqa: F811
    repo = build_dataset_repo(tmp_path / "VaccineCSVs")
    assert main(["history", "import", "--repo", str(repo), "--quiet"]) == 0
    return repo, capsys.readouterr().out


def test_every_dataset_vintage_from_its_own_file(imported, capsys):
    repo, first = imported
    assert "third_dose: 4 vintage(s) added" in first
    assert "2 empty file(s) not recorded (2022-02-01, 2022-02-24)" in first
    with Archive.open() as archive:
        for day in ZIP_DAYS:  # a ZIP with blank single doses early on, and the unassigned doses
            table = archive.table_as_of(day, "zip").set_index("zip")
            assert table.loc["20850", "at_least_one"] == zip_figure(day, "20850")
            assert table.loc["unassigned", "at_least_one"] == zip_figure(day, "0")
        for day in THIRD:
            table = archive.table_as_of(day, "third_dose").set_index("date")
            assert table.loc[pd.Timestamp("2021-10-01"), "third_dose"] == third_figure(
                day, "10/1/2021"
            )
        for empty, before in EMPTY.items():  # the previous vintage stays in force
            row = archive.vintage_as_of(empty, "third_dose")
            assert f"{row['published']:%Y-%m-%d}" == before
        published = archive.dataset_vintages("third_dose")["published"].dt.strftime("%Y-%m-%d")
        assert published.tolist() == list(THIRD)
        for (name, day), file in DEMOGRAPHIC.items():  # each day's file, the figures of a day
            table = archive.table_as_of(day, name)
            raw = csv_rows(files(day)[file])
            middle = sorted({r["day"] for r in raw if r["day"].year >= 2021})[-10]
            assert table_on(table, middle) == expected_on(raw, middle), (name, day)
        for name in ("age", "race", "ethnicity", "gender"):
            days = archive.dataset_vintages(name)["published"].dt.strftime("%Y-%m-%d").tolist()
            assert days == ["2021-03-31", "2021-05-25", "2021-11-09"]
        with pytest.raises(NoVintageYetError, match="2021-03-31"):
            archive.table_as_of("2021-03-30", "zip")
        with pytest.raises(EmptySnapshotError):
            archive.record_dataset(
                _empty_zip(), published="2022-03-08", fetched_at=pd.Timestamp("2022-03-08", tz="UTC"),
                sha256="0" * 64, source="test",
            )  # fmt: skip
    # Rerun: nothing added, each dataset says so.
    assert main(["history", "import", "--repo", str(repo), "--quiet"]) == 0
    again = capsys.readouterr().out
    assert "zip: 0 vintage(s) added, 3 already archived" in again
    assert "third_dose: 0 vintage(s) added, 4 already archived" in again


def _empty_zip():
    from mdvax.datasets import COLUMNS, DatasetTable

    empty = pd.DataFrame({c: pd.Series(dtype="int64") for c in COLUMNS["zip"]})
    return DatasetTable("zip", empty, pd.DataFrame(), "zip-2021")


@pytest.fixture
def sqlite_imported(data_env, tmp_path, capsys):
    repo = build_dataset_repo(tmp_path / "VaccineCSVs")
    assert main(["history", "import", "--repo", str(repo), "--quiet"]) == 0
    capsys.readouterr()
    return repo


def test_api_export_and_revisions_of_a_dataset(sqlite_imported, capsys, tmp_path):
    zips = load_table(dataset="zip", as_of="2021-12-01").set_index("zip")
    assert zips.loc["20850", "at_least_one"] == zip_figure("2021-11-09", "20850")
    newest = load_table(dataset="zip").set_index("zip")
    assert newest.loc["20850", "at_least_one"] == zip_figure("2022-03-07", "20850")
    assert main(["export", "--dataset", "third_dose", "--as-of", "2022-02-01"]) == 0
    exported = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(exported[0]) == ["date", "third_dose", "third_dose_daily", "third_dose_7day"]
    (oct1,) = [r for r in exported if r["date"] == "2021-10-01"]
    assert int(oct1["third_dose"]) == third_figure("2022-01-31", "10/1/2021")
    parquet = tmp_path / "zip.parquet"
    assert main(["export", "--dataset", "zip", "--output", str(parquet)]) == 0
    assert pd.read_parquet(parquet).set_index("zip").loc["20850", "first_dose"] == whole(
        next(r for r in rows("2022-03-07", ZIP_FILE) if r["ZIP_CODE"] == "20850")["FirstDose"]
    )
    assert main(["history", "list", "--dataset", "third_dose"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line[:10] for line in listed] == list(THIRD)
    args = ["revisions", "--dataset", "zip", "--zip", "20850", "--measure", "at_least_one"]
    assert main([*args, "--csv"]) == 0
    series = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["published"] for r in series] == ZIP_DAYS
    assert [int(r["value"]) for r in series] == [zip_figure(d, "20850") for d in ZIP_DAYS]
    assert main(["revisions", "--dataset", "third_dose", "--date", "2021-10-01",
                 "--measure", "third_dose", "--csv"]) == 0  # fmt: skip
    third = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [int(r["value"]) for r in third] == [third_figure(d, "10/1/2021") for d in THIRD]
    assert main(["revisions", "--dataset", "race", "--date", "2021-03-15", "--group", "Asian",
                 "--measure", "second_dose", "--csv"]) == 0  # fmt: skip
    race = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    march15 = pd.Timestamp("2021-03-15").date()
    assert [int(r["value"]) for r in race] == [
        expected_on(csv_rows(files(d)[RACE]), march15)["Asian"][1]
        for d in ("2021-03-31", "2021-05-25", "2021-11-09")
    ]
    assert main(["revisions", "--dataset", "third_dose", "--date", "2021-10-01",
                 "--measure", "first_dose"]) == UnknownMeasureError.exit_code  # fmt: skip
    assert "choose one of third_dose, third_dose_daily" in capsys.readouterr().err


def test_raw_copy_is_read_when_only_it_changed(data_env, tmp_path):
    """A day on which only the ``_Raw`` copy changed is read from it (never a stale file)."""
    from tests.support.dataset_repo import git

    repo = build_dataset_repo(tmp_path / "VaccineCSVs")
    body = files("2022-03-07")[RAW_FILE]
    (repo / RAW_FILE).write_bytes(body.replace(b",1413,2190663,", b",1413,2190700,"))
    noon = "2022-03-08T12:00:00-05:00"
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", "raw",
        env={"GIT_AUTHOR_DATE": noon, "GIT_COMMITTER_DATE": noon})  # fmt: skip
    assert main(["history", "import", "--repo", str(repo), "--quiet"]) == 0
    table = load_table(dataset="third_dose", as_of="2022-03-08").set_index("date")
    assert table.loc[pd.Timestamp("2022-03-06"), "third_dose"] == 2190700


def test_update_records_each_dataset_from_the_raw_folder(data_env, tmp_path, monkeypatch, capsys):
    """``mdvax update --dataset``: a real HTTP server on loopback serving the fixture files."""
    import functools
    import http.server
    import threading

    folder = tmp_path / "raw"
    folder.mkdir()
    for day in ("2021-11-09", "2022-02-24"):
        for name, body in files(day).items():
            (folder / name).write_bytes(body)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *_args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("MDVAX_MARYLAND_RAW_URL", f"http://127.0.0.1:{server.server_port}")
    try:
        args = ["update", "--dataset", "zip", "--dataset", "third_dose", "--quiet"]
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "zip: added the vintage of" in out
        assert "third_dose: the file is empty: not recorded" in out  # 2022-02-24's copy
        zips = load_table(dataset="zip").set_index("zip")
        assert zips.loc["20850", "at_least_one"] == zip_figure("2021-11-09", "20850")
        assert main(args) == 0
        assert "zip: nothing new" in capsys.readouterr().out
        (folder / ZIP_FILE).unlink()
        assert main(args) == 3  # a failed dataset fails the run
        assert "zip: failed: zip file answered HTTP 404" in capsys.readouterr().out
    finally:
        server.shutdown()
        server.server_close()
