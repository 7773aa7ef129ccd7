"""Visitors read fixed messages, never an error's text (issue 19): the server's log keeps it.

The errors are real ones: an archive file damaged after the page opened (the archive's error
names its file), and sources that cannot be reached (their errors name the URLs).
"""

from __future__ import annotations

import logging
from datetime import date
from html import unescape

from mdvax.dashboard import build_app
from mdvax.errors import ArchiveError, SourceError
from mdvax.pipeline import update

DEFAULTS = {"date": None, "measure": "at_least_one", "per_capita": True, "county": None}


def test_a_failing_view_shows_a_fixed_note_and_logs_the_path(data_env, source_server, caplog):
    source_server.set_snapshot("2021-03-23")
    update(source="maryland-csv")
    source_server.set_snapshot("2021-03-30")
    update(source="maryland-csv")
    d = build_app(DEFAULTS, query="date=2021-03-16&per_capita=0").dashboard
    assert [v.published for v in d.vintages.choices] == [date(2021, 3, 23), date(2021, 3, 30)]
    archive = data_env.data_dir / "archive.sqlite"
    archive.write_bytes(b"not a database " * 100)  # damaged after the page opened
    fills = dict(d.map.fills)
    with caplog.at_level(logging.ERROR, logger="mdvax.dashboard.session"):
        d.change({"as_of": date(2021, 3, 23)})  # the visitor picks the older vintage
    note = unescape(d.notes.value)
    assert str(data_env.data_dir) not in note
    assert "archive.sqlite" not in note
    assert "sqlite" not in note.lower()
    assert f"Could not update the view. {ArchiveError.visitor_message}" in note
    assert d.map.fills == fills  # the view shown is left as it was
    logged = caplog.text
    assert "dashboard callback change failed" in logged
    assert str(archive) in logged  # the detail, for the operator


def test_failed_fetch_names_no_url_to_the_visitor(data_env, monkeypatch, caplog):
    hidden = "http://127.0.0.1:9/secret/path/"
    monkeypatch.setenv("MDVAX_MARYLAND_CSV_URL", hidden + "none.csv")
    monkeypatch.setenv("MDVAX_MARYLAND_API_URL", hidden + "query")
    monkeypatch.setenv("MDVAX_MARYLAND_GITHUB_URL", hidden + "county.csv")
    monkeypatch.setenv("MDVAX_EMBEDDED_SNAPSHOT", "off")
    with caplog.at_level(logging.ERROR, logger="mdvax.dashboard.upload"):
        app = build_app(DEFAULTS)
        app.empty.thread.join(60)
    status = unescape(app.empty.status.value)
    assert "secret" not in status
    assert "127.0.0.1" not in status
    assert str(data_env.data_dir) not in status
    assert f"The data could not be fetched. {SourceError.visitor_message}" in status
    assert "/secret/path/" in caplog.text
