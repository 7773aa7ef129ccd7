"""The still picture in every dashboard response (issue 12): real ``mdvax serve``, no browser.

The view asked for is in the first HTML response, live page and busy page alike, with figures
checked against the raw CSV read with the csv module (:mod:`tests.support.raw_views`).
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
import socket
import time
from datetime import date
from html.parser import HTMLParser

import pytest

from mdvax.render import Classes
from mdvax.serve import headers
from tests.support import aio
from tests.support.raw_views import raw_view
from tests.support.voila_server import dashboard_server

RAW_DAY = "2021-03-30"  # the snapshot the server's cache is filled from
DAY = date(2021, 3, 24)  # a middle day, not the default (the last)
QUERY = f"/?date={DAY.isoformat()}&measure=fully_vaccinated&per_capita=0"


class StillPicture(HTMLParser):
    """Paths (FIPS -> attributes) and table rows (county name -> FIPS) of ``#mdvax-static``."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.paths: dict[str, dict] = {}
        self.names: dict[str, str] = {}
        self._row: str | None = None
        self._th = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "mdvax-static":
            self.inside = True
        if not self.inside:
            return
        if tag == "path" and "data-fips" in attrs:
            self.paths[attrs["data-fips"]] = attrs
        elif tag == "tr" and "data-fips" in attrs:
            self._row = attrs["data-fips"]
        elif tag == "th" and self._row:
            self._th = True

    def handle_endtag(self, tag):
        if tag == "section":
            self.inside = False
        if tag == "th":
            self._th = False

    def handle_data(self, data):
        if self._th and self._row:
            self.names[data.strip()] = self._row
            self._row = None


