"""A real HTTP server on 127.0.0.1 that plays Maryland's open-data endpoints.

It serves a raw snapshot committed in ``tests/data/`` two ways, as the real services do:

- ``GET /maryland.csv``: the CSV download, with ``ETag`` and ``Last-Modified`` and ``304`` answers
  to conditional requests;
- ``GET /query?...&f=json``: an ArcGIS FeatureServer-like paged JSON API (epoch-millisecond dates,
  ``exceededTransferLimit``, at most ``max_page`` rows a page whatever the client asks for).

Faults are switched on per test with :attr:`SourceServer.fault` (see :data:`FAULTS`).
"""

from __future__ import annotations

import csv
import email.utils
import hashlib
import io
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from tests.support.data_files import snapshot_days, snapshot_path

__all__ = ["FAULTS", "SourceServer", "csv_to_features", "snapshot_days", "snapshot_path"]


#: Fault names understood by the server.
FAULTS = (
    "http500",  # HTTP 500 with a short body
    "arcgis_error",  # HTTP 200 with {"error": {...}} (the JSON API's way of failing)
    "html",  # HTTP 200 with an HTML page (a portal's maintenance page)
    "truncated",  # Content-Length promises more than is sent
    "empty",  # HTTP 200 with an empty body
    "slow",  # waits longer than any client timeout used in tests
)


def csv_to_features(body: bytes) -> tuple[list[dict], list[dict]]:
    """Turn the CSV download into ArcGIS JSON ``fields`` and ``features`` (dates as epoch ms)."""
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
    names = reader.fieldnames or []
    fields = [{"name": n, "type": _field_type(n)} for n in names]
    features = []
    for row in reader:
        attributes = {}
        for name in names:
            value = row[name]
            kind = _field_type(name)
            if kind == "esriFieldTypeDate":
                stamp = datetime.strptime(value, "%Y/%m/%d %H:%M:%S+00").replace(tzinfo=UTC)
                attributes[name] = int(stamp.timestamp() * 1000)
            elif kind == "esriFieldTypeString":
                attributes[name] = value
            elif kind == "esriFieldTypeOID":
                attributes[name] = int(value)
            else:
                attributes[name] = float(value) if value != "" else None
        features.append({"attributes": attributes})
    return fields, features


def _field_type(name: str) -> str:
    lowered = name.lower()
    if lowered == "objectid":
        return "esriFieldTypeOID"
    if "date" in lowered and "dose" not in lowered:
        return "esriFieldTypeDate"
    if lowered == "county":
        return "esriFieldTypeString"
    return "esriFieldTypeDouble"


class SourceServer:
    """Serve one snapshot at a time on a free port of 127.0.0.1.

    Parameters
    ----------
    day : str, optional
        Snapshot to start with (``YYYY-MM-DD``); see :meth:`set_snapshot`.
    max_page : int
        Most rows one JSON page carries (the real service caps at 2000; tests use less to page).
    """

    def __init__(self, day: str | None = None, max_page: int = 1000) -> None:
        self.max_page = max_page
        self.fault: str | None = None
        self.short_pages = False  # flag pages with fewer rows than asked for (even zero)
        self.bytes_sent = 0
        self.requests: list[str] = []
        self.body = b""
        self.last_modified: str | None = None
        self._features: list[dict] = []
        self._empty_pages_served: set[int] = set()
        self._fields: list[dict] = []
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        if day:
            self.set_snapshot(day)

    # -- content -------------------------------------------------------------------------
    def set_snapshot(self, day: str) -> None:
        """Serve the raw snapshot downloaded on ``day``, last modified that afternoon."""
        stamp = datetime.strptime(day, "%Y-%m-%d").replace(hour=16, tzinfo=UTC)
        self.set_body(snapshot_path(day).read_bytes(), stamp)

    def set_body(self, body: bytes, last_modified: datetime | None = None) -> None:
        """Serve arbitrary CSV bytes (a modified snapshot, say) from both endpoints."""
        self.body = body
        self.last_modified = (
            email.utils.format_datetime(last_modified, usegmt=True) if last_modified else None
        )
        try:
            self._fields, self._features = csv_to_features(body)
        except (ValueError, KeyError):
            self._fields, self._features = [], []

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def csv_url(self) -> str:
        return self.base_url + "/maryland.csv"

    @property
    def api_url(self) -> str:
        return self.base_url + "/query"

    def environment(self, data_dir: Path | str) -> dict[str, str]:
        """Variables that point mdvax at ``data_dir`` and this server (no retries, short timeout)."""
        return {
            "MDVAX_DATA_DIR": str(data_dir),
            "MDVAX_MARYLAND_CSV_URL": self.csv_url,
            "MDVAX_MARYLAND_API_URL": self.api_url,
            "MDVAX_HTTP_RETRIES": "0",
            "MDVAX_HTTP_TIMEOUT": "2",
        }

    def start(self) -> SourceServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SourceServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the JSON API ------------------------------------------------------------------------
    def query_page(self, params: dict[str, str]) -> dict:
        offset = int(params.get("resultOffset", 0))
        asked = int(params.get("resultRecordCount", self.max_page))
        count = min(asked, self.max_page)
        if self.short_pages and offset not in self._empty_pages_served:
            # A real quirk: the flag set on a page that carries nothing; asked again, it answers.
            self._empty_pages_served.add(offset)
            count = 0
        elif self.short_pages:
            count = max(1, count // 3)
        rows = self._features[offset : offset + count]
        page = {"objectIdFieldName": "OBJECTID", "fields": self._fields, "features": rows}
        if offset + count < len(self._features):
            page["exceededTransferLimit"] = True
        return page


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up early (timeouts, truncation tests) are expected: no stderr noise."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def _make_handler(server: SourceServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def _send(
            self, status: int, body: bytes, content_type: str, headers: dict | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            length = len(body) + (1000 if server.fault == "truncated" else 0)
            self.send_header("Content-Length", str(length))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
            server.bytes_sent += len(body)
            if server.fault == "truncated":
                self.wfile.flush()
                self.close_connection = True

        def do_GET(self) -> None:
            url = urlparse(self.path)
            server.requests.append(self.path)
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            fault = server.fault
            if fault == "slow":
                time.sleep(5)
            if fault == "http500":
                return self._send(500, b"Internal Server Error", "text/plain")
            if fault == "html":
                page = b"<!DOCTYPE html><html><body><h1>Site under maintenance</h1></body></html>"
                return self._send(200, page, "text/html; charset=utf-8")
            if fault == "empty":
                return self._send(200, b"", "text/csv")
            if url.path == "/maryland.csv":
                return self._csv()
            if url.path == "/query":
                if fault == "arcgis_error":
                    error = {
                        "error": {"code": 400, "message": "Invalid query parameters", "details": []}
                    }
                    return self._send(200, json.dumps(error).encode(), "application/json")
                if params.get("returnCountOnly") == "true":
                    body = json.dumps({"count": len(server._features)}).encode()
                else:
                    body = json.dumps(server.query_page(params)).encode()
                if fault == "truncated":
                    body = body[: len(body) // 2]
                return self._send(200, body, "application/json")
            return self._send(404, b"Not Found", "text/plain")

        def _csv(self) -> None:
            headers = {"ETag": server.etag}
            if server.last_modified:
                headers["Last-Modified"] = server.last_modified
            if self.headers.get("If-None-Match") == server.etag:
                self.send_response(304)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = server.body
            if server.fault == "truncated":
                body = body[: len(body) // 2]
            self._send(200, body, "text/csv; charset=utf-8", headers)

    return Handler
