"""Revisions over the state's git history: ``mdvax revisions --date``, the report's revision
sections, and a backfill in one kept kernel.

The archive is the real import of the replayed repository (``tests/support/state_repo.py``).
Every expected figure is computed here from each commit's own county file, read with
``git show COMMIT:PATH`` and the csv module: the county table as the state published it that
day (cumulative counts carried over days a county has no row, blank and ``Unknown`` rows added
up as the unassigned doses), never from mdvax.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections import defaultdict
from datetime import date, timedelta
from itertools import pairwise

import pytest

from mdvax.cli import main
from mdvax.report import site
from tests.support.axe import describe, require_axe, run_axe
from tests.support.state_repo import file_at, git, imported_history

pytestmark = pytest.mark.slow

DOSE_COLUMNS = {
    "first_dose": "FirstDoseCumulative",
    "second_dose": "SecondDoseCumulative",
    "single_dose": "SingleDoseCumulative",
}
DAILY_LABELS = {
    "first_dose": "First doses (daily)",
    "second_dose": "Second doses (daily)",
    "single_dose": "Single doses (J&J) (daily)",
}
UNASSIGNED_LABELS = ("", "Unknown")
#: The backfill the tests build (the benchmark builds all 61 days, 2021-04-01 to 05-31): it
#: spans the file's change from 8 to 12 columns (05-05) and a day with two commits (05-06).
BACKFILL = ("2021-05-03", "2021-05-07")


def vintage_commits(repo) -> dict[str, str]:
    """Publication day (America/New_York) -> that day's last commit, from git itself."""
    out = git(repo, "log", "--format=%H %ct %cd", "--date=format-local:%Y-%m-%d",
              env={"TZ": "America/New_York"})  # fmt: skip
    latest: dict[str, tuple[int, str]] = {}
    for line in out.decode().split("\n"):
        if line:
            sha, stamp, day = line.split()
            latest[day] = max(latest.get(day, (0, "")), (int(stamp), sha))
    return {day: sha for day, (_, sha) in sorted(latest.items())}


def iso_day(text: str) -> str:
    """``2021-05-05...`` or ``5/5/2021 15:00`` (the files use both) as ``2021-05-05``."""
    stamp = text.split()[0].split("T")[0]
    if "/" in stamp:
        month, day, year = stamp.split("/")
        return date(int(year), int(month), int(day)).isoformat()
    return date.fromisoformat(stamp).isoformat()


def county_table(text: str, dose: str) -> dict[tuple[str, str], int]:
    """(county, day) -> cumulative ``dose`` in one published file, as the state's table reads.

    Every county has a value on every day from the file's first to its last: a label's count
    is carried over days it has no row (0 before its first); blank and ``Unknown`` rows are
    the Unassigned county.
    """
    by_label: dict[str, dict[str, int]] = defaultdict(dict)
    for row in csv.DictReader(io.StringIO(text)):
        by_label[row["County"].strip()][iso_day(row["VACCINATION_DATE"])] = int(
            float(row[DOSE_COLUMNS[dose]] or 0)
        )
    days = sorted({d for values in by_label.values() for d in values})
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    grid = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    table: dict[tuple[str, str], int] = defaultdict(int)
    for label, values in by_label.items():
        county = "Unassigned" if label in UNASSIGNED_LABELS else label
        carried = 0
        for day in grid:
            carried = values.get(day, carried)
            table[county, day] += carried
    return dict(table)


