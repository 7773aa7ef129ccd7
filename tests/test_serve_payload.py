"""What a visit downloads (issue 12): compressed copies, shared template code, short map paths.

No server here (``tests/test_serve_static_view.py`` checks the same through a real one).
"""

from __future__ import annotations

import gzip
import os
import re
import time
from pathlib import Path

import brotli
import jinja2
import pytest

from mdvax.render.choropleth import _path, choropleth_svg
from mdvax.serve import payload
from mdvax.serve.template_cache import SharedBytecode
from mdvax.upstream.voila import share_jinja_bytecode


def wait_for_copy(store, path: Path, accept: str):
    stat = path.stat()
    for _ in range(300):
        found = store.copy_for(str(path), stat.st_size, stat.st_mtime_ns, accept)
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no copy of {path} for {accept!r}")


def test_accept_encoding_is_read_with_its_weights():
    assert payload.accepted("gzip, deflate, br;q=0, zstd") == {"gzip", "deflate", "zstd"}
    assert payload.accepted("br;q=0.5 , GZIP;q=1.0") == {"br", "gzip"}
    assert payload.accepted("") == set()
    assert payload.accepted("gzip;q=nonsense, br") == {"br"}


def test_copies_are_made_once_kept_on_disk_and_follow_the_file(tmp_path):
    script = tmp_path / "files" / "chunk.js"
    script.parent.mkdir()
    text = "".join(f"function f{n}(a) {{ return a * {n}; }}\n" for n in range(400)).encode()
    script.write_bytes(text)
    store = payload.Precompressed(tmp_path / "copies")
    stat = script.stat()
    first = store.copy_for(str(script), stat.st_size, stat.st_mtime_ns, "gzip, br")
    assert first is None  # queued: the file goes out as before meanwhile
    encoding, copy = wait_for_copy(store, script, "gzip, br")
    assert encoding == "br"
    assert brotli.decompress(Path(copy).read_bytes()) == text
    assert len(Path(copy).read_bytes()) < len(gzip.compress(text, 6))
    encoding, copy = wait_for_copy(store, script, "gzip")
    assert encoding == "gzip"
    assert gzip.decompress(Path(copy).read_bytes()) == text
    assert store.copy_for(str(script), stat.st_size, stat.st_mtime_ns, "identity") is None
    # A new server finds the copies on disk at once.
    again = payload.Precompressed(tmp_path / "copies")
    assert again.copy_for(str(script), stat.st_size, stat.st_mtime_ns, "br")[1] == copy[:-3] + ".br"
    # The file changes: new copies, never the old bytes.
    script.write_bytes(text + b"var changed = 1;\n")
    os.utime(script, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    _, newer = wait_for_copy(store, script, "br")
    assert brotli.decompress(Path(newer).read_bytes()).endswith(b"var changed = 1;\n")
    assert sorted(p.suffix for p in (tmp_path / "copies").iterdir()) == [".br", ".br", ".gz", ".gz"]


@pytest.mark.parametrize(("name", "size"), [("font.woff2", 50_000), ("small.js", 200)])
def test_binary_or_tiny_files_are_sent_as_they_are(tmp_path, name, size):
    store = payload.Precompressed(tmp_path)
    assert store.copy_for(str(tmp_path / name), size, 1, "br, gzip") is None
    assert list(tmp_path.iterdir()) == []


def test_voila_page_templates_are_compiled_once_per_server(tmp_path, monkeypatch):
    from voila.exporter import VoilaExporter

    (tmp_path / "page.html.j2").write_text(
        "{% extends 'base.html.j2' %}{% block b %}x{% endblock %}"
    )
    (tmp_path / "base.html.j2").write_text("<p>{% block b %}{% endblock %}</p>")
    shared = SharedBytecode()

    class Exporter(VoilaExporter):  # a subclass: the real class is left as it was
        pass

    share_jinja_bytecode(shared, Exporter)
    compiled = []
    real = jinja2.Environment.compile

    def counting(self, source, name=None, *args, **kwargs):
        compiled.append(name)
        return real(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    pages = []
    for _ in range(3):
        environment = Exporter(template_paths=[str(tmp_path)])._create_environment()
        assert environment.bytecode_cache is shared
        pages.append(environment.get_template("page.html.j2").render())
    assert pages == ["<p>x</p>"] * 3
    assert compiled == ["page.html.j2", "base.html.j2"]  # once each, not once per environment
    (tmp_path / "base.html.j2").write_text("<div>{% block b %}{% endblock %}</div>")
    environment = Exporter(template_paths=[str(tmp_path)])._create_environment()
    assert environment.get_template("page.html.j2").render() == "<div>x</div>"  # edited: again


def test_map_paths_are_relative_moves_in_whole_tenths():
    points = [(0, 0), (1, 0), (1, 0), (1, 1), (0, 1)]
    path = _path([points], lambda x, y: (round(x * 105), round(y * -43)))
    assert path == "M0 0l10.5 0 0-4.3-10.5 0z"
    assert _path([[(0, 0), (1, 1)]], lambda x, y: (x, y)) == ""  # fewer than 3 points


def absolute_points(path: str) -> list[tuple[float, float]]:
    """The path's points (in pixels), decoded independently of the renderer."""
    found = []
    for ring in re.findall(r"M([^l]+)l([^z]*)z", path):
        x, y = (float(v) for v in ring[0].split())
        found.append((x, y))
        steps = [float(v) for v in re.findall(r"-?\d*\.?\d+", ring[1])]
        for dx, dy in zip(steps[::2], steps[1::2], strict=True):
            x, y = round(x + dx, 1), round(y + dy, 1)
            found.append((x, y))
    return found


def test_every_map_point_lands_inside_the_drawing():
    square = {"type": "Polygon", "coordinates": [[[-79.4, 39.7], [-75.1, 39.7], [-75.1, 37.9],
                                                  [-77.3, 38.2], [-79.4, 39.7]]]}  # fmt: skip
    geometry = {"features": [{"id": "24001", "geometry": square, "properties": {}}]}
    svg = choropleth_svg(geometry, {"24001": "#123456"})
    width, height = (float(v) for v in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())
    points = absolute_points(re.search(r' d="([^"]+)"', svg).group(1))
    assert len(points) == 5
    assert points[-1] == points[0]  # the moves add up exactly: back where the ring started
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert 0 <= min(xs) < 10 < width - 10 < max(xs) <= width  # spans the width, margins kept
    assert min(ys) >= 0
    assert max(ys) <= height
    assert ys[0] == ys[1]  # same latitude, same height
    assert ys[2] > ys[3] > ys[0]  # further south is lower down
