"""``mdvax report`` with the datasets beyond the county table archived: a real papermill run.

The county table comes from a real update (source server on loopback), the datasets from
``mdvax history import`` of a real git repository of the fixture files (one commit per day,
``tests/support/dataset_repo.py``). The report of 2021-11-12 reads the vintages in force then
(ZIP codes and the groups of 2021-11-09, third doses of 2021-10-22) against those in force on
2021-11-05 (2021-03-31 and 2021-05-25; the same third-dose one, the first: nothing to compare
with). Expected figures come from each day's own file, read with the ``csv`` module.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest

from mdvax.cli import main
from mdvax.normalize.third_dose import OPEN_DATA_FILE
from mdvax.normalize.zips import FILE as ZIP_FILE
from tests.support.dataset_repo import build_dataset_repo, files
from tests.test_report import n, page, text_of

pytestmark = pytest.mark.slow

AS_OF = "2021-11-12"
GENDER = "Vax_Gender_FirstSecondSingle_Count_Pivot_Cumulative_Raw.csv"
LABELS = {"Female": "Female", "Male": "Male", "Unknown": "Unknown",
          "Federal Entities": "Federal entities"}  # fmt: skip


def rows(day: str, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files(day)[name].decode("utf-8-sig"))))


def whole(text: str) -> int:
    return int(float(text)) if text.strip() else 0


def zip_fully(day: str) -> dict[str, int]:
    """Second + single doses by ZIP: Maryland's (20600-21999) and ``0``."""
    out = {}
    for row in rows(day, ZIP_FILE):
        code = int(float(row["ZIP_CODE"]))
        if code == 0 or 20600 <= code <= 21999:
            out[str(code)] = whole(row["SecondDose"]) + whole(row["SingleDose"])
    return out


def gender_running(day: str) -> dict[str, list[tuple[date, int]]]:
    """Label -> (vaccination day, second + single running total), dated up to the commit day."""
    out: dict[str, list[tuple[date, int]]] = {}
    for row in rows(day, GENDER):
        when = datetime.fromisoformat(row["VACCINATION_DATE"][:10]).date()
        if date(2020, 12, 1) <= when <= date.fromisoformat(day):
            total = whole(row["SecondDoseCumulative"]) + whole(row["SingleDoseCumulative"])
            out.setdefault(LABELS[row["Gender"].strip()], []).append((when, total))
    return out


def on_or_before(series: list[tuple[date, int]], day: date) -> int:
    return max(((d, v) for d, v in series if d <= day), default=(day, 0))[1]


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    root = tmp_path_factory.mktemp("datasets-report")
    from tests.support.source_server import SourceServer

    with SourceServer("2021-03-30") as server, pytest.MonkeyPatch.context() as mp:
        for name, value in server.environment(root / "data").items():
            mp.setenv(name, value)
        assert main(["update", "--source", "maryland-csv", "--quiet"]) == 0
        repo = build_dataset_repo(root / "VaccineCSVs")
        assert main(["history", "import", "--repo", str(repo), "--quiet"]) == 0
        out = root / "reports"
        args = ["--as-of", AS_OF, "--measure", "fully_vaccinated", "--counts"]
        assert main(["report", "--out", str(out), *args]) == 0
        yield page(out, AS_OF)  # the environment stays set for the module's tests


def section(html: str, title: str) -> str:
    """The text of the section headed ``title`` (to the next heading)."""
    start = html.index(f">{title}</h2>")
    return text_of(html[start:].split("<h2", 1)[0])


def test_zip_section_has_the_files_figures(report_page):
    text = section(report_page, "ZIP codes")
    now, before = zip_fully("2021-11-09"), zip_fully("2021-03-31")
    assert "From the data in force on 2021-11-12 (published 2021-11-09)" in text
    assert f"Maryland ZIP codes with figures {len(now) - 1:,}" in text
    assert f"Fully vaccinated, every ZIP code {n(sum(now.values()))}" in text
    assert f"of which with no ZIP code {n(now['0'])}" in text
    change = sum(now.values()) - sum(before.values())
    assert (
        f"change since the data in force on 2021-11-05 (published 2021-03-31) {change:+,}" in text
    )
    fell = {z: now[z] - before[z] for z in now if z in before and now[z] < before[z]}
    if fell:
        assert f"{len(fell):,} ZIP codes whose count fell (net {sum(fell.values()):+,})" in text
    else:
        assert "no ZIP codes whose count fell" in text


def test_gender_section_has_each_groups_figures_and_true_revisions(report_page):
    text = section(report_page, "By gender")
    running = gender_running("2021-11-09")
    newest = max(d for series in running.values() for d, _ in series)
    week = newest - timedelta(days=7)
    latest = {g: on_or_before(s, newest) for g, s in running.items()}
    total = sum(latest.values())
    assert f"fully vaccinated by gender on {newest}" in text
    for group, value in latest.items():
        change = value - on_or_before(running[group], week)
        assert f"{group} {n(value)} {100 * value / total:.1f}% {change:+,}" in text
    assert f"Total {n(total)} 100.0%" in text
    assert "Revisions since the data in force on 2021-11-05 (published 2021-05-25): " in text
    # The largest revision listed: its figures are each file's own running total that day.
    table = report_page[report_page.index('id="mdvax-gender-revisions"') :]
    cells = text_of(table.split("</tr>", 2)[1]).split()
    day, group = date.fromisoformat(cells[0]), " ".join(cells[1:-3])
    old = on_or_before(gender_running("2021-05-25")[group], day)
    new = on_or_before(running[group], day)
    assert cells[-3:] == [n(old), n(new), f"{new - old:+,}"]


def test_third_dose_section_and_an_unchanged_vintage(report_page):
    text = section(report_page, "Third doses")
    last = rows("2021-10-22", OPEN_DATA_FILE)[-1]
    when = datetime.strptime(last["ReportDate"].split()[0], "%m/%d/%Y").date()
    assert f"Third doses to {when} (cumulative) {n(whole(last['ThrDose_AdminCum']))}" in text
    assert f"third doses given on {when} {n(whole(last['ThrDose_AdminDaily']))}" in text
    assert f"7-day average {n(whole(last['ThrDose_AdminSevenDayAvg']))}" in text
    # The vintage in force a week earlier is this one, and none came before it.
    assert "Revisions: no earlier vintage to compare with." in text
    for title in ("By age", "By race", "By ethnicity"):
        assert "Revisions since the data in force on 2021-11-05 (published 2021-05-25)" in section(
            report_page, title
        )


def test_a_week_without_a_new_vintage_compares_with_the_one_before(report_page):
    from mdvax.api import load_table
    from mdvax.config import get_settings
    from mdvax.report.dataset_inputs import load

    # 2021-11-20: the groups of 2021-11-09 were already in force a week earlier (11-13).
    loaded = load("gender", date(2021, 11, 20), get_settings())
    assert (loaded.published, loaded.published_before) == (date(2021, 11, 9), date(2021, 5, 25))
    assert loaded.since == date(2021, 11, 8)
    assert loaded.before.equals(load_table("2021-05-25", dataset="gender"))
    latest = {
        g: on_or_before(s, date(2021, 5, 25)) for g, s in gender_running("2021-05-25").items()
    }
    last_day = loaded.before["date"].max()
    table = loaded.before[loaded.before["date"] == last_day].set_index("group")["fully_vaccinated"]
    assert table.to_dict() == latest
