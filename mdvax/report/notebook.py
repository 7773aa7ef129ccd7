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
import threading
from pathlib import Path

import nbformat

from mdvax.errors import ReportError
from mdvax.notebooks import notebook_path
from mdvax.report.access import tidy_focus
from mdvax.report.kernel import KERNEL_NAME, KeptKernel, kernel_options

__all__ = [
    "KERNEL_NAME",
    "REPORT_NOTEBOOK",
    "KeptKernel",
    "check_offline",
    "execute",
    "export_html",
    "kernel_options",
    "read_summary",
    "strip_volatile",
]

#: The report notebook run by ``mdvax report`` (package data).
REPORT_NOTEBOOK = notebook_path("report.ipynb")

#: Folder holding the ``mdvax_report`` nbconvert template.
TEMPLATES = Path(__file__).resolve().parent / "templates"

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
    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(nb)
    body = tidy_focus(body)
    check_offline(body, output.name)
    _write_atomic_text(output, body)
    return len(body.encode("utf-8"))


_EXPORTERS = threading.local()


def _exporter():
    """The HTML exporter of the calling thread, made once (it compiles its templates once)."""
    exporter = getattr(_EXPORTERS, "exporter", None)
    if exporter is None:
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor

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
        _EXPORTERS.exporter = exporter
    return exporter


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
