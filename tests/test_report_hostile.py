"""Text that comes from the data reaches the report escaped: Chromium runs none of it.

Quarantine happens before county names are checked, so a quarantined row can carry any text;
the report lists quarantined rows, which makes them the path hostile data would take.
"""

from __future__ import annotations

import csv
import io

import pytest

from mdvax.pipeline import update
from mdvax.report import report
from tests.support.source_server import snapshot_path

pytestmark = [pytest.mark.slow, pytest.mark.browser]

HOSTILE = "<img src=x onerror=alert(1)>"


def hostile_snapshot(folder) -> str:
    rows = list(csv.DictReader(io.StringIO(snapshot_path("2021-03-30").read_text("utf-8-sig"))))
    rows.append({**rows[0], "County": HOSTILE, "VACCINATION_DATE": "1971/01/01 15:00:00+00"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = folder / "hostile.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def test_hostile_text_in_quarantined_rows_runs_nothing(data_env, tmp_path, browser):
    result = update(from_=hostile_snapshot(tmp_path))
    assert result.meta.quarantined == 1
    built = report(tmp_path / "reports", day="2021-03-30")
    assert built.ok
    html = built.path.read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    dialogs: list[str] = []
    page = browser.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(built.path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(500)  # give an injected handler the chance to fire
    assert page.get_by_text(HOSTILE, exact=False).count() >= 1  # shown as text
    assert page.locator("img[src='x']").count() == 0
    page.goto("about:blank")
    page.close()
    assert dialogs == []
