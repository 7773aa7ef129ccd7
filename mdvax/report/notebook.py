"""Execute the report notebook with papermill and export it as self-contained HTML.

The HTML uses the ``mdvax_report`` nbconvert template (``templates/``): JupyterLab's look
without require.js, MathJax, Mermaid or the widget manager, which the stock ``lab`` template
loads from a CDN. Figures are static (inline SVG), so the page needs no network at all;
:func:`check_offline` refuses a page that would still reference a remote resource.

Everything that changes between two runs of the same report (papermill's timings, execution
timestamps, kernel start times) is removed, so running a report twice gives the same bytes.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager

from mdvax.errors import ReportError
from mdvax.notebooks import notebook_path
from mdvax.report.access import tidy_focus

#: The report notebook run by ``mdvax report`` (package data).
REPORT_NOTEBOOK = notebook_path("report.ipynb")

#: Folder holding the ``mdvax_report`` nbconvert template.
TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Kernel the notebooks run in: the ``python3`` kernelspec of the running interpreter's prefix.
KERNEL_NAME = "python3"

#: Seconds one cell may run before the report is abandoned.
CELL_TIMEOUT = 600

#: Cells left out of the HTML page (they have no output meant for readers).
HIDDEN_CELL_TAGS = ("parameters", "injected-parameters", "summary")

#: Per-cell metadata keys that record when or how long something ran.
_VOLATILE_CELL_KEYS = ("execution", "papermill", "collapsed")

#: Attributes that fetch something when a page is opened (``href`` of ``<a>`` is a link, not a fetch).
_REMOTE_REFERENCE = re.compile(
    r"""(?:<(?:script|img|link|iframe|source|embed|object|audio|video)\b[^>]*?"""
    r"""\b(?:src|href|data)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:https?:)?//)""",
    re.IGNORECASE,
)


def execute(
    source: Path,
    output: Path,
    parameters: dict,
    cwd: Path | None = None,
    kernel: KeptKernel | None = None,
) -> None:
    """Run ``source`` with papermill into ``output`` (an ``.ipynb``), then make it reproducible.

    Parameters
    ----------
    source : Path
        Notebook with a cell tagged ``parameters``.
    output : Path
        Executed notebook to write (also written when a cell fails, with the error in it).
    parameters : dict
        Values injected after the ``parameters`` cell.
    cwd : Path, optional
        Working folder of the kernel (default: the notebook's folder).
    kernel : KeptKernel, optional
        Run in this kernel, kept for the next run (default: a new kernel, shut down after).

    Raises
    ------
    ReportError
        When a cell raises (the message names the cell and the exception) or the kernel dies.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    options = kernel.options(cwd or source.parent) if kernel is not None else kernel_options()
    executed = None
    try:
        executed = papermill.execute_notebook(
            str(source),
            str(output),
            parameters=parameters,
            cwd=str(cwd or source.parent),
            log_output=False,
            execution_timeout=CELL_TIMEOUT,
            request_save_on_cell_execute=False,  # written once at the end, not after each cell
            **options,
        )
    except PapermillExecutionError as error:
        raise ReportError(
            f"the report notebook failed in cell {error.exec_count}: "
            f"{error.ename}: {_first_line(error.evalue)}"
        ) from None
    except (RuntimeError, OSError, TimeoutError) as error:
        raise ReportError(f"could not run the report notebook {source}: {error}") from error
    finally:
        if kernel is not None:
            kernel.finished(executed is not None)
        if output.exists():
            strip_volatile(output, executed)


def kernel_options() -> dict:
    """Keyword arguments for ``papermill.execute_notebook`` choosing and starting the kernel.

    The kernel is the ``python3`` kernelspec found from this interpreter's prefix (papermill
    launches it with this interpreter), talking over local sockets instead of TCP ports, so
    parallel runs never race for a free port.
    """
    from traitlets.config import Config

    return {
        "kernel_name": KERNEL_NAME,
        "config": Config({"KernelManager": {"transport": "ipc"}}),
        "progress_bar": False,
    }


class KeptKernel:
    """One kernel for many runs of a notebook (a backfill), instead of one kernel per run.

    Starting a kernel and importing pandas, geopandas and matplotlib in it takes most of a
    report's time; a kept kernel pays that once. Each run still executes every cell of the
    notebook, so its outputs are those a fresh kernel gives (the execution counts, which keep
    growing in a kept kernel, are renumbered by :func:`strip_volatile`). A run that fails
    shuts the kernel down: the next run starts a fresh one, never a kernel left mid-cell.

    Use it as a context manager::

        with KeptKernel() as kernel:
            for parameters in runs:
                execute(source, output, parameters, kernel=kernel)
    """

    def __init__(self) -> None:
        self.manager = None
        self.started = 0  # kernels started, for tests and benchmarks
        self._sockets = None  # private folder of the kernel's sockets

    def __enter__(self) -> KeptKernel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    def options(self, cwd: Path) -> dict:
        """``papermill.execute_notebook`` keyword arguments running in the kept kernel."""
        from jupyter_core.utils import run_sync

        if self.manager is None or not run_sync(self.manager.is_alive)():
            self.shutdown()
            # Sockets at an absolute path in a private folder: the kernel (started in ``cwd``)
            # and this process (anywhere) agree on them, and no other kernel can take them.
            self._sockets = Path(tempfile.mkdtemp(prefix="mdvax-kernel-"))
            self.manager = _TrackedKernelManager(
                kernel_name=KERNEL_NAME, transport="ipc", ip=str(self._sockets / "kernel")
            )
            run_sync(self.manager.start_kernel)(cwd=str(cwd))
            self.started += 1
        return {"kernel_name": KERNEL_NAME, "km": self.manager, "progress_bar": False}

    def finished(self, ok: bool) -> None:
        """Close the run's client channels; after a failure, shut the kernel down."""
        if self.manager is not None:
            self.manager.close_clients()
        if not ok:
            self.shutdown()

    def shutdown(self) -> None:
        """Stop the kernel (if any) and remove its connection files."""
        from jupyter_core.utils import run_sync

        manager, self.manager = self.manager, None
        sockets, self._sockets = self._sockets, None
        try:
            if manager is not None:
                manager.close_clients()
                if run_sync(manager.is_alive)():
                    run_sync(manager.shutdown_kernel)(now=True)
        finally:
            if manager is not None:
                run_sync(manager.cleanup_resources)()
            if sockets is not None:
                shutil.rmtree(sockets, ignore_errors=True)


