"""The ``maryland-github`` source against a real HTTP server playing GitHub's raw file server."""

from __future__ import annotations

import lzma
from importlib import resources

import pandas as pd

from mdvax.api import load_metadata, load_table
from mdvax.cli import main
from tests.support.github_server import RawFileServer


def county_file() -> bytes:
    """The state's 2022-03-07 county file (13 columns), as shipped in the package."""
    packed = resources.files("mdvax.embedded").joinpath("md_vax_county_2022-03-07.csv.xz")
    return lzma.decompress(packed.read_bytes())


def test_auto_reaches_the_state_repository_when_the_hub_is_gone(data_env, monkeypatch, capsys):
    dead = "http://127.0.0.1:9/gone"  # port 9 (discard): nothing listens
    monkeypatch.setenv("MDVAX_MARYLAND_CSV_URL", dead + ".csv")
    monkeypatch.setenv("MDVAX_MARYLAND_API_URL", dead + "/query")
    with RawFileServer(county_file()) as server:
        monkeypatch.setenv("MDVAX_MARYLAND_GITHUB_URL", server.url)
        assert main(["update"]) == 0
        out = capsys.readouterr().out
        line = next(x for x in out.splitlines() if x.startswith("source:"))
        assert line.startswith("source: maryland-github answered (maryland-csv: cannot reach")
        assert "maryland-api: cannot reach" in line
        meta = load_metadata()
        # No Last-Modified from GitHub: the newest data date (2022-03-06) plus one day.
        assert (meta.source, meta.published.isoformat()) == ("maryland-github", "2022-03-07")
        assert load_table()["date"].max() == pd.Timestamp("2022-03-06")
        # Unchanged file: a conditional request, answered 304 with no body.
        assert main(["update", "--source", "maryland-github"]) == 0
        assert "nothing new from maryland-github" in capsys.readouterr().out
        assert (server.bodies_sent, server.not_modified) == (1, 1)
    assert main(["history", "list"]) == 0
    assert capsys.readouterr().out.startswith(
        "2022-03-07  github   11,200 rows  2020-12-14 to 2022-03-06"
    )
