"""Snapshots cut short (issue 21): real files cut at a row boundary or in the middle of a row.

Every cut file is a real vintage (a committed fixture, the packaged 2022-03-07 file or a commit of
the state's replayed repository) with its tail removed, written into ``tmp_path`` and read by the
real command line. What should be named is computed from the cut bytes with the csv module.
"""

from __future__ import annotations

import csv
import io
import lzma
from datetime import UTC, date, datetime
from importlib import resources

import pandas as pd
import pytest

from mdvax.api import load_table, vintages
from mdvax.cli import main
from mdvax.errors import SchemaError, TruncatedSnapshotError
from mdvax.normalize import normalize
from mdvax.normalize.complete import MAX_BLANK_LAG_DAYS, MAX_LAG_DAYS
from mdvax.sources.base import RawSnapshot
from tests.support.data_files import data_file
from tests.support.source_server import snapshot_days, snapshot_path
from tests.support.state_repo import PIVOT, build_state_repo, file_at, git
from tests.test_update import tree_digest

_DATE_LAYOUTS = ("%Y/%m/%d", "%m/%d/%Y", "%Y-%m-%d")


def packaged_2022() -> bytes:
    """The state's 2022-03-07 county file, as shipped in the package (xz)."""
    packed = resources.files("mdvax.embedded").joinpath("md_vax_county_2022-03-07.csv.xz")
    return lzma.decompress(packed.read_bytes())


def day_of(text: str) -> date:
    head = text.strip().split(" ")[0]
    for layout in _DATE_LAYOUTS:
        try:
            return datetime.strptime(head, layout).date()
        except ValueError:
            continue
    raise AssertionError(f"unexpected date {text!r}")


def last_days(body: bytes) -> tuple[date, dict[str, date]]:
    """The file's last day and each county label's last day (unpadded; "" is the blank county)."""
    last: dict[str, date] = {}
    for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig"))):
        label, day = row["County"].strip(), day_of(row["VACCINATION_DATE"])
        last[label] = max(last.get(label, day), day)
    return max(last.values()), last


def lagging(body: bytes, more_than: int) -> dict[str, date]:
    """Labels whose rows stop more than ``more_than`` days before the file's last day."""
    end, last = last_days(body)
    return {label: day for label, day in last.items() if (end - day).days > more_than}


def head(body: bytes, lines: int) -> bytes:
    """``head -n lines``."""
    return b"".join(body.splitlines(keepends=True)[:lines])


def snapshot(body: bytes) -> RawSnapshot:
    return RawSnapshot(body, "file", "test", "csv", fetched_at=datetime(2022, 3, 8, tzinfo=UTC))


def refused(capsys, args: list[str], settings) -> str:
    """Run ``args``; check it failed and changed nothing; return its error output."""
    before = tree_digest(settings.data_dir)
    table, archived = load_table(), vintages()
    status = main(args)
    err = capsys.readouterr().err
    assert status != 0
    assert "Traceback" not in err
    assert tree_digest(settings.data_dir) == before
    pd.testing.assert_frame_equal(load_table(), table)
    pd.testing.assert_frame_equal(vintages(), archived)
    return err


# -- item 2: a file cut at a row boundary ------------------------------------------------------


@pytest.mark.parametrize("how", ["--from FILE", "source URL"])
def test_a_file_cut_at_a_row_boundary_is_refused(
    filled_data_dir, source_server, tmp_path, capsys, how
):
    cut = head(packaged_2022(), 11300)  # the issue's `head -n 11300`
    end, last = last_days(cut)
    late = lagging(cut, MAX_LAG_DAYS)
    assert "Worcester" in late
    assert (end - late["Worcester"]).days > 30
    assert last["Kent"] < end  # a real one-day gap, tolerated
    if how == "--from FILE":
        path = tmp_path / "md_vax_county_2022-03-07.csv"
        path.write_bytes(cut)
        args = ["update", "--from", str(path)]
    else:
        source_server.set_body(cut)
        args = ["update", "--source", "maryland-csv"]
    err = refused(capsys, args, filled_data_dir)
    assert err.startswith("mdvax update: error:")
    assert "cut short" in err
    for label, day in late.items():
        assert f"{label or 'blank county'}" in err
        assert day.isoformat() in err
    assert f"runs to {end.isoformat()}" in err
    assert "Kent" not in err
    assert "Somerset" not in err


