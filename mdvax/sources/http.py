"""HTTP for every source: retries, timeouts, size cap, progress, conditional requests."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mdvax.config import Settings
from mdvax.errors import SourceError

USER_AGENT = "mdvax/0.1 (+Maryland COVID-19 vaccination dashboard)"
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Response:
    """A completed download: status (200 or 304), body and the validators the server sent."""

    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str


def make_session(settings: Settings) -> requests.Session:
    """A session that retries connection errors and 5xx answers with backoff (urllib3 Retry)."""
    retry = Retry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        backoff_factor=0.5,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def download(
    session: requests.Session,
    url: str,
    settings: Settings,
    *,
    params: dict | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    progress: bool = False,
    what: str = "source",
) -> Response:
    """GET ``url`` completely, or raise :class:`SourceError` saying what went wrong.

    Parameters
    ----------
    session : requests.Session
        From :func:`make_session`.
    url : str
        Endpoint.
    settings : Settings
        Timeout and size cap.
    params : dict, optional
        Query parameters.
    etag, last_modified : str, optional
        Validators from the previous download: the server may answer 304 with no body.
    progress : bool
        Show a progress bar of the bytes received.
    what : str
        Name of the source, for messages.
    """
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with session.get(
            url, params=params, headers=headers, stream=True, timeout=settings.timeout
        ) as answer:
            if answer.status_code == 304:
                return Response(304, b"", etag, last_modified, "")
            if answer.status_code != 200:
                raise SourceError(
                    f"{what} answered HTTP {answer.status_code} {answer.reason} for {url}"
                )
            body = _read_body(answer, settings, progress, what)
            return Response(
                200,
                body,
                answer.headers.get("ETag"),
                answer.headers.get("Last-Modified"),
                answer.headers.get("Content-Type", ""),
            )
    except requests.exceptions.Timeout as error:
        raise SourceError(f"{what} timed out after {settings.timeout:g} s ({url})") from error
    except requests.exceptions.ConnectionError as error:
        raise SourceError(f"cannot reach {what} at {url}: {_reason(error)}") from error
    except requests.exceptions.RetryError as error:
        raise SourceError(f"{what} kept failing at {url}: {_reason(error)}") from error
    except requests.exceptions.RequestException as error:
        raise SourceError(f"download from {what} failed ({url}): {_reason(error)}") from error


def _read_body(answer: requests.Response, settings: Settings, progress: bool, what: str) -> bytes:
    expected = answer.headers.get("Content-Length")
    total = int(expected) if expected and expected.isdigit() else None
    if total and total > settings.max_download_bytes:
        raise SourceError(
            f"{what} announced {total:,} bytes, over the {settings.max_download_bytes:,} cap"
        )
    from tqdm.auto import tqdm

    chunks, received = [], 0
    with tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        desc=f"download {what}",
        disable=not progress,
        leave=False,
    ) as bar:
        try:
            for chunk in answer.iter_content(_CHUNK):
                received += len(chunk)
                if received > settings.max_download_bytes:
                    raise SourceError(
                        f"{what} sent more than the {settings.max_download_bytes:,} byte cap"
                    )
                chunks.append(chunk)
                bar.update(len(chunk))
        except requests.exceptions.ChunkedEncodingError as error:
            expected_text = f" of {total:,}" if total else ""
            raise SourceError(
                f"{what} sent a truncated body: the connection closed after {received:,}{expected_text} bytes"
            ) from error
    encoded = answer.headers.get("Content-Encoding")
    if total is not None and not encoded and received != total:
        raise SourceError(f"{what} sent a truncated body: {received:,} of {total:,} bytes")
    return b"".join(chunks)


def _reason(error: Exception) -> str:
    """The innermost useful reason of a requests/urllib3 error."""
    text = str(error.args[0] if error.args else error)
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.strip("()'\" ")[:200]
