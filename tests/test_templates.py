"""HTML from Jinja templates: escaped by construction, strict, compiled once, shipped."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import jinja2
import pandas as pd
import pytest

from mdvax import format as fmt
from mdvax import templates
from mdvax.dashboard import map as dmap
from mdvax.dashboard import panel
from mdvax.provenance import Provenance
from mdvax.report import site

HOSTILE = "<script>alert('x')</script>&\""
ROOT = Path(__file__).resolve().parents[1]


def test_environment_escapes_is_strict_and_compiles_each_template_once():
    env = templates.environment()
    assert env is templates.environment()
    assert env.autoescape is True
    assert templates.template("dashboard/notes.html.j2") is templates.template(
        "dashboard/notes.html.j2"
    )
    with pytest.raises(jinja2.UndefinedError, match="notes"):
        templates.render("dashboard/notes.html.j2")
    names = env.list_templates(extensions=["j2"])
    assert {n.split("/")[0] for n in names} == {"dashboard", "report", "serve"}
    for name in names:
        templates.template(name)  # every template compiles


def test_templates_are_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["mdvax.templates"]
    shipped = {p for pattern in patterns for p in templates.TEMPLATES.glob(pattern)}
    assert shipped == set(templates.TEMPLATES.rglob("*.j2"))


def test_dashboard_fragments_escape_hostile_text():
    series = pd.DataFrame(
        {"county": [1.0, 2.0, 4.0], "state": [1.0, 1.5, 3.0]},
        index=pd.date_range("2021-03-14", periods=3),
    )
    prov = Provenance(HOSTILE, date(2021, 3, 16), fetched_at=datetime(2021, 3, 16, tzinfo=UTC))
    fragments = [
        panel.notes_html([HOSTILE]),
        panel.link_html(HOSTILE, HOSTILE),
        panel.download_html(HOSTILE, HOSTILE),
        panel.chart_svg(series, HOSTILE),
        panel.provenance_html(prov, today=date(2021, 3, 30)),
        dmap.legend_html(dmap.Picture.build({}, 100.0, HOSTILE, per_capita=False)),
    ]
    for html in fragments:
        assert "<script>" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#34;" in html
    assert "The source stopped updating on 16 Mar 2021" in fragments[4]
    assert 'stroke-dasharray="5,3"' in fragments[3]


def test_report_index_escapes_a_hostile_message(tmp_path):
    site.set_status(tmp_path, "2021-04-01", "failed", HOSTILE)
    page = (tmp_path / site.INDEX_HTML).read_text(encoding="utf-8")
    assert "<script>" not in page
    assert '<tr class="failed"><td>2021-04-01</td><td>failed</td><td>—</td>' in page
    assert "&lt;script&gt;" in page


def test_formats():
    assert fmt.count(1234567.4) == "1,234,567"
    assert (fmt.change(1234), fmt.change(-12), fmt.change(0)) == ("+1,234", "-12", "0")
    assert (fmt.percent(12.345), fmt.percent(12.345, 2)) == ("12.3%", "12.35%")
    assert (fmt.share(0.1234), fmt.share(0.1234, daily=True)) == ("0.1%", "0.12%")
    assert (fmt.day(date(2021, 3, 9)), fmt.iso(date(2021, 3, 9))) == ("9 Mar 2021", "2021-03-09")
    assert [fmt.compact(False)(v) for v in (950, 35_000, 1_200_000)] == ["950", "35k", "1.2M"]
