"""``mdvax history``: the state's git history (a real repository rebuilt from the committed
fast-export stream) imported through the real code, on a SQLite archive."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date

import pandas as pd
import pytest

from mdvax.api import load_table, vintages
from mdvax.archive import Archive
from mdvax.archive.git_import import import_history
from mdvax.cli import main
from mdvax.errors import ArchiveError
from mdvax.pipeline import update
from tests.support.archive_fixtures import stored_versions, value_at
from tests.support.state_repo import HEAD_SHA, build_state_repo, file_at, git, raw_cumulative

#: Each test imports the state's whole history (61 vintages), some twice.
pytestmark = pytest.mark.slow

UNASSIGNED_LABELS = ("", "Unknown")


@pytest.fixture(scope="module")
def state_repo(tmp_path_factory):
    """The replayed repository (read-only for the tests: each import clones it)."""
    return build_state_repo(tmp_path_factory.mktemp("state") / "VaccineCSVs")


def commit_days(repo) -> list[str]:
    """Publication days (America/New_York) of the repository's commits, from git itself."""
    out = git(
        repo, "log", "--format=%cd", "--date=format-local:%Y-%m-%d", env={"TZ": "America/New_York"}
    )
    return sorted(set(out.decode().split()))


def test_every_publication_day_becomes_a_vintage(data_env, state_repo, capsys):
    assert main(["history", "import", "--repo", state_repo.as_uri(), "--quiet"]) == 0
    out = capsys.readouterr().out
    days = commit_days(state_repo)
    assert len(days) == 61  # 62 commits; 2021-05-06 has two, the later one (14:22) is kept
    assert "history: 61 vintage(s) added" in out
    listed = vintages()
    assert list(listed["published"].dt.strftime("%Y-%m-%d")) == days
    assert listed["source"].iloc[-1] == HEAD_SHA[:7]
    may6 = listed[listed["published"] == pd.Timestamp("2021-05-06")]
    assert may6["source"].tolist() == ["69cf787"]
    # The state commits day D with data through D-1.
    assert (listed["published"] - listed["last_date"]).eq(pd.Timedelta(days=1)).all()
    assert main(["history", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 61
    assert lines[-1].startswith("2021-05-31  f7ddc49")
    assert "3,075 rows" in lines[15]
    assert lines[15].startswith("2021-04-16")

    # As of 2021-05-31: the bundle HEAD's figures (hand-checked, and from the raw file).
    raw = raw_cumulative(file_at(state_repo, HEAD_SHA), "2021-05-30", "FirstDoseCumulative")
    counties = sum(v for k, v in raw.items() if k not in UNASSIGNED_LABELS)
    unassigned = sum(v for k, v in raw.items() if k in UNASSIGNED_LABELS)
    assert (counties, unassigned) == (2_959_355, 264_858)
    with Archive.open() as archive:
        table = archive.table_as_of("2021-05-31")
    day = table[table["date"] == pd.Timestamp("2021-05-30")]
    is_unassigned = day["county"] == "Unassigned"
    assert int(day.loc[~is_unassigned, "first_dose"].sum()) == counties
    assert int(day.loc[is_unassigned, "first_dose"].sum()) == unassigned

    # A second run adds nothing and says so.
    with Archive.open() as archive:
        before = stored_versions(archive)
        assert main(["history", "import", "--repo", state_repo.as_uri(), "--quiet"]) == 0
        assert "nothing to add (61 vintage(s) already archived)" in capsys.readouterr().out
        assert stored_versions(archive) == before
    assert not data_env.current_table_path.exists()  # the cache is untouched


def test_the_2021_05_05_schema_change(data_env, state_repo):
    import_history(repo=str(state_repo), since=date(2021, 5, 3), until=date(2021, 5, 6))
    with Archive.open() as archive:
        rows = archive.vintages()
        layouts = {
            r.published.date().isoformat(): json.loads(r.provenance)["layout"]
            for r in rows.itertuples()
        }
        assert layouts == {"2021-05-03": "pivot-8", "2021-05-04": "pivot-8",
                           "2021-05-05": "pivot-12", "2021-05-06": "pivot-12"}  # fmt: skip
        details = json.loads(rows["provenance"].iloc[2])
        assert details["path"].startswith("Vax_County")
        assert details["commit"].startswith("dd364d1")
        table = archive.table_as_of("2021-05-05")
        # The new columns agree with the canonical table's derived at-least-one count.
        sha = details["commit"]
        raw = raw_cumulative(file_at(state_repo, sha), "2021-05-01", "AtLeastOneDoseCumulative")
        assert value_at(table, "Howard", "2021-05-01", "at_least_one") == raw["Howard"]
        with pytest.raises(KeyError):  # the 8-column file has no such column
            raw_cumulative(file_at(state_repo, "35866b1"), "2021-05-01", "AtLeastOneDoseCumulative")


def test_history_after_a_later_update_gives_the_same_archive(
    data_env, tmp_path, monkeypatch, source_server, state_repo
):
    def build(folder, update_first: bool) -> dict:
        monkeypatch.setenv("MDVAX_DATA_DIR", str(folder))
        source_server.set_snapshot("2021-08-16")  # later than the whole repository
        if update_first:
            update(source="maryland-csv")
        import_history(repo=str(state_repo))
        if not update_first:
            update(source="maryland-csv")
        with Archive.open() as archive:
            listed = archive.vintage_list()
            return {
                "vintages": listed,
                "versions": stored_versions(archive),
                "tables": {d: archive.table_as_of(d) for d in listed["published"].dt.date},
                "revisions": archive.revisions("Montgomery", "first_dose"),
                "series": archive.revision_series("Montgomery", "first_dose", "2021-04-20"),
            }

    in_order = build(tmp_path / "in-order", update_first=False)
    reversed_ = build(tmp_path / "update-first", update_first=True)
    assert len(in_order["vintages"]) == 62
    pd.testing.assert_frame_equal(reversed_["vintages"], in_order["vintages"])
    assert reversed_["versions"] == in_order["versions"]
    for day, table in in_order["tables"].items():
        pd.testing.assert_frame_equal(reversed_["tables"][day], table)
    pd.testing.assert_frame_equal(reversed_["revisions"], in_order["revisions"])
    pd.testing.assert_frame_equal(reversed_["series"], in_order["series"])
    assert load_table()["date"].max() == pd.Timestamp("2021-08-15")  # the update's table stays


def test_revision_series_follows_one_value_through_the_vintages(data_env, state_repo):
    import_history(repo=str(state_repo), since=date(2021, 4, 20), until=date(2021, 4, 30))
    with Archive.open() as archive:
        series = archive.revision_series("Montgomery", "first_dose", "2021-04-20")
    assert len(series) == 11
    assert pd.isna(series["value"].iloc[0])  # published 2021-04-20: data only to 2021-04-19
    for row in series.iloc[1:].itertuples():
        commit = (
            git(
                state_repo,
                "log",
                "-1",
                "--format=%H",
                f"--before={row.published:%Y-%m-%d} 23:59 -0400",
            )
            .decode()
            .strip()
        )
        raw = raw_cumulative(file_at(state_repo, commit), "2021-04-20", "FirstDoseCumulative")
        assert row.value == raw["Montgomery"]


def test_a_killed_import_resumes_and_matches(data_env, state_repo, tmp_path):
    env = {**os.environ, "MDVAX_DATA_DIR": str(data_env.data_dir)}
    command = [
        sys.executable,
        "-m",
        "mdvax",
        "history",
        "import",
        "--repo",
        str(state_repo),
        "--quiet",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    archive_file = data_env.data_dir / "archive.sqlite"
    while time.monotonic() < deadline:
        if archive_file.exists():
            try:
                with Archive.open() as archive:
                    if len(archive.vintages()) >= 5:
                        break
            except ArchiveError:  # the schema may be being created
                pass
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with Archive.open() as archive:
        partial = archive.vintage_list()
    assert 5 <= len(partial) < 61
    assert main(["history", "import", "--repo", str(state_repo), "--quiet"]) == 0
    with Archive.open() as archive:
        resumed, versions = archive.vintage_list(), stored_versions(archive)
    clean_dir = tmp_path / "clean"
    os.environ["MDVAX_DATA_DIR"] = str(clean_dir)
    try:
        import_history(repo=str(state_repo))
        with Archive.open() as archive:
            pd.testing.assert_frame_equal(resumed, archive.vintage_list())
            assert versions == stored_versions(archive)
    finally:
        os.environ["MDVAX_DATA_DIR"] = str(data_env.data_dir)


def test_bad_input_names_the_problem(data_env, state_repo, tmp_path, capsys, monkeypatch):
    not_a_repo = tmp_path / "plain"
    not_a_repo.mkdir()
    assert main(["history", "import", "--repo", str(not_a_repo)]) != 0
    assert "clone the repository" in capsys.readouterr().err
    # A commit with bogus rows on top of the real history.
    broken = tmp_path / "broken"
    git(tmp_path, "clone", "--quiet", str(state_repo), str(broken))
    text = file_at(broken, "HEAD") + "2021-06-01 15:00:00,Narnia,1.0,5,,0,,0,,5,,0\n"
    (broken / "Vax_County_FirstSecondSingle_Count_Pivot_Cumulative_Raw.csv").write_text(text)
    git(broken, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-am", "bad",
        "--date=2021-06-01T12:00:00-04:00", env={"GIT_COMMITTER_DATE": "2021-06-01T12:00:00-04:00"})  # fmt: skip
    bad_sha = git(broken, "rev-parse", "--short=7", "HEAD").decode().strip()
    assert main(["history", "import", "--repo", str(broken), "--since", "2021-05-30"]) != 0
    err = capsys.readouterr().err
    assert f"commit {bad_sha} (2021-06-01), file Vax_County" in err
    assert "unknown county name 'Narnia'" in err
    assert list(vintages()["published"].dt.strftime("%Y-%m-%d")) == ["2021-05-30", "2021-05-31"]
    # No git at all: a clear message, not a traceback.
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["history", "import", "--repo", str(state_repo)]) != 0
    assert "the `git` program is not installed" in capsys.readouterr().err
