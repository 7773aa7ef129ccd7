"""Build reports: optionally update the data, run the notebook, export, publish, index.

A report is built complete in a temporary folder inside ``reports/`` and renamed into place only
when every step succeeded. Any failure (source down, bad data, a cell error) removes the
temporary folder, records the failure in ``status.json`` and ``index.html``, and raises: earlier
reports are never touched, and a later success replaces only its own date's folder. The steps
themselves are in :mod:`mdvax.report.steps`. Arguments the data cannot serve are refused before
anything is written, with no "failed" row (:mod:`mdvax.report.arguments`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from pathlib import Path

from mdvax import measures
from mdvax.archive import as_date
from mdvax.cache.files import locked
from mdvax.config import get_settings
from mdvax.errors import MdvaxError, ReportArgumentError, ReportError
from mdvax.report import arguments, parallel, site
from mdvax.report.inputs import check_dates
from mdvax.report.steps import MAX_REPORT_BYTES, ReportResult, build_one, record_failure

__all__ = ["MAX_REPORT_BYTES", "ReportResult", "backfill", "report"]

#: Seconds a report run waits for another one working in the same folder.
LOCK_TIMEOUT = 600
DEFAULT_MEASURE = measures.DEFAULT


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
    early = asked and not update  # checked before the lock: nothing written yet
    failed = arguments.refuse_dates(figures, as_of) if early else None
    with _locked(out):
        site.clean_temp(out)
        try:
            if failed is not None:
                raise failed
            if update:
                from mdvax.pipeline import update as run_update

                print(run_update(source=source).summary())
            if not early:  # after the update, or today's report: checked here, once
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
