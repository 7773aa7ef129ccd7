"""Report sections escape everything that comes from the data (no kernel needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pandas as pd

from mdvax.report import quality, recent, sections
from mdvax.report.inputs import Provenance, Revisions
from mdvax.revisions import RecentRevisions

HOSTILE = '<script>alert("x")</script>'


def provenance(**changes):
    values = {
        "source": "maryland-csv",
        "fetched_at": datetime(2021, 3, 30, 16, 5, tzinfo=UTC),
        "sha256": "ab" * 32,
        "published": date(2021, 3, 30),
        "first_date": date(2020, 12, 14),
        "last_date": date(2021, 3, 23),
        "reference": date(2021, 3, 30),
    }
    return Provenance(**{**values, **changes})


def test_provenance_escapes_the_source_and_warns_when_stale():
    html = sections.provenance(SimpleNamespace(provenance=provenance(source=HOSTILE)))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "2021-03-30 16:05:00 UTC" in html
    assert 'id="mdvax-stale"' in html
    assert "newest day is 2021-03-23, 7 days before 2021-03-30" in html


def test_fresh_source_has_no_warning():
    html = sections.provenance(SimpleNamespace(provenance=provenance(last_date=date(2021, 3, 30))))
    assert "mdvax-stale" not in html
    assert "The source is current" in html


def test_quarantined_rows_are_escaped():
    rows = pd.DataFrame(
        {"date": ["1900-01-01"], "county": [HOSTILE], "reason": ["dated before 2020-12-01"]}
    )
    html = quality.quarantine(rows)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "Quarantined rows: 1 set aside" in html


def test_revisions_table_lists_the_chosen_measure():
    changes = pd.DataFrame(
        {
            "county": ["Anne Arundel", "Kent"],
            "date": pd.to_datetime(["2021-03-23", "2021-03-22"]),
            "measure": ["first_dose", "second_dose"],
            "old": [1000, 50],
            "new": [2726, 40],
            "change": [1726, -10],
        }
    )
    revisions = Revisions(date(2021, 3, 24), changes, published=date(2021, 3, 23))
    data = SimpleNamespace(measure="first_dose", revisions=revisions)
    html = quality.revisions(data)
    assert "Revisions since the previous report (2021-03-24, data published 2021-03-23)" in html
    assert "First doses: 1 figures (net +1,726), Second doses: 1 figures (net -10)" in html
    assert "<td>Anne Arundel</td>" in html
    assert "<td>+1,726</td>" in html
    assert "Kent" not in html


def test_recent_revisions_without_vintages_or_archive():
    empty = pd.DataFrame({"published": pd.to_datetime([]), "vintage_id": [], "total": []})
    none = RecentRevisions(date(2021, 3, 3), date(2021, 3, 30), pd.DataFrame(), empty)
    html = recent.section(SimpleNamespace(recent=none))
    assert "<h2" in html
    assert "No version of the data was published from 2021-03-03 to 2021-03-30." in html
    html = recent.section(SimpleNamespace(recent=f"revisions unavailable: {HOSTILE}"))
    assert "<script>" not in html
    assert "Revisions over the last 28 days: revisions unavailable: &lt;script&gt;" in html


def test_revision_chart_is_an_svg_with_an_escaped_title_and_description():
    per_vintage = pd.DataFrame({
        "published": pd.to_datetime(["2021-05-01", "2021-05-02"]),
        "vintage_id": [1, 2],
        "first_dose_daily": [3, 0],
        "second_dose_daily": [4, 1],
        "single_dose_daily": [0, 5],
        "total": [7, 6],
    })  # fmt: skip
    window = RecentRevisions(date(2021, 4, 5), date(2021, 5, 2), pd.DataFrame(), per_vintage)
    svg = recent.chart_svg(window, "A < B", HOSTILE)
    assert (
        'role="img" aria-labelledby="mdvax-revision-counts-title mdvax-revision-counts-desc"' in svg
    )
    assert '<title id="mdvax-revision-counts-title">A &lt; B</title>' in svg
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert svg == recent.chart_svg(window, "A < B", HOSTILE)  # same data, same bytes


def test_the_packaged_snapshot_is_not_said_fetched_and_a_git_vintage_names_its_commit():
    shipped = provenance(shipped=True, published=date(2022, 3, 7), last_date=date(2022, 3, 6))
    data = SimpleNamespace(provenance=shipped, day=pd.Timestamp("2022-03-01"), report_day=None)
    for html in (sections.heading(data), sections.provenance(data)):
        assert "16:05" not in html  # the time stamp a packaged snapshot carries: nobody fetched it
        assert "shipped with mdvax" in html
    assert "fetched" not in sections.heading(data)
    commit = "a9fa4d1" + "0" * 33
    archived = provenance(source=f"git:{commit}", url="", details={"commit": commit})
    html = sections.provenance(SimpleNamespace(provenance=archived))
    assert "commit a9fa4d1 of 30 Mar 2021" in html
    assert f"git:{commit}" not in html
