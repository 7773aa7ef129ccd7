"""What every source returns, and checks every raw body goes through."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mdvax.errors import SourceError


@dataclass(frozen=True)
class RawSnapshot:
    """One raw download, exactly as received.

    Attributes
    ----------
    body : bytes
        The file (CSV text, or the JSON API's pages merged into one document).
    source : str
        Source name (``maryland-csv``, ``maryland-api``, ``file``).
    url : str
        Where it came from (URL or absolute path).
    kind : str
        ``"csv"`` or ``"json"``: how to parse ``body``.
    fetched_at : datetime
        When it was received (aware, UTC).
    etag, last_modified : str or None
        Validators the server sent, for the next conditional request.
    data_lag_days : int
        Without ``Last-Modified``, the publication date is the newest data date plus this
        (1 for the state's repository, which commits day D with data through D-1).
    """

    body: bytes
    source: str
    url: str
    kind: str
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    etag: str | None = None
    last_modified: str | None = None
    data_lag_days: int = 0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def sniff(body: bytes, expected: str, where: str) -> str:
    """Check that ``body`` looks like ``expected`` (``csv`` or ``json``) and return the kind.

    Catches what sources really send instead of data: nothing, an HTML page, or an
    ArcGIS error document with HTTP 200.

    Raises
    ------
    SourceError
        Naming ``where`` and what was found instead.
    """
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise SourceError(f"{where} sent an empty body instead of {expected.upper()} data")
    lowered = head[:200].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"<")):
        raise SourceError(
            f"{where} sent an HTML/XML page instead of {expected.upper()} data "
            f"(starts {head[:60].decode('utf-8', 'replace')!r}); the portal may be down"
        )
    if head.startswith(b"{"):
        if b'"error"' in body[:2048]:
            raise SourceError(f"{where} answered with an error: {_error_text(body)}")
        return "json"
    if expected == "json":
        raise SourceError(f"{where} did not send JSON (starts {head[:60]!r})")
    return "csv"


def _error_text(body: bytes) -> str:
    import json

    try:
        error = json.loads(body).get("error", {})
    except ValueError:
        return body[:200].decode("utf-8", "replace")
    details = "; ".join(str(d) for d in error.get("details") or [])
    text = f"code {error.get('code')}: {error.get('message')}"
    return f"{text} ({details})" if details else text