def get(port: int, path: str) -> tuple[int, dict, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read().decode("utf-8")
    connection.close()
    return response.status, dict(response.getheaders()), body


def still(body: str) -> StillPicture:
    parser = StillPicture()
    parser.feed(body)
    return parser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("static")
    args = ("--pool-size", "1", "--max-kernels", "2")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MDVAX_CACHE_DIR", str(folder / "cache"))
        with dashboard_server(folder / "data", args=args) as running:
            running.compressed = folder / "cache" / "static"
            yield running


def check_view(body: str) -> None:
    picture = still(body)
    assert len(picture.paths) == 24
    assert all(re.fullmatch(r"24\d{3}", fips) for fips in picture.paths)
    expected = raw_view(RAW_DAY, DAY, "fully_vaccinated", daily=False, per_capita=False)
    classes = Classes.for_range(expected.vmax)
    assert len(picture.names) == 24
    for name, figures in expected.counties.items():
        path = picture.paths[picture.names[name]]
        assert path["fill"] == classes.colour(figures["value"]), name
        assert path["class"] == f"mdvax-c{picture.names[name]}"
    montgomery = picture.paths[picture.names["Montgomery"]]
    assert f"Montgomery: {expected.counties['Montgomery']['value']:,}" in body
    assert montgomery["fill"] != picture.paths[picture.names["Kent"]]["fill"]


@pytest.mark.slow
def test_first_response_holds_the_view_asked_for(server):
    server.wait_for(lambda h: h["pool_ready"] >= 1, timeout=120)
    status, _, body = get(server.port, QUERY)
    assert status == 200
    assert 'id="rendered_cells"' in body  # the live page, with the picture before its cells
    assert body.index('id="mdvax-static"') < body.index('id="rendered_cells"')
    check_view(body)
    # The one kernel slot is now taken: the next visitor gets the same view, still.
    status, headers, body = get(server.port, QUERY)
    assert status == 503
    assert headers["Retry-After"] == "10"
    assert "The interactive map is busy; this is the same view as a still picture." in body
    check_view(body)
    assert server.health()["static_views"] >= 2


def stream(port: int, path: str) -> tuple[int, dict, list[str]]:
    """The response's HTTP chunks as sent (each flush of the server is one chunk).

    Read from the socket and decoded by hand: ``http.client`` does not keep chunk boundaries.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n"
        sock.sendall(f"{request}Connection: close\r\n\r\n".encode())
        reader = sock.makefile("rb")
        status = int(reader.readline().split()[1])
        headers = {}
        while (line := reader.readline().decode("latin-1").strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip()] = value.strip()
        assert headers["Transfer-Encoding"] == "chunked"
        chunks = []
        while (size := int(reader.readline().split(b";")[0], 16)) > 0:
            chunks.append(reader.read(size).decode("utf-8"))
            reader.readline()  # the CRLF after each chunk
    return status, headers, chunks


@pytest.mark.slow
def test_live_page_starts_with_the_still_picture_before_any_script(server):
    server.wait_for(lambda h: h["in_use"] == 0 and h["pool_ready"] >= 1, timeout=120)
    status, headers, chunks = stream(server.port, QUERY)
    assert status == 200
    assert headers["Cache-Control"] == "no-cache, no-store, must-revalidate"
    first, body = chunks[0], "".join(chunks)
    # Sent before Voila had a kernel or rendered anything: no kernel id, no script at all.
    assert first.startswith("<!DOCTYPE html>")
    assert first.rstrip().endswith("</section>")
    assert "kernelId" not in first
    assert "<script" not in first
    check_view(first)
    head = body.split("</head>", 1)[0]
    assert "<script" not in head
    assert "stylesheet" not in head
    end = body.index("</section>")
    assert end < body.index("<script")
    assert end < body.index('rel="stylesheet"')
    assert body.count("<body") == 1
    assert "<title>Maryland vaccinations dashboard</title>" in head
    assert "<title>dashboard</title>" not in body  # Voila's, left out
    assert '<body class="jp-Notebook theme-light" data-base-url="/voila/"' in body
    config = json.loads(
        body.split('id="jupyter-config-data" type="application/json">', 1)[1].split("</script>")[0]
    )
    assert config["kernelId"] in body
    # Only the JupyterLab extensions the dashboard uses are loaded (not every one installed).
    assert {e["name"] for e in config["federated_extensions"]} == {
        "@jupyter-widgets/jupyterlab-manager",
        "@voila-dashboards/widgets-manager8",
        "jupyter-leaflet",
    }
    assert "mermaid" not in body


@pytest.mark.slow
def test_static_files_go_out_as_compressed_copies_made_once(server):
    import brotli

    path = "/voila/static/voila.js"
    status, plain_headers, plain = get_bytes(server.port, path, "identity")
    assert status == 200
    assert len(plain) > 4096
    for _ in range(200):  # the first request queues the file; its copies are made meanwhile
        _, headers, data = get_bytes(server.port, path, "gzip, deflate, br, zstd")
        if headers.get("Content-Encoding") == "br":
            break
        time.sleep(0.1)
    assert headers.get("Content-Encoding") == "br"
    assert brotli.decompress(data) == plain
    assert headers["Content-Type"] == plain_headers["Content-Type"] == "text/javascript"
    assert "Accept-Encoding" in headers["Vary"]
    assert "Content-Security-Policy" not in headers  # document-only headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    _, headers, data = get_bytes(server.port, path, "gzip")
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(data) == plain
    copies = sorted(p.suffix for p in server.compressed.iterdir())
    assert copies == [".br", ".gz"]
    # A second visitor's copy is the same file: same ETag, and a 304 when revalidating.
    etag = headers["Etag"]
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("GET", path, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert connection.getresponse().status == 304
    connection.close()


def get_bytes(port: int, path: str, accept: str) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Accept-Encoding": accept})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


@pytest.mark.slow
def test_hostile_query_values_are_escaped(server):
    hostile = '"><script>alert(1)</script><svg onload=alert(2)>'
    from urllib.parse import quote

    path = f"/?date={quote(hostile)}&measure={quote(hostile)}&as_of={quote(hostile)}"
    _, _, body = get(server.port, path)
    assert len(still(body).paths) == 24  # the default view instead
    assert "<script>alert(1)" not in body
    assert "onload=alert" not in body


@pytest.mark.slow
def test_pages_are_gzipped_and_every_log_line_is_json(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    connection.request("GET", "/healthz", headers={"Accept-Encoding": "gzip"})
    response = connection.getresponse()
    response.read()
    connection.request("GET", QUERY, headers={"Accept-Encoding": "gzip"})
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    assert response.getheader("Content-Encoding") == "gzip"
    assert 'id="mdvax-static"' in gzip.decompress(raw).decode("utf-8")
    log = server.log_path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in log]  # kernels' stderr included
    assert any(r["logger"] == "IPKernelApp" for r in records)


@pytest.mark.parametrize(
    ("path", "versioned", "expected"),
    [
        ("/voila/labextensions/jupyter-leaflet/static/10.a870c234.js", True, headers.IMMUTABLE),
        ("/voila/labextensions/jupyter-leaflet/static/10.a870c234.js", False, None),
        ("/voila/static/7155.voila.js", False, headers.DAY),
        ("/", False, None),
        ("/healthz", True, None),
    ],
)
def test_cache_headers_only_for_static_files(path, versioned, expected):
    assert headers.cache_control(path, versioned) == expected


def test_still_pictures_follow_an_update_of_the_cache(data_env, source_server):
    from mdvax.pipeline import update
    from mdvax.serve.static_view import StaticViews

    source_server.set_snapshot("2021-03-23")
    update(source="maryland-csv")
    views = StaticViews()
    before = aio.run(views.html_async(""))  # the newest day
    assert "23 Mar 2021" in before
    source_server.set_snapshot("2021-03-30")
    update(source="maryland-csv")
    after = aio.run(views.html_async(""))
    assert "30 Mar 2021" in after
    assert "23 Mar 2021" not in after