def test_the_exit_status_is_the_validation_errors():
    cut = head(packaged_2022(), 11300)
    with pytest.raises(TruncatedSnapshotError) as caught:
        normalize(snapshot(cut))
    assert caught.value.exit_code == 4


@pytest.fixture(scope="module")
def state_repo(tmp_path_factory):
    return build_state_repo(tmp_path_factory.mktemp("state") / "VaccineCSVs")


def test_history_import_refuses_a_commit_cut_at_a_row_boundary(
    data_env, state_repo, tmp_path, capsys
):
    cut_repo = tmp_path / "cut"
    git(tmp_path, "clone", "--quiet", str(state_repo), str(cut_repo))
    whole = file_at(cut_repo, "HEAD").encode()
    cut = head(whole, len(whole.splitlines()) - 40)
    late = lagging(cut, MAX_LAG_DAYS)
    assert late, "the cut should stop a county's rows early"
    (cut_repo / PIVOT).write_bytes(cut)
    when = "2021-06-01T12:00:00-04:00"
    git(cut_repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-am", "cut",
        f"--date={when}", env={"GIT_COMMITTER_DATE": when})  # fmt: skip
    sha = git(cut_repo, "rev-parse", "--short=7", "HEAD").decode().strip()
    assert main(["history", "import", "--repo", str(cut_repo), "--since", "2021-05-30"]) != 0
    err = capsys.readouterr().err
    assert f"commit {sha} (2021-06-01)" in err
    for label, day in late.items():
        assert label in err
        assert day.isoformat() in err
    assert list(vintages()["published"].dt.strftime("%Y-%m-%d")) == ["2021-05-30", "2021-05-31"]


# -- item 2: the tolerance for the state's real gaps -------------------------------------------


@pytest.mark.slow
def test_every_real_vintage_is_within_the_tolerance(state_repo):
    """The committed snapshots, the packaged one and the 62 commits of the replayed repository."""
    bodies = {day: snapshot_path(day).read_bytes() for day in snapshot_days()}
    bodies["2022-03-07 (packaged)"] = packaged_2022()
    for sha in git(state_repo, "rev-list", "HEAD").decode().split():
        bodies[f"commit {sha[:7]}"] = git(state_repo, "show", f"{sha}:{PIVOT}")
    lags = {}
    for name, body in bodies.items():
        end, last = last_days(body)
        lags[name] = max((end - day).days for day in last.values())
        fetched = datetime.combine(end, datetime.min.time(), UTC) + pd.Timedelta(days=1)
        normalize(RawSnapshot(body, "file", name, "csv", fetched_at=fetched))  # accepted
    # What the tolerance was measured on: the blank county lags up to 5 days (2021-04-06),
    # Kent and Somerset one day (2022-03-07).
    assert max(lags.values()) == 5
    assert max(lags.values()) <= MAX_LAG_DAYS
    assert lags["2022-03-07 (packaged)"] == 1


def test_the_blank_countys_two_weeks_without_rows_are_the_states_own():
    """The state's commit of 2021-06-10: its blank-county rows end on 2021-06-01."""
    body = data_file("state_pivot_2021-06-10.csv").read_bytes()
    end, last = last_days(body)
    assert (end, last[""]) == (date(2021, 6, 9), date(2021, 6, 1))
    assert MAX_LAG_DAYS < (end - last[""]).days <= MAX_BLANK_LAG_DAYS
    assert all((end - day).days <= MAX_LAG_DAYS for label, day in last.items() if label)
    fetched = datetime(2021, 6, 10, 16, 1, tzinfo=UTC)
    normalize(RawSnapshot(body, "file", "2021-06-10", "csv", fetched_at=fetched))  # accepted


