"""The snapshot shipped in the package: a data folder never updated uses it, with no network."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import lzma
from importlib import resources

import pandas as pd

from mdvax.api import load_metadata, load_table
from mdvax.cli import main
from mdvax.dashboard.model import DashboardData
from mdvax.pipeline import update

NOTE = "embedded snapshot, published 2022-03-07; run `mdvax update` to check for newer data"


def packaged(name: str) -> bytes:
    return resources.files("mdvax.embedded").joinpath(name).read_bytes()


def raw_first_doses(day: str) -> tuple[int, int]:
    """24 counties' and blank + Unknown first doses on ``day``, carried forward (csv module)."""
    body = lzma.decompress(packaged("md_vax_county_2022-03-07.csv.xz")).decode("utf-8-sig")
    latest: dict[str, tuple[str, int]] = {}
    for row in csv.DictReader(io.StringIO(body)):
        month, dom, year = row["VACCINATION_DATE"].split()[0].split("/")
        when = f"{year}-{int(month):02d}-{int(dom):02d}"
        label = row["County"].strip()
        if when <= day and when >= latest.get(label, ("", 0))[0]:
            latest[label] = (when, int(row["FirstDoseCumulative"] or 0))
    unassigned = sum(v for label, (_, v) in latest.items() if label in ("", "Unknown"))
    counties = sum(v for label, (_, v) in latest.items() if label not in ("", "Unknown"))
    return counties, unassigned


def first_doses(table: pd.DataFrame, day: str) -> tuple[int, int]:
    rows = table[table["date"] == pd.Timestamp(day)]
    unassigned = rows["county"] == "Unassigned"
    return int(rows.loc[~unassigned, "first_dose"].sum()), int(
        rows.loc[unassigned, "first_dose"].sum()
    )


def test_the_packaged_file_is_the_commit_it_names():
    provenance = json.loads(packaged("md_vax_county_2022-03-07.json"))
    body = lzma.decompress(packaged("md_vax_county_2022-03-07.csv.xz"))
    assert hashlib.sha256(body).hexdigest() == provenance["sha256"]
    assert (provenance["commit"], provenance["published"]) == ("dd1fbf1", "2022-03-07")
    assert provenance["repository"] == "https://github.com/state-of-maryland/VaccineCSVs"
    assert provenance["path"] == "MD_COVID19_TotalVaccinationsCountyFirstandSecondSingleDose.csv"
    assert len(packaged("md_vax_county_2022-03-07.csv.xz")) < 400_000


def test_a_folder_never_updated_reads_the_embedded_snapshot(data_env, capsys, tmp_path):
    expected = raw_first_doses("2022-03-06")
    assert expected == (4_231_931, 486_037)  # the hand-checked figures
    table = load_table()
    assert first_doses(table, "2022-03-06") == expected
    assert table["date"].max() == pd.Timestamp("2022-03-06")
    assert load_metadata().source == NOTE
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert NOTE in out
    assert "2022-03-07" in out
    target = tmp_path / "export.csv"
    assert main(["export", "--output", str(target)]) == 0
    assert first_doses(pd.read_csv(target, parse_dates=["date"]), "2022-03-06") == expected
    data = DashboardData.load()  # the dashboard's loader: no empty state, no network
    assert data.provenance.source == NOTE
    assert data.last_date.isoformat() == "2022-03-06"
    assert not data_env.current_table_path.exists()  # reading wrote nothing


def test_the_first_update_replaces_it(data_env):
    result = update(source="maryland-csv")  # the test server's 2021-03-30 snapshot: different
    assert result.status == "updated"
    assert load_metadata().source == "maryland-csv"
    assert load_table()["date"].max() == pd.Timestamp("2021-03-30")
