"""History imported while ``mdvax serve`` runs: the kernels already waiting in the pool see it.

A real server on a data folder with nothing but the embedded snapshot (no archive) fills its
pool; then ``mdvax history import`` records a window of the state's real repository (rebuilt
from the committed fast-export stream). A visitor who then opens an ``as_of`` link gets a
preheated kernel that started before the import: it must show the vintage asked for, whose
figure is read from that commit's own file with the csv module.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
from datetime import date

import pytest

from mdvax.notebooks import notebook_path
from tests.hostile_client import KERNEL_ID, get
from tests.support.process import ServeProcess
from tests.support.state_repo import build_state_repo, file_at, git, raw_cumulative
from tests.support.widget_states import html_values, widget_states

AS_OF, DAY, COUNTY = "2021-04-10", "2021-04-05", "Howard"
QUERY = f"?as_of={AS_OF}&date={DAY}&county={COUNTY}&measure=first_dose&per_capita=0"


def commit_of(repo, day: str) -> str:
    """The last commit published on ``day`` (America/New_York), from git itself."""
    out = git(repo, "log", "--format=%H %cd", "--date=format-local:%Y-%m-%d",
              env={"TZ": "America/New_York"}).decode()  # fmt: skip
    return next(sha for sha, when in (line.split() for line in out.splitlines()) if when == day)


@pytest.mark.slow
def test_a_pooled_kernel_sees_history_imported_after_it_started(tmp_path):
    repo = build_state_repo(tmp_path / "VaccineCSVs")
    expected = raw_cumulative(file_at(repo, commit_of(repo, AS_OF)), DAY, "FirstDoseCumulative")
    newest = 130_008  # what the embedded 2022-03-07 snapshot says (the wrong figure)
    assert expected[COUNTY] != newest
    env = {"MDVAX_DATA_DIR": str(tmp_path / "data"), "MDVAX_EMBEDDED_SNAPSHOT": "on"}
    args = ("--notebook", str(notebook_path("dashboard.ipynb")), "--pool-size", "1")
    with ServeProcess(*args, env=env, log_path=tmp_path / "serve.log") as server:
        assert not (tmp_path / "data" / "archive.sqlite").exists()  # the pool filled without
        command = [sys.executable, "-m", "mdvax", "history", "import", "--repo", str(repo)]
        command += ["--since", "2021-04-06", "--until", "2021-04-15", "--quiet"]
        subprocess.run(command, env={**os.environ, **env}, check=True, capture_output=True)
        status, _, body = get(server, "/" + QUERY)
        assert status == 200
        kernel_id = KERNEL_ID.search(body).group(1)  # the pooled kernel, started before
        values = [html.unescape(v) for v in html_values(widget_states(server, kernel_id))]
        shown = "\n".join(values)
        assert "no archived vintages" not in shown
        assert f"<tr><th>Total</th><td>{expected[COUNTY]:,}</td></tr>" in shown
        assert f"as_of={AS_OF}" in shown  # the link keeps the vintage
        # The still picture the server sent with the page reads the vintage too.
        assert f"{expected[COUNTY]:,}" in body
        assert f"{newest:,}" not in body


def test_a_vintage_republished_unchanged_says_so(tmp_path, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from mdvax.archive import Archive
    from mdvax.cli import main
    from mdvax.dashboard import build_app
    from mdvax.normalize import normalize
    from mdvax.sources.base import RawSnapshot

    repo = build_state_repo(tmp_path / "VaccineCSVs")
    monkeypatch.setenv("MDVAX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MDVAX_DATABASE_URL", raising=False)
    monkeypatch.setenv("MDVAX_EMBEDDED_SNAPSHOT", "on")
    window = ["--since", "2021-04-08", "--until", AS_OF, "--quiet"]
    assert main(["history", "import", "--repo", str(repo), *window]) == 0
    # The state publishes the same bytes again on the next two days (as it did on 16 and
    # 17 Oct 2021): the archive keeps the file once, and the days it was republished.
    body = file_at(repo, commit_of(repo, AS_OF)).encode("utf-8")
    snapshot = RawSnapshot(body, "git:again", str(repo), "csv")
    table = normalize(snapshot).table
    with Archive.open() as archive:
        for later in ("2021-04-12", "2021-04-11"):  # in any order
            when = datetime.fromisoformat(later).replace(hour=16, tzinfo=UTC)
            summary = archive.record_vintage(
                table, published=when.date(), fetched_at=when, sha256=snapshot.sha256,
                source="git:" + "0" * 40,
            )  # fmt: skip
            assert not summary.added_vintage
        # An earlier day (the same file seen before its publication) is no republication.
        early = datetime(2021, 4, 9, 16, tzinfo=UTC) - timedelta(days=1)
        archive.record_vintage(table, published=early.date(), fetched_at=early,
                               sha256=snapshot.sha256, source="file")  # fmt: skip
        assert len(archive.vintages()) == 3  # 8, 9 and 10 Apr
    view = f"date={DAY}&county={COUNTY}&measure=first_dose&per_capita=0"
    d = build_app(query="as_of=2021-04-12&" + view).dashboard
    expected = raw_cumulative(body.decode("utf-8-sig"), DAY, "FirstDoseCumulative")[COUNTY]
    assert f"<tr><th>Total</th><td>{expected:,}</td></tr>" in d.panel.value
    assert (
        "as published on 10 Apr 2021 (an archived vintage; the state republished unchanged on "
        "11 Apr 2021 and 12 Apr 2021)."
    ) in d.provenance.value
    d.change({"as_of": date(2021, 4, 9)})  # a vintage never republished: no such words
    assert "as published on 9 Apr 2021 (an archived vintage)." in d.provenance.value
