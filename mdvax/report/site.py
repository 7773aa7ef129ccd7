"""The published folder of reports: one folder per date, ``index.html``, ``latest/``.

Layout of ``reports/``::

    YYYY-MM-DD/report.html    the report, self-contained
    YYYY-MM-DD/report.ipynb   the executed notebook it was exported from
    YYYY-MM-DD/report.json    what the report was made from (see :class:`ReportRecord`)
    latest/                   copy of the newest successful report (+ index.html redirect)
    status.json               outcome of the last attempt for every date (ok / failed + message)
    index.html                every date, newest first, with its status

Every file is written to a temporary name in its own folder and renamed into place; a report
folder is built complete under a temporary name and renamed, so a reader (or a web server)
never sees half a report, and a failed run leaves earlier reports untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, fields
from datetime import date
from pathlib import Path

from mdvax.cache.files import atomic_write_bytes
from mdvax.errors import ReportError
from mdvax.templates import render

REPORT_HTML = "report.html"
REPORT_IPYNB = "report.ipynb"
REPORT_JSON = "report.json"
STATUS_JSON = "status.json"
INDEX_HTML = "index.html"
LATEST = "latest"
LOCK = ".report.lock"
TMP_PREFIX = ".tmp-"


@dataclass
class ReportRecord:
    """What one published report was made from, stored as ``report.json`` beside it.

    Attributes
    ----------
    date : str
        The report's folder (``YYYY-MM-DD``).
    message : str
        One-line summary shown in the index.
    figures_date : str
        Day of the figures.
    as_of : str or None
        Day the data was taken as published on (``--as-of``; the report's day for the daily
        run and a backfill); None: the newest data at the time.
    published : str
        Publication date of the data (the next report lists revisions since this version).
    measure, sha256, fetched_at, source_last_date : str
        Measure shown, raw file hash, fetch time and newest day of the data.
    stale : bool
        Whether the report warned that the source had not moved.
    size : int
        Size of ``report.html`` in bytes.
    """

    date: str
    message: str = ""
    figures_date: str | None = None
    as_of: str | None = None
    published: str | None = None
    measure: str | None = None
    sha256: str | None = None
    fetched_at: str | None = None
    source_last_date: str | None = None
    stale: bool = False
    size: int = 0


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; a killed write leaves a file :func:`clean_temp` removes."""
    atomic_write_bytes(path, data, prefix=TMP_PREFIX)


def temp_dir(out: Path, label: str) -> Path:
    """A new empty folder inside ``out`` (same filesystem, so it can be renamed into place)."""
    out.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{label}-", dir=out))
    path.chmod(0o755)
    return path


def replace_dir(built: Path, final: Path) -> None:
    """Put the finished folder ``built`` at ``final``, replacing what was there.

    Two renames (old out of the way, new in); the old folder is deleted only afterwards.
    """
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}old-", dir=final.parent))
        os.replace(final, old / final.name)
    os.replace(built, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def report_dates(out: Path) -> list[str]:
    """Dates that have a published report folder, oldest first."""
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir() if _is_date(p.name) and (p / REPORT_HTML).is_file())


def read_record(out: Path, day: str) -> ReportRecord | None:
    """The ``report.json`` of the report of ``day``, or ``None`` if there is none."""
    path = out / day / REPORT_JSON
    if not path.is_file():
        return None
    values = json.loads(path.read_text(encoding="utf-8"))
    return ReportRecord(
        **{f.name: values[f.name] for f in fields(ReportRecord) if f.name in values}
    )


def previous_record(out: Path, day: str) -> ReportRecord | None:
    """The newest published report dated before ``day``."""
    earlier = [d for d in report_dates(out) if d < day]
    return read_record(out, earlier[-1]) if earlier else None


def record_json(record: ReportRecord) -> bytes:
    """Stable JSON bytes of a record (sorted keys, so same content gives same bytes)."""
    return (json.dumps(asdict(record), indent=2, sort_keys=True) + "\n").encode("utf-8")


def read_status(out: Path) -> dict[str, dict]:
    """``status.json``: date -> ``{"status", "message"}`` of the last attempt."""
    path = out / STATUS_JSON
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ReportError(f"{path} is not valid JSON ({error}); fix or delete it") from None


def set_status(out: Path, day: str, status: str, message: str) -> None:
    """Record the outcome of an attempt for ``day`` and rewrite ``index.html``."""
    statuses = read_status(out)
    statuses[day] = {"status": status, "message": message}
    data = json.dumps(dict(sorted(statuses.items())), indent=2, sort_keys=True) + "\n"
    write_atomic(out / STATUS_JSON, data.encode("utf-8"))
    write_index(out)


def write_index(out: Path) -> None:
    """Rewrite ``index.html``: every date with a report or an attempt, newest first."""
    statuses = read_status(out)
    published = set(report_dates(out))
    rows = [
        _index_row(out, day, statuses.get(day, {"status": "ok", "message": ""}), day in published)
        for day in sorted(published | set(statuses), reverse=True)
    ]
    latest = f"{LATEST}/{REPORT_HTML}" if published else ""
    page = render("report/index.html.j2", latest=latest, rows=rows)
    write_atomic(out / INDEX_HTML, (page + "\n").encode("utf-8"))


def _index_row(out: Path, day: str, state: dict, published: bool) -> dict:
    """One line of the index: date, status, links (when published) and message (plain text)."""
    status = state.get("status", "ok")
    message = state.get("message", "")
    row = {"day": day, "status": status, "report": "", "notebook": ""}
    if published:
        row.update(report=f"{day}/{REPORT_HTML}", notebook=f"{day}/{REPORT_IPYNB}")
        record = read_record(out, day)
        if status != "ok":
            message += " (the report shown is from the last successful run)"
        elif record is not None and not message:
            message = record.message
    return row | {"message": message}


def update_latest(out: Path) -> None:
    """Make ``latest/`` a copy of the newest published report (nothing if there is none)."""
    dates = report_dates(out)
    if not dates:
        return
    newest = out / dates[-1]
    built = temp_dir(out, LATEST)
    for name in (REPORT_HTML, REPORT_IPYNB, REPORT_JSON):
        if (newest / name).is_file():
            shutil.copyfile(newest / name, built / name)
    redirect = render("report/redirect.html.j2", day=dates[-1], target=REPORT_HTML) + "\n"
    (built / INDEX_HTML).write_text(redirect, encoding="utf-8")
    for path in built.iterdir():
        path.chmod(0o644)
    replace_dir(built, out / LATEST)


def clean_temp(out: Path) -> None:
    """Remove temporary folders and files left by runs that were killed."""
    if not out.is_dir():
        return
    for path in out.glob(f"{TMP_PREFIX}*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _is_date(name: str) -> bool:
    try:
        return date.fromisoformat(name).isoformat() == name
    except ValueError:
        return False
