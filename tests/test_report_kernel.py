"""The backfill's kept kernel: same notebooks as a fresh kernel, and a failure costs one run only.

Real kernels (the ``python3`` kernelspec papermill uses), small notebooks written here.
"""

from __future__ import annotations

import nbformat
import pytest

from mdvax.errors import ReportError
from mdvax.report import notebook

pytestmark = pytest.mark.slow


def make_notebook(path, *sources: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 0", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def outputs(path) -> list:
    nb = nbformat.read(path, as_version=4)
    return [(cell.execution_count, cell.get("outputs")) for cell in nb.cells]


def test_kept_kernel_runs_like_a_fresh_one_and_restarts_after_a_failure(tmp_path):
    counting = make_notebook(
        tmp_path / "counting.ipynb",
        "import sys\nruns = globals().get('runs', 0) + 1\nprint(x * 7)",
        "x + 1",  # an execute_result, which carries the execution count too
    )
    failing = make_notebook(tmp_path / "failing.ipynb", "raise ValueError('day 2 is broken')")
    dying = make_notebook(tmp_path / "dying.ipynb", "import os\nos._exit(3)")

    notebook.execute(counting, tmp_path / "fresh.ipynb", {"x": 6})
    with notebook.KeptKernel() as kernel:
        notebook.execute(counting, tmp_path / "first.ipynb", {"x": 5}, kernel=kernel)
        notebook.execute(counting, tmp_path / "second.ipynb", {"x": 6}, kernel=kernel)
        assert kernel.started == 1
        # The second run in the kept kernel is numbered and printed as a fresh kernel's run.
        assert (tmp_path / "second.ipynb").read_bytes() == (tmp_path / "fresh.ipynb").read_bytes()
        assert [count for count, _ in outputs(tmp_path / "second.ipynb")] == [1, 2, 3, 4]

        with pytest.raises(ReportError, match="ValueError: day 2 is broken"):
            notebook.execute(failing, tmp_path / "failed.ipynb", {"x": 1}, kernel=kernel)
        assert kernel.manager is None  # shut down: the next run gets a fresh kernel
        notebook.execute(counting, tmp_path / "third.ipynb", {"x": 6}, kernel=kernel)
        assert kernel.started == 2
        assert (tmp_path / "third.ipynb").read_bytes() == (tmp_path / "fresh.ipynb").read_bytes()

        with pytest.raises(ReportError):
            notebook.execute(dying, tmp_path / "died.ipynb", {"x": 1}, kernel=kernel)
        notebook.execute(counting, tmp_path / "fourth.ipynb", {"x": 6}, kernel=kernel)
        assert kernel.started == 3
        manager, sockets = kernel.manager, kernel._sockets
        assert sorted(p.name for p in sockets.iterdir())[0].startswith("kernel-")
    assert kernel.manager is None
    assert not manager.has_kernel
    assert not sockets.exists()  # the kernels' sockets are gone, none left beside the notebooks
    assert not [p.name for p in tmp_path.iterdir() if not p.name.endswith(".ipynb")]


def test_kernels_are_not_interrupted_when_they_are_shut_down(tmp_path):
    """Shutting a report kernel down sends it no SIGINT (ipykernel logged a KeyboardInterrupt).

    The notebook records any SIGINT in a file: while idle, and while ipykernel handles a request
    (it then installs ``default_int_handler``, looked up in its module).
    """
    record = tmp_path / "signals.txt"
    recording = make_notebook(
        tmp_path / "recording.ipynb",
        "import signal\nimport ipykernel.kernelbase\n"
        "def record(signum, frame):\n"
        "    with open(x, 'a') as file:\n"
        "        file.write('SIGINT\\n')\n"
        "ipykernel.kernelbase.default_int_handler = record\n"
        "get_ipython().kernel.saved_sigint_handler = record  # the handler when idle\n"
        "signal.signal(signal.SIGINT, record)",
    )
    for run in range(2):
        notebook.execute(recording, tmp_path / f"fresh{run}.ipynb", {"x": str(record)})
        assert not record.exists(), record.read_text()
