"""Build reports: optionally update the data, run the notebook, export, publish, index.

A report is built complete in a temporary folder inside ``reports/`` and renamed into place only
when every step succeeded. Any failure (source down, bad data, a cell error) removes the
temporary folder, records the failure in ``status.json`` and ``index.html``, and raises: earlier
reports are never touched, and a later success replaces only its own date's folder.
Arguments the data cannot serve are refused before anything is written, with no "failed" row
(:mod:`mdvax.report.arguments`).
"""

from __future__ import annotations

import logging
import shutil
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from mdvax import measures
from mdvax.archive import as_date
from mdvax.cache.files import locked
from mdvax.config import get_settings
from mdvax.errors import MdvaxError, ReportArgumentError, ReportError
from mdvax.report import arguments, notebook, site
from mdvax.report.inputs import check_dates

log = logging.getLogger(__name__)

#: Largest report the project accepts (the issue's limit).
MAX_REPORT_BYTES = 2 * 1024 * 1024
#: Seconds a report run waits for another one working in the same folder.
LOCK_TIMEOUT = 600
DEFAULT_MEASURE = measures.DEFAULT


@dataclass(frozen=True)
class ReportResult:
    """Outcome of one report.

    Attributes
    ----------
    date : str
        The report's folder name (``YYYY-MM-DD``).
    ok : bool
        Whether the report was published.
    message : str
        Summary (success) or the reason it failed.
    path : Path or None
        The published ``report.html``.
    size : int
        Its size in bytes.
    seconds : float
        Time taken (update excluded).
    """

    date: str
    ok: bool
    message: str
    path: Path | None = None
    size: int = 0
    seconds: float = 0.0


def _locked(out: Path) -> AbstractContextManager[None]:
    return locked(
        out / site.LOCK,
        LOCK_TIMEOUT,
        f"another `mdvax report` has been writing to {out} for too long",
        ReportError,
    )


def report(
    out: str | Path = "reports",
    day: str | date | None = None,
    update: bool = False,
    measure: str = measures.DEFAULT,
    per_capita: bool = True,
    source: str = "auto",
    as_of: str | date | None = None,
) -> ReportResult:
    """Build one report into ``out/YYYY-MM-DD/``.

    Parameters
    ----------
    day : date, optional
        The day whose figures are reported, and the report's folder. Default: the newest day
        of the data, in the folder of the ``as_of`` day, else of today (UTC).
    as_of : date, optional
        Read the data as published on this day (the archive's vintage in force then).
        Default: the newest data (the cache). Without ``day`` either, the report is today's:
        the newest data, judged stale when its newest day is well before today.

    Raises
    ------
    UnknownMeasureError
        For an unknown measure (before anything is written).
    ReportArgumentError
        Before anything is written (after the update, with ``update``), when ``day`` or
        ``as_of`` does not fit the data: ``day`` outside the data as published on ``as_of``
        (the newest data without it), ``as_of`` before the oldest archived vintage or in the
        future.
    MdvaxError
        After recording the failure in the index, when any other step fails.
    """
    measures.check(measure)
    out = Path(out)
    figures = as_date(day, "report date") if day else None
    as_of = as_date(as_of, "as-of date") if as_of else None
    asked = figures is not None or as_of is not None
    folder = (figures or as_of or datetime.now(UTC).date()).isoformat()
    arguments.refuse_future(as_of, "as-of date")
    if not asked:
        as_of = datetime.now(UTC).date()  # today's report: the data as published today
    elif not update:
        arguments.refuse_dates(figures, as_of)  # before the lock: nothing written yet
    with _locked(out):
        site.clean_temp(out)
        try:
            if update:
                from mdvax.pipeline import update as run_update

                print(run_update(source=source).summary())
            check_dates(get_settings(), figures, as_of)
        except MdvaxError as error:
            if not (asked and isinstance(error, ReportArgumentError)):
                record_failure(out, folder, error)
            raise
        result = build_one(out, folder, measure, per_capita, figures, as_of)
        site.update_latest(out)
        return result


def backfill(
    start: str | date,
    end: str | date,
    out: str | Path = "reports",
    measure: str = measures.DEFAULT,
    per_capita: bool = True,
    jobs: int | None = None,
) -> list[ReportResult]:
    """One report per day D from ``start`` to ``end`` (inclusive), from the archive.

    The report of D reads the data as published on D (the newest vintage published on or
    before D) and shows its newest day: D itself when the source had reached D, else the
    source's newest day, with the staleness warning. Failures are recorded and the other days
    still built. ``jobs`` kept kernels (:class:`mdvax.report.notebook.KeptKernel`) run the days
    at once (default: :func:`mdvax.report.parallel.default_jobs`); the reports are the same
    bytes as built one by one, each comparing with the one before it
    (:func:`mdvax.report.parallel.build_days`).
    """
    from mdvax.report import parallel

    measures.check(measure)
    jobs = parallel.default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ReportError(f"jobs must be at least 1 (not {jobs})")
    days, oldest = arguments.backfill_days(start, end)  # refused before anything is written
    out = Path(out)
    with _locked(out):
        site.clean_temp(out)
        results = parallel.build_days(out, days, oldest, measure, per_capita, jobs)
        site.update_latest(out)
    return results