def test_the_blank_county_past_its_tolerance_is_refused():
    body = snapshot_path("2021-04-01").read_bytes()
    end, _ = last_days(body)
    lines = body.splitlines(keepends=True)
    rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))
    next(rows)
    too_late = MAX_BLANK_LAG_DAYS + 1
    kept = [lines[0]] + [
        line
        for line, row in zip(lines[1:], rows, strict=True)
        if row[2].strip() or (end - day_of(row[1])).days >= too_late
    ]
    cut = b"".join(kept)
    blank_end = last_days(cut)[1][""]
    assert (end - blank_end).days >= too_late  # the blank county has no row some days
    fetched = datetime.combine(end, datetime.min.time(), UTC)
    with pytest.raises(TruncatedSnapshotError, match=f"blank county.*{blank_end.isoformat()}"):
        normalize(RawSnapshot(cut, "file", "cut", "csv", fetched_at=fetched))


@pytest.mark.parametrize("lag", [MAX_LAG_DAYS, MAX_LAG_DAYS + 1])
def test_the_tolerance_boundary(lag, tmp_path, data_env, capsys):
    """Kent's last ``lag`` days removed from the real 2021-04-01 snapshot."""
    body = snapshot_path("2021-04-01").read_bytes()
    end, _ = last_days(body)
    lines = body.splitlines(keepends=True)
    rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))
    next(rows)
    kept = [lines[0]]
    for line, row in zip(lines[1:], rows, strict=True):
        county, day = row[2].strip(), day_of(row[1])
        if not (county == "Kent" and (end - day).days < lag):
            kept.append(line)
    cut = b"".join(kept)
    kent_end = last_days(cut)[1]["Kent"]
    assert (end - kent_end).days == lag
    path = tmp_path / "kent.csv"
    path.write_bytes(cut)
    status = main(["update", "--from", str(path)])
    err = capsys.readouterr().err
    if lag <= MAX_LAG_DAYS:
        assert status == 0, err
    else:
        assert status != 0
        assert "Kent" in err
        assert kent_end.isoformat() in err
        assert vintages().empty


# -- item 3: a file cut in the middle of a row -------------------------------------------------


def cut_inside_last_row(body: bytes, fields: int, chars: int) -> bytes:
    """The file cut 30 rows before its end, in a row that keeps ``fields`` fields and ``chars``
    characters of the next one."""
    lines = body.splitlines(keepends=True)
    at = len(lines) - 30
    row = lines[at].decode()
    keep = ",".join(row.split(",")[:fields]) + ("," if fields else "")
    keep += row.split(",")[fields][:chars]
    assert 0 < len(keep) < len(row.rstrip("\r\n"))
    return b"".join(lines[:at]) + keep.encode()


# (fields kept whole, characters of the next one): in the date; just after the date (the
# county is then blank: today's "Unassigned: 2 rows share a day"); in the county; in a count.
CUTS = [(1, 4), (2, 0), (2, 5), (4, 2)]


@pytest.mark.parametrize("day", ["2021-04-01", "2021-08-16"])
@pytest.mark.parametrize(("fields", "chars"), CUTS)
def test_a_file_cut_mid_row_says_it_looks_truncated(
    filled_data_dir, tmp_path, capsys, day, fields, chars
):
    body = snapshot_path(day).read_bytes()
    cut = cut_inside_last_row(body, fields, chars)
    header_fields = len(next(csv.reader(io.StringIO(body.decode("utf-8-sig")))))
    last_fields = len(next(csv.reader([cut.decode().splitlines()[-1]])))
    assert last_fields < header_fields
    path = tmp_path / "cut.csv"
    path.write_bytes(cut)
    err = refused(capsys, ["update", "--from", str(path)], filled_data_dir)
    assert "looks truncated" in err
    assert "last line" in err
    assert f"{last_fields} of {header_fields} fields" in err
    assert "share a day" not in err


def test_a_short_row_inside_the_file_is_named(tmp_path, data_env, capsys):
    body = snapshot_path("2021-03-30").read_bytes()
    lines = body.splitlines(keepends=True)
    lines[700] = b",".join(lines[700].split(b",")[:5]) + b"\n"
    path = tmp_path / "short.csv"
    path.write_bytes(b"".join(lines))
    assert main(["update", "--from", str(path)]) == SchemaError.exit_code
    err = capsys.readouterr().err
    assert "line 701" in err
    assert "5 of 9 fields" in err
    assert "truncated" not in err
