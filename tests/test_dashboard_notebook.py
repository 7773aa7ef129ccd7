"""The dashboard notebook (package data) runs headless (papermill) on a cache filled by the real pipeline."""

from __future__ import annotations

from datetime import date

import nbformat
import papermill
import pytest

from mdvax.dashboard.state import DEFAULT_MEASURE, PARAMETERS, ViewState
from mdvax.notebooks import notebook_path

pytestmark = pytest.mark.slow

NOTEBOOK = notebook_path("dashboard.ipynb")
#: The page opens on cumulative shares of the population (counts mostly show where people live).
OPENING = {"per_capita": True, "daily": False}


def test_notebook_is_thin_and_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    source = tagged[0].source
    for line in ("date = None", 'measure = "at_least_one"', "per_capita = True", "county = None"):
        assert line in source
    defaults = {}
    exec(source, {}, defaults)  # the cell is plain assignments: what papermill would override
    assert defaults == {**dict.fromkeys(PARAMETERS), "measure": DEFAULT_MEASURE, **OPENING}
    assert all(getattr(ViewState(date.today()), k) == v for k, v in OPENING.items())
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert sum(len(c.source.splitlines()) for c in code) < 30


def run(tmp_path, **parameters) -> nbformat.NotebookNode:
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        cwd=str(NOTEBOOK.parent),
    )
    return nbformat.read(out, as_version=4)


def last_output(nb) -> dict:
    return next(c for c in nb.cells if c.cell_type == "code" and "app = " in c.source).outputs[-1][
        "data"
    ]


def test_notebook_executes_with_papermill_parameters(filled_data_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("QUERY_STRING", raising=False)
    nb = run(
        tmp_path,
        date="2021-03-30",
        measure="fully_vaccinated",
        per_capita=False,
        county="Montgomery",
    )
    data = last_output(nb)
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"] == (
        "mdvax dashboard: ?date=2021-03-30&measure=fully_vaccinated&per_capita=0&county=24031"
    )
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


def test_url_query_overrides_parameters_in_the_kernel(filled_data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "date=2021-02-01&measure=second_dose&county=24510")
    nb = run(tmp_path, measure="first_dose")
    assert last_output(nb)["text/plain"] == (
        "mdvax dashboard: ?date=2021-02-01&measure=second_dose&per_capita=1&county=24510"
    )