def build_one(
    out: Path,
    folder: str,
    measure: str,
    per_capita: bool,
    figures: date | None,
    as_of: date | None,
    kernel: notebook.KeptKernel | None = None,
) -> ReportResult:
    """Run, export and publish a report into ``folder``; record a failure and re-raise.

    ``figures`` is the day reported (None: the newest in the data), ``as_of`` the day the
    data is read as published on (None: the newest data); ``kernel``: run in that kept kernel.
    """
    started = time.perf_counter()
    values = parameters(measure, per_capita, figures, as_of, previous_day(out, folder))
    built = site.temp_dir(out, folder)
    try:
        summary = run_notebook(built, values, kernel)
        record = export(built, folder, summary, as_of)
    except BaseException as error:
        discard(out, folder, built, error)
        raise
    return publish(out, built, record, time.perf_counter() - started)


def parameters(
    measure: str, per_capita: bool, figures: date | None, as_of: date | None, previous: str | None
) -> dict:
    """The report notebook's parameters (``previous``: :func:`previous_day`)."""
    return {
        "report_date": figures.isoformat() if figures else None,
        "data_dir": str(get_settings().data_dir),
        "measure": measure,
        "per_capita": per_capita,
        "as_of": as_of.isoformat() if as_of else None,
        "previous_as_of": previous,
    }


def run_notebook(built: Path, values: dict, kernel: notebook.KeptKernel | None) -> dict:
    """Execute the report notebook into ``built``; its summary (raises when there is none)."""
    executed = built / site.REPORT_IPYNB
    notebook.execute(notebook.REPORT_NOTEBOOK, executed, values, kernel=kernel)
    summary = notebook.read_summary(executed)
    if not summary:
        raise ReportError("the report notebook produced no summary cell output")
    return summary


def export(built: Path, folder: str, summary: dict, as_of: date | None) -> site.ReportRecord:
    """Export the executed notebook in ``built`` as HTML and write its ``report.json``."""
    title = f"Maryland COVID-19 vaccinations: report of {folder}"
    size = notebook.export_html(built / site.REPORT_IPYNB, built / site.REPORT_HTML, title)
    if size > MAX_REPORT_BYTES:
        raise ReportError(f"the report is {size:,} bytes, over the {MAX_REPORT_BYTES:,} limit")
    record = _record(folder, summary, size, as_of)
    site.write_atomic(built / site.REPORT_JSON, site.record_json(record))
    return record


def publish(out: Path, built: Path, record: site.ReportRecord, seconds: float) -> ReportResult:
    """Put the finished folder ``built`` in place of the report of ``record.date``."""
    try:
        site.replace_dir(built, out / record.date)
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    site.set_status(out, record.date, "ok", "")
    path = out / record.date / site.REPORT_HTML
    return ReportResult(record.date, True, record.message, path, record.size, seconds)


def discard(out: Path, folder: str, built: Path, error: BaseException) -> None:
    """Remove an unfinished report folder; record the failure when it is the project's error."""
    shutil.rmtree(built, ignore_errors=True)
    if isinstance(error, MdvaxError):
        record_failure(out, folder, error)


def previous_day(out: Path, folder: str) -> str | None:
    """The day the previous report (the newest before ``folder``) read its data as published on.

    This report lists the revisions since the vintage in force on that day.
    """
    return _previous_day(site.previous_record(out, folder))


def _previous_day(previous: site.ReportRecord | None) -> str | None:
    """The day ``previous`` read its data as published on (or its data's publication day)."""
    if previous is None:
        return None
    return previous.as_of or previous.published


def _record(folder: str, summary: dict, size: int, as_of: date | None) -> site.ReportRecord:
    label = measures.LABELS[summary["measure"]]
    message = (
        f"{label}: {summary['value']:,} on {summary['figures_date']} "
        f"({summary['change_7d']:+,} in 7 days); data published {summary['published']}"
    )
    if summary.get("stale"):
        message += f"; STALE: the source's newest day is {summary['source_last_date']}"
    if summary.get("revisions"):
        message += f"; {summary['revisions']:,} revised figures"
    return site.ReportRecord(
        date=folder,
        message=message,
        figures_date=summary["figures_date"],
        as_of=as_of.isoformat() if as_of else None,
        published=summary["published"],
        measure=summary["measure"],
        sha256=summary["sha256"],
        fetched_at=summary["fetched_at"],
        source_last_date=summary["source_last_date"],
        stale=bool(summary.get("stale")),
        size=size,
    )


def record_failure(out: Path, folder: str, error: Exception) -> None:
    """Record in ``status.json`` and the index that the report of ``folder`` failed."""
    log.info("report %s failed: %s", folder, error)
    site.set_status(out, folder, "failed", f"{type(error).__name__}: {error}")
