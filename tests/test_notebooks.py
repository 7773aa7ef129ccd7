"""Every notebook (``notebooks/`` and the package's) runs headless, top to bottom, on data from
the real pipeline.

The cache is filled by real updates from the fixture server (the 2021-03-23 then the 2021-03-30
snapshot, so the archive holds two vintages), and each notebook is executed with papermill in
the ``python3`` kernel of this interpreter's environment, with default parameters.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

from mdvax.notebooks import NAMES, notebook_path
from mdvax.report.notebook import kernel_options
from tests.support.source_server import SourceServer

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
TOP_LEVEL = REPO / "notebooks"
#: Each notebook once: the top-level ones for researchers, the shipped ones they link to.
NOTEBOOKS = sorted(
    {p.resolve() for p in TOP_LEVEL.glob("*.ipynb")} | {notebook_path(n) for n in NAMES}
)


@pytest.fixture(scope="module")
def filled_cache(tmp_path_factory):
    """``MDVAX_DATA_DIR`` set to a cache filled from the fixture server, for the whole module."""
    from mdvax.pipeline import update

    data_dir = tmp_path_factory.mktemp("notebooks") / "data"
    with SourceServer("2021-03-23") as server, pytest.MonkeyPatch.context() as mp:
        for name, value in server.environment(data_dir).items():
            mp.setenv(name, value)
        update(source="maryland-csv")
        server.set_snapshot("2021-03-30")
        update(source="maryland-csv")
        yield data_dir


def test_there_are_notebooks():
    assert {p.name for p in NOTEBOOKS} == {"dashboard.ipynb", "explore.ipynb", "report.ipynb"}


@pytest.mark.parametrize("name", NAMES)
def test_top_level_notebooks_are_the_shipped_ones(name):
    # One source of truth: notebooks/ links to the package data (Binder and Voila URLs use it).
    link = TOP_LEVEL / name
    assert link.is_symlink()
    assert link.resolve() == notebook_path(name).resolve()
    assert notebook_path(name).parent == REPO / "mdvax" / "notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_headless(path: Path, filled_cache, tmp_path):
    output = tmp_path / path.name
    papermill.execute_notebook(
        str(path),
        str(output),
        cwd=str(path.parent),
        execution_timeout=300,
        **kernel_options(),
    )
    executed = nbformat.read(output, as_version=4)
    errors = [
        out
        for cell in executed.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert errors == []
    code_cells = [c for c in executed.cells if c.cell_type == "code" and c.source.strip()]
    assert code_cells
    assert all(c.get("execution_count") for c in code_cells)