class _TrackedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` remembering its clients, so each run's channels get closed.

    nbclient stops a client's channels only when it owns the kernel manager; with a kept
    kernel each run would otherwise leave its client (and its heartbeat thread) open.
    """

    def client(self, **kwargs: object) -> object:
        """A new client, remembered for :meth:`close_clients`."""
        kc = super().client(**kwargs)
        self.__dict__.setdefault("_mdvax_clients", []).append(kc)
        return kc

    def close_clients(self) -> None:
        """Stop the channels of every client made since the last call."""
        for kc in self.__dict__.pop("_mdvax_clients", []):
            kc.stop_channels()


def _first_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))  # ANSI colours of tracebacks
    return text.strip().splitlines()[0] if text.strip() else "(no message)"


def strip_volatile(path: Path, nb: nbformat.NotebookNode | None = None) -> None:
    """Remove timings and timestamps papermill and the kernel wrote into an executed notebook.

    ``nb``: the notebook papermill returned and wrote to ``path`` (default: read ``path``).
    """
    nb = nb if nb is not None else nbformat.read(path, as_version=4)
    papermill_meta = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "environment_variables", "output_path"):
        papermill_meta.pop(key, None)
    nb.metadata.pop("widgets", None)
    count = 0
    for cell in nb.cells:
        for key in _VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.get("execution_count") is not None:
            count += 1  # a kept kernel keeps counting: number them as a fresh kernel does
            cell.execution_count = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output.execution_count = count
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill gives it a random id on every run
    _write_atomic_text(path, nbformat.writes(nb))


def export_html(notebook: Path, output: Path, title: str) -> int:
    """Export an executed notebook as ``output`` (HTML, inputs and prompts hidden).

    Returns
    -------
    int
        Size of the page in bytes.

    Raises
    ------
    ReportError
        If the page would fetch anything from the network when opened.
    """
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="mdvax_report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=set(HIDDEN_CELL_TAGS)), enabled=True
    )
    body, _ = exporter.from_notebook_node(nb)
    body = tidy_focus(body)
    check_offline(body, output.name)
    _write_atomic_text(output, body)
    return len(body.encode("utf-8"))


def read_summary(notebook: Path, tag: str = "summary") -> dict:
    """The JSON displayed by the executed notebook's cell tagged ``tag`` (empty if none)."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if tag in cell.metadata.get("tags", []):
            for output in cell.get("outputs", []):
                data = output.get("data", {}).get("application/json")
                if isinstance(data, dict):
                    return dict(data)
    return {}


def check_offline(html: str, name: str = "page") -> None:
    """Raise :class:`ReportError` if ``html`` loads a script, style, image or frame remotely."""
    match = _REMOTE_REFERENCE.search(html)
    if match:
        raise ReportError(
            f"{name} would load a remote resource when opened ({match.group(0)[:120]!r}); "
            f"reports must be self-contained"
        )


def _write_atomic_text(path: Path, text: str) -> None:
    from mdvax.report.site import write_atomic

    write_atomic(path, text.encode("utf-8"))
