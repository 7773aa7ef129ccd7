"""One vocabulary: every entry point rejects an unknown measure with the same error."""

from __future__ import annotations

from datetime import date

import pytest

from mdvax import measures, stats
from mdvax.archive import Archive
from mdvax.cli import main
from mdvax.dashboard import state as st
from mdvax.errors import MdvaxError, UnknownMeasureError
from mdvax.normalize import DAILY, MEASURES
from mdvax.report import report
from mdvax.report.inputs import gather

BAD = "boosters"
MESSAGE = f"unknown measure '{BAD}': choose one of {', '.join(measures.NAMES)}"


def test_the_vocabulary_is_one_list():
    assert MEASURES == measures.NAMES
    assert tuple(f"{m}_daily" for m in measures.NAMES) == DAILY
    assert tuple(stats.MEASURES) == measures.NAMES
    assert measures.DEFAULT in measures.NAMES
    assert st.DEFAULT_MEASURE == measures.DEFAULT
    assert measures.column("second_dose", daily=True) == "second_dose_daily"
    assert measures.label("single_dose", per_capita=True) == "Single doses (J&J) (% of population)"
    assert issubclass(UnknownMeasureError, MdvaxError)


@pytest.mark.parametrize(
    "call",
    [
        lambda: measures.check(BAD),
        lambda: stats.column(BAD, daily=True),
        lambda: stats.label(BAD),
        lambda: st.update(st.ViewState(date(2021, 3, 23)), measure=BAD),
        lambda: gather(measure=BAD),
    ],
    ids=["measures", "stats.column", "stats.label", "dashboard.update", "report.gather"],
)
def test_each_entry_point_raises_the_same_error(call):
    with pytest.raises(UnknownMeasureError) as caught:
        call()
    assert str(caught.value) == MESSAGE
    assert caught.value.value == BAD


def test_dashboard_link_turns_the_error_into_a_note():
    view, notes = st.resolve({}, f"measure={BAD}", date(2021, 1, 1), date(2021, 3, 30))
    assert view.measure == measures.DEFAULT
    assert notes == [f"Ignored {MESSAGE}; showing the default instead."]
    long = "x" * 500  # a value from a URL is quoted back short
    _, notes = st.resolve({}, f"measure={long}", date(2021, 1, 1), date(2021, 3, 30))
    assert f"'{'x' * 40}…'" in notes[0]
    assert len(notes[0]) < 200


def test_archive_and_report_raise_the_same_error(data_env, tmp_path):
    with Archive.open() as archive:
        with pytest.raises(UnknownMeasureError) as caught:
            archive.revisions("Kent", f"{BAD}_daily")
        assert str(caught.value).startswith(f"unknown measure '{BAD}_daily': choose one of")
        assert "first_dose_daily" in str(caught.value)  # the archive also takes daily columns
        with pytest.raises(UnknownMeasureError, match=f"^{MESSAGE}"):
            archive.changes_between("2021-03-23", "2021-03-30", ["first_dose", BAD])
    out = tmp_path / "reports"
    with pytest.raises(UnknownMeasureError, match=f"^{MESSAGE}$"):
        report(out, day="2021-03-23", measure=BAD)
    assert not out.exists()  # rejected before anything was written


COLUMNS_MESSAGE = f"unknown measure '{BAD}': choose one of {', '.join(measures.COLUMNS)}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--measure", BAD], MESSAGE),
        (["report", "--backfill", "2021-03-23", "2021-03-24", "--measure", BAD], MESSAGE),
        (["revisions", "--county", "Kent", "--measure", BAD], COLUMNS_MESSAGE),
    ],
    ids=["report", "backfill", "revisions"],
)
def test_command_line_gives_the_same_error_and_exit_code(argv, message, data_env, tmp_path, capsys):
    if argv[0] == "report":
        argv = [*argv, "--out", str(tmp_path / "reports")]
    assert main(argv) == UnknownMeasureError.exit_code == 2
    assert capsys.readouterr().err == f"mdvax {argv[0]}: error: {message}\n"
    assert not (tmp_path / "reports").exists()