def daily(cumulative: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """Daily counts: each day's cumulative minus the day before's (the first day: all of it)."""
    out = {}
    for (county, day), value in cumulative.items():
        before = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
        out[county, day] = value - cumulative.get((county, before), 0)
    return out


def changed(old: dict, new: dict) -> dict:
    """key -> (old, new) for the keys of both whose value differs."""
    return {k: (old[k], new[k]) for k in old.keys() & new.keys() if old[k] != new[k]}


def n(value: int) -> str:
    return f"{value:,}"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


def table_rows(html: str, element_id: str) -> list[list[str]]:
    """The body rows of the table ``id=element_id`` of a page, as lists of cell texts."""
    start = html.index(f'id="{element_id}"')
    body = html[html.index("<tbody>", start) : html.index("</tbody>", start)]
    return [
        [text_of(cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
    ]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """The replayed repository, its vintages' commits, and a data folder whose archive holds
    its 61 vintages (imported once for the module; the tests only read it)."""
    root = tmp_path_factory.mktemp("revisions")
    with imported_history(root) as repo:
        commits = vintage_commits(repo)
        assert len(commits) == 61
        yield repo, commits, root


@pytest.fixture(scope="module")
def files(history):
    """Publication day -> text of that day's county file (cached: read once each)."""
    repo, commits, _ = history
    cache: dict[str, str] = {}

    def text(day: str) -> str:
        if day not in cache:
            cache[day] = file_at(repo, commits[day])
        return cache[day]

    return text


@pytest.fixture(scope="module")
def backfilled(history):
    """``mdvax report --backfill`` over :data:`BACKFILL` (one kernel for the five reports)."""
    out = history[2] / "reports"
    assert main(["report", "--out", str(out), "--backfill", *BACKFILL]) == 0
    return out


def test_revision_series_of_one_county_day(history, files, capsys):
    _, commits, _ = history
    county, day = "Prince George's", "2021-04-27"
    argv = ["revisions", "--county", "prince georges", "--measure", "second_dose", "--date", day]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()

    # Expected: the day's value in every file that reached it, and its change from the one before.
    expected, previous = [], None
    for published in commits:
        table = county_table(files(published), "second_dose")
        if (county, day) not in table:
            continue  # this file's data ends before the day
        value = table[county, day]
        change = "" if previous is None else f"{value - previous:+,}" if value != previous else "0"
        expected.append([published, n(value), change] if change else [published, n(value)])
        previous = value
    assert len(expected) == 34  # published 2021-04-28 (data to the 27th) to 2021-05-31
    assert [line.split() for line in lines[2:]] == expected
    first, latest = int(expected[0][1].replace(",", "")), int(expected[-1][1].replace(",", ""))
    assert first != latest
    n_changed = sum(1 for row in expected[1:] if row[2] != "0")
    assert lines[0] == (
        f"{county} second_dose on {day}: {len(expected)} vintage(s), {n_changed} changed it; "
        f"first published {n(first)} on {expected[0][0]}, latest {n(latest)} on "
        f"{expected[-1][0]} ({latest - first:+,})"
    )
    assert lines[1].split() == ["published", "value", "change"]

    # --as-of cuts the series; a day no vintage reached is an error naming the data's range.
    assert main([*argv, "--as-of", "2021-05-01", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["published", "vintage_id", "value", "change"]
    assert [r[0] for r in rows[1:]] == [e[0] for e in expected if e[0] <= "2021-05-01"]
    assert [int(r[2]) for r in rows[1:]] == [
        int(e[1].replace(",", "")) for e in expected if e[0] <= "2021-05-01"
    ]
    assert main(["revisions", "--county", county, "--date", "2021-06-02"]) == 6
    assert "the archived data runs from 2020-12-14 to 2021-05-30" in capsys.readouterr().err


def test_revision_series_of_the_state(history, files, capsys):
    """``--county Maryland``: every county and the unassigned doses added up, in each vintage."""
    _, commits, _ = history
    day = "2021-05-24"
    argv = ["revisions", "--county", "Maryland", "--measure", "at_least_one", "--date", day]
    assert main([*argv, "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]
    expected = []
    for published in commits:
        first = county_table(files(published), "first_dose")
        single = county_table(files(published), "single_dose")
        values = [v + single[k] for k, v in first.items() if k[1] == day]
        if values:
            expected.append((published, sum(values)))
    assert len(expected) == 7
    assert [(r[0], int(r[2])) for r in rows] == expected
    changes = [str(b - a) for (_, a), (_, b) in pairwise(expected)]
    assert [r[3] for r in rows] == ["", *changes]


def test_backfill_builds_every_day_in_one_kernel(backfilled):
    days = [f"2021-05-0{i}" for i in range(3, 8)]
    assert site.report_dates(backfilled) == days
    for day in days:
        record = json.loads((backfilled / day / site.REPORT_JSON).read_text())
        assert (record["as_of"], record["published"]) == (day, day)
    # The state commits day D with data through D-1: the report of D shows D-1.
    page = text_of((backfilled / "2021-05-05" / site.REPORT_HTML).read_text())
    assert "Figures of 2021-05-04, from the data published 2021-05-05" in page
    status = site.read_status(backfilled)
    assert [status[d]["status"] for d in days] == ["ok"] * 5


def test_previous_report_comparison(backfilled, files):
    """The report of 05-06 against the vintage published on 05-05, the previous report's day."""
    html = (backfilled / "2021-05-06" / site.REPORT_HTML).read_text()
    page = text_of(html)
    old = {d: county_table(files("2021-05-05"), d) for d in ("first_dose", "single_dose")}
    new = {d: county_table(files("2021-05-06"), d) for d in ("first_dose", "single_dose")}
    at_least_one = {
        which: {k: v + tables["single_dose"][k] for k, v in tables["first_dose"].items()}
        for which, tables in (("old", old), ("new", new))
    }
    revised = changed(at_least_one["old"], at_least_one["new"])
    net = sum(b - a for a, b in revised.values())
    assert "Revisions since the previous report (2021-05-05, data published 2021-05-05)" in page
    assert f"At least one dose: {n(len(revised))} figures (net {net:+,})" in page
    (county, day), (before, after) = max(revised.items(), key=lambda kv: abs(kv[1][1] - kv[1][0]))
    second = sorted((abs(b - a) for a, b in revised.values()), reverse=True)[1]
    assert abs(after - before) > second  # a unique largest revision
    rows = table_rows(html, "mdvax-revisions")
    assert rows[0] == [county, day, n(before), n(after), f"{after - before:+,}"]


def test_revisions_over_the_last_28_days(backfilled, history, files):
    """The report of 05-07: every vintage published 04-10 to 05-07 against the one before it."""
    _, commits, _ = history
    days = list(commits)
    html = (backfilled / "2021-05-07" / site.REPORT_HTML).read_text()
    window = [d for d in days if "2021-04-10" <= d <= "2021-05-07"]
    assert len(window) == 27  # nothing was committed on 2021-04-11
    revisions, per_vintage = [], {}
    for published in window:
        before = days[days.index(published) - 1]
        count = 0
        for dose in DOSE_COLUMNS:
            old = daily(county_table(files(before), dose))
            new = daily(county_table(files(published), dose))
            for (county, day), (a, b) in changed(old, new).items():
                revisions.append((abs(b - a), county, day, dose, a, b, published))
                count += 1
        per_vintage[published] = count
    revisions.sort(reverse=True)
    assert revisions[0][0] > revisions[1][0]  # a unique largest revision
    _, county, day, dose, before, after, published = revisions[0]

    page = text_of(html)
    assert "Revisions over the last 28 days" in page
    assert (
        f"The 27 versions of the data published from 2021-04-10 to 2021-05-07 revised "
        f"{n(len(revisions))} daily counts"
    ) in page
    rows = table_rows(html, "mdvax-recent-revisions")
    assert len(rows) == 10
    assert rows[0] == [
        county, day, DAILY_LABELS[dose], n(before), n(after), f"{after - before:+,}", published
    ]  # fmt: skip
    assert [r[5] for r in rows] == [f"{r[5] - r[4]:+,}" for r in revisions[:10]]

    # The chart: an SVG image with a title and a description, a caption, and its table.
    tag = next(t for t in re.findall(r"<img [^>]*>", html) if 'id="mdvax-revision-counts"' in t)
    image = dict(re.findall(r'([a-z-]+)="([^"]*)"', tag))
    svg = base64.b64decode(image["src"].split("base64,")[1]).decode()
    assert image["aria-describedby"] == "mdvax-revision-counts-caption"
    title = "Daily counts revised by each version published from 2021-04-10 to 2021-05-07"
    assert image["alt"] == title
    assert 'role="img"' in svg
    assert f'<title id="mdvax-revision-counts-title">{title}</title>' in svg
    busiest = max(per_vintage, key=per_vintage.get)
    described = f"the most, {n(per_vintage[busiest])}, by the version published {busiest}"
    assert described in svg
    assert described in text_of(html[html.index('id="mdvax-revision-counts-caption"') :])
    counts = table_rows(html, "mdvax-revision-counts-table")
    assert [(r[0], r[-1]) for r in counts] == [(d, n(per_vintage[d])) for d in window]


def test_rebuilt_report_is_identical_and_compares_with_the_previous_report(backfilled, files):
    """A report built alone (a fresh kernel) is the same bytes as in the backfill's kept kernel;
    without the previous day's report, it compares with the report before that."""
    day = "2021-05-07"
    before = {name: (backfilled / day / name).read_bytes() for name in
              (site.REPORT_HTML, site.REPORT_IPYNB, site.REPORT_JSON)}  # fmt: skip
    assert main(["report", "--out", str(backfilled), "--backfill", day, day]) == 0
    for name, data in before.items():
        assert (backfilled / day / name).read_bytes() == data, name

    # Remove the report of 05-06: the previous report of 05-07 is now 05-05's.
    for path in (backfilled / "2021-05-06").iterdir():
        path.unlink()
    (backfilled / "2021-05-06").rmdir()
    assert main(["report", "--out", str(backfilled), "--backfill", day, day]) == 0
    page = text_of((backfilled / day / site.REPORT_HTML).read_text())
    assert "Revisions since the previous report (2021-05-05, data published 2021-05-05)" in page
    old = county_table(files("2021-05-05"), "first_dose")
    new = county_table(files("2021-05-07"), "first_dose")
    revised = changed(old, new)
    net = sum(b - a for a, b in revised.values())
    assert f"First doses: {n(len(revised))} figures (net {net:+,})" in page


@pytest.mark.browser
def test_revision_sections_meet_wcag_aa(backfilled, browser):
    """axe-core on a report with both revision sections, opened from disk, network blocked."""
    require_axe()
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
    )
    page = context.new_page()
    page.goto((backfilled / "2021-05-05" / site.REPORT_HTML).resolve().as_uri(), wait_until="load")
    violations = run_axe(page)
    assert violations == [], describe(violations)
    levels = page.evaluate("() => [...document.querySelectorAll('h1,h2,h3')].map(h => h.tagName)")
    assert levels[-1] == "H2"  # the section is a section of its own, after "Data quality"
    assert page.locator("#revisions-over-the-last-28-days").inner_text() == (
        "Revisions over the last 28 days"
    )
    chart = page.locator("#mdvax-revision-counts")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    page.locator("#mdvax-revision-counts-details summary").click()
    assert page.locator("#mdvax-revision-counts-table caption").inner_text() == (
        "Daily counts revised by each version"
    )
    context.close()
