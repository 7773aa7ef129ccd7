"""``mdvax report`` refuses arguments the data cannot serve before it writes anything.

A ``--date`` outside the data, an ``--as-of`` before the oldest archived vintage or in the
future, a ``--backfill`` reaching before the archive or into the future: each exits non-zero with
a message naming the problem, and every file of the published site (index.html, status.json,
the reports, the lock) keeps its bytes; no folder is created. A real failure of a valid run
(the kernel cannot read the data) still records its "failed" row.

Expected dates come from the raw CSVs of tests/data read with the csv module.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from mdvax.cli import main
from mdvax.report import site
from tests.support.raw_figures import raw_rows
from tests.support.source_server import SourceServer
from tests.test_report import tree_hashes

pytestmark = pytest.mark.slow

OLDEST, NEWEST = "2021-03-23", "2021-03-30"  # the two archived vintages (publication days)
#: A day inside both vintages' data, neither their first nor their last.
DAY = "2021-03-16"


def data_days(snapshot: str) -> tuple[str, str]:
    """First and last day of a snapshot's rows (csv module, not mdvax)."""
    days = sorted(row["VACCINATION_DATE"][:10].replace("/", "-") for row in raw_rows(snapshot))
    return days[0], days[-1]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Two archived vintages and a site with one published report (of ``DAY``)."""
    root = tmp_path_factory.mktemp("arguments")
    out = root / "reports"
    with SourceServer(OLDEST) as server, pytest.MonkeyPatch.context() as mp:
        for name, value in server.environment(root / "data").items():
            mp.setenv(name, value)
        for day in (OLDEST, NEWEST):
            server.set_snapshot(day)
            assert main(["update", "--source", "maryland-csv", "--quiet"]) == 0
        assert main(["report", "--out", str(out), "--date", DAY, "--as-of", OLDEST]) == 0
        yield SimpleNamespace(root=root, out=out, server=server)


def future(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


first_day, last_day = data_days(NEWEST)
before_first = (datetime.fromisoformat(first_day) - timedelta(days=1)).date().isoformat()
CASES = {
    "date after the data": (
        ["--date", "2030-01-01"],
        f"report date 2030-01-01 is outside the data as published on {NEWEST} "
        f"({first_day} to {last_day})",
    ),
    "date before the data": (
        ["--date", before_first],
        f"report date {before_first} is outside the data as published on {NEWEST}",
    ),
    "as-of before the archive": (
        ["--as-of", "1999-01-01"],
        f"no vintage was published on or before 1999-01-01: the oldest archived vintage was "
        f"published on {OLDEST}",
    ),
    "date after the data as published": (
        ["--date", "2021-03-27", "--as-of", OLDEST],
        f"report date 2021-03-27 is outside the data as published on {OLDEST} "
        f"({data_days(OLDEST)[0]} to {data_days(OLDEST)[1]})",
    ),
    "as-of in the future": (
        ["--as-of", future(30)],
        f"as-of date {future(30)} is in the future",
    ),
    "update, then a date after the data": (
        ["--update", "--date", "2030-01-01"],
        "report date 2030-01-01 is outside the data as published on",
    ),
    "backfill before the archive": (
        ["--backfill", "1999-01-01", OLDEST],
        f"backfill start 1999-01-01 is before the oldest archived vintage (published {OLDEST})",
    ),
    "backfill into the future": (
        ["--backfill", NEWEST, future(30)],
        f"backfill end {future(30)} is in the future",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_arguments_are_refused_before_the_site_is_touched(published, capsys, case):
    args, message = CASES[case]
    before = tree_hashes(published.out)
    folders = sorted(p.name for p in published.out.iterdir())
    capsys.readouterr()
    assert main(["report", "--out", str(published.out), *args]) == 7
    err = capsys.readouterr().err
    assert f"mdvax report: error: {message}" in err
    assert tree_hashes(published.out) == before  # index.html and status.json included
    assert sorted(p.name for p in published.out.iterdir()) == folders
    assert list(site.read_status(published.out)) == [DAY]


def damage_table(data):
    table = data / "current.arrow"  # the cached table and its metadata
    table.write_bytes(table.read_bytes()[:100])  # cut short: not an Arrow file any more


def damage_quarantine(data):
    (data / "quarantine.csv").write_bytes(b"\xff\xfe\xff,\x00\n")  # read in the kernel only


@pytest.mark.parametrize(
    ("damage", "code", "message"),
    [
        (damage_table, 5, "CacheError: the cached table"),
        (damage_quarantine, 7, "ReportError: the report notebook failed in cell"),
    ],
    ids=["damaged cache", "kernel error"],
)
def test_a_real_failure_of_a_valid_run_still_records_its_row(
    published, tmp_path, monkeypatch, damage, code, message
):
    """A valid ``--date`` whose run fails (the data cannot be read) is recorded as failed."""
    data, out = tmp_path / "data", tmp_path / "reports"
    shutil.copytree(published.root / "data", data)
    shutil.copytree(published.out, out)
    monkeypatch.setenv("MDVAX_DATA_DIR", str(data))
    damage(data)
    before = tree_hashes(out, skip=(site.INDEX_HTML, site.STATUS_JSON))
    day = "2021-03-20"
    assert main(["report", "--out", str(out), "--date", day]) == code
    status = site.read_status(out)
    assert status[day]["status"] == "failed"
    assert status[day]["message"].startswith(message)
    assert f"<td>{day}</td><td>failed</td>" in (out / site.INDEX_HTML).read_text()
    assert tree_hashes(out, skip=(site.INDEX_HTML, site.STATUS_JSON)) == before
    assert not (out / day).exists()


def test_a_valid_run_checks_its_dates_once(published, tmp_path, monkeypatch):
    """``--date``/``--as-of`` are checked once, before the lock (the kernel reads on its own)."""
    from mdvax import vintages

    looked_up = []
    in_force = vintages.in_force

    def counted(settings, as_of):
        looked_up.append(as_of)
        return in_force(settings, as_of)

    monkeypatch.setattr(vintages, "in_force", counted)
    out = tmp_path / "reports"
    assert main(["report", "--out", str(out), "--date", "2021-03-20", "--as-of", NEWEST]) == 0
    assert [d.isoformat() for d in looked_up] == [NEWEST]
    assert site.read_status(out)["2021-03-20"]["status"] == "ok"
