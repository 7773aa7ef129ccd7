"""Daily reports: papermill runs ``notebooks/report.ipynb`` into self-contained HTML pages.

>>> from mdvax.report import report, backfill
>>> report("reports")                                    # doctest: +SKIP
>>> backfill("2021-03-23", "2021-04-01", "reports")      # doctest: +SKIP

See ``docs/reports.md``: the folder layout, scheduling (cron, systemd, GitHub Actions) and
what a report contains.
"""

from mdvax.report.build import ReportResult, backfill, report

__all__ = ["ReportResult", "backfill", "report"]
