"""What the public page says about its data (issue 21, item 5): one date, no shell commands.

The banner, the "About the data" section and the still picture must agree on the day the source
stopped, derived from the data shown (not written in prose); the packaged snapshot is said to be
shipped with mdvax, not "fetched". Expected days are read from the raw files with the csv module.
"""

from __future__ import annotations

import csv
import io
import json
import lzma
from datetime import UTC, date, datetime
from importlib import resources

from mdvax import format as fmt
from mdvax.dashboard import build_app, panel
from mdvax.notebooks import notebook_path
from mdvax.provenance import Provenance, source_text, stopped_on
from mdvax.serve.static_view import render_view
from tests.support.raw_figures import raw_rows

#: A day long after the state stopped publishing (the pages are read years later).
LATER = date(2026, 12, 4)


def embedded_raw() -> tuple[date, date]:
    """Last data day and publication day of the packaged snapshot (csv module, its JSON)."""
    package = resources.files("mdvax.embedded")
    body = lzma.decompress(package.joinpath("md_vax_county_2022-03-07.csv.xz").read_bytes())
    days = set()
    for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig"))):
        month, dom, year = row["VACCINATION_DATE"].split()[0].split("/")
        days.add(date(int(year), int(month), int(dom)))
    meta = json.loads(package.joinpath("md_vax_county_2022-03-07.json").read_text("utf-8"))
    return max(days), date.fromisoformat(meta["published"])


def public_texts(app) -> dict[str, str]:
    """Every place the page describes its data: banner, About section, still picture."""
    d = app.dashboard
    return {
        "banner": d.provenance.value,
        "about": d.about.value,
        "still": str(render_view(d.data, d.state)),
    }


def test_every_place_gives_the_day_the_embedded_source_stopped(data_env):
    last, _published = embedded_raw()
    texts = public_texts(build_app())
    for where, text in texts.items():
        assert f"stopped updating on {fmt.day(last)}" in text, where
        assert "in 2021" not in text, where
    assert "About the data" in texts["about"]
    # The notebook no longer states a date of its own.
    notebook = json.loads(notebook_path("dashboard.ipynb").read_text(encoding="utf-8"))
    prose = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    assert "stopped updating" not in prose


def test_the_day_follows_the_data_another_snapshot_gives_another_day(filled_data_dir):
    last = max(date.fromisoformat(r["VACCINATION_DATE"][:10].replace("/", "-"))
               for r in raw_rows("2021-03-30"))  # fmt: skip
    assert last != embedded_raw()[0]
    for where, text in public_texts(build_app()).items():
        assert f"stopped updating on {fmt.day(last)}" in text, where


def test_the_public_page_offers_no_shell_command(data_env):
    for where, text in public_texts(build_app()).items():
        assert "mdvax update" not in text, where
        assert "`" not in text, where


def test_the_packaged_snapshot_is_said_shipped_by_mdvax_not_fetched(data_env):
    _last, published = embedded_raw()
    banner = build_app().dashboard.provenance.value
    assert "fetched" not in banner
    assert "shipped with mdvax" in banner
    assert f"published it on {fmt.day(published)}" in banner


def test_stopped_on_is_the_last_day_of_newest_data_that_has_not_moved():
    fetched = datetime(2021, 3, 30, 16, tzinfo=UTC)
    prov = Provenance("maryland-csv", date(2021, 3, 29), fetched_at=fetched)
    assert stopped_on(prov, today=date(2021, 3, 31)) is None  # 2 days: still updating
    assert stopped_on(prov, today=date(2021, 4, 1)) == date(2021, 3, 29)
    archived = Provenance("git:0123456789abcdef", date(2021, 3, 29), as_of=date(2021, 3, 30))
    assert stopped_on(archived, today=LATER) is None  # an old vintage: the source went on
    html = panel.provenance_html(prov, today=date(2021, 4, 1))
    assert "stopped updating on 29 Mar 2021" in html
    assert "fetched 2021-03-30 16:00 UTC" in html  # a real download keeps its fetch time


def test_a_git_vintage_reads_as_a_commit_of_the_states_repository_on_its_day():
    details = {"commit": "a9fa4d1e198ba28a480fec8024da90b269ded6f8", "path": "County.csv"}
    prov = Provenance(
        "git:a9fa4d1e198ba28a480fec8024da90b269ded6f8", date(2021, 10, 14),
        published=date(2021, 10, 15), as_of=date(2021, 10, 15), details=details,
    )  # fmt: skip
    assert source_text(prov) == "the state's git repository, commit a9fa4d1 of 15 Oct 2021"
    # An archive older than the details column: the commit comes from the source name.
    bare = Provenance("git:0123456789abcdef", date(2021, 10, 14), published=date(2021, 10, 16))
    assert source_text(bare) == "the state's git repository, commit 0123456 of 16 Oct 2021"
