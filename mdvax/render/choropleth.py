"""The SVG choropleth of Maryland's counties: plain SVG text, no plotting library.

One renderer for every still map: the server's static first paint (:mod:`mdvax.serve.static_view`)
and the report's map figure (:func:`mdvax.report.figures.choropleth_svg`). Counties are projected
with Web Mercator, as Leaflet draws the live map, so the still picture and the live map have the
same shapes. Each county is one ``<path>`` with ``data-fips``, the live map's CSS class
(:func:`~mdvax.render.classes.county_class`), its fill as an attribute and a ``<title>`` (the
tooltip). Coordinates are rounded to a tenth of a pixel, repeated points dropped and the rest written as
relative moves: the 24 counties take about 28 KB (11 KB gzipped). The same input gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape

from mdvax.render.classes import NO_DATA, OUTLINE, county_class

#: Width of the drawing in SVG units (it scales to its container).
WIDTH = 640.0
MARGIN = 6.0
#: Height of the heading line, when there is one, and of a legend row.
HEADING = 26.0
ROW = 17.0


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    return math.radians(lon), -math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _rings(geometry: dict) -> Iterable[list]:
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    for polygon in polygons:
        yield from polygon


def _tenths(value: int) -> str:
    """An integer number of tenths as short SVG number text: 43 -> 4.3, -5 -> -.5, 20 -> 2."""
    sign, value = ("-", -value) if value < 0 else ("", value)
    whole, tenth = divmod(value, 10)
    text = f"{whole or ''}.{tenth}" if tenth else str(whole)
    return sign + text


def _path(rings: list[list[tuple[float, float]]], place) -> str:
    """Path data: each ring from its first point in relative moves of whole tenths of a pixel.

    ``place(x, y)`` gives the point in tenths of a pixel (integers), so the moves add up
    exactly; relative moves take about 40% fewer bytes than absolute coordinates.
    """
    parts = []
    for ring in rings:
        points, last = [], None
        for x, y in ring:
            point = place(x, y)
            if point != last:
                points.append(point)
                last = point
        if len(points) < 3:
            continue
        (x, y), text = points[0], []
        for px, py in points[1:]:
            for step in (_tenths(px - x), _tenths(py - y)):
                text.append(step if step.startswith("-") or not text else " " + step)
            x, y = px, py
        parts.append(f"M{_tenths(points[0][0])} {_tenths(points[0][1])}l{''.join(text)}z")
    return "".join(parts)


def choropleth_svg(
    geometry: dict,
    fills: Mapping[str, str],
    titles: Mapping[str, str] | None = None,
    legend: Sequence[tuple[str, str]] = (),
    legend_title: str = "",
    heading: str = "",
    element_id: str = "",
    label: tuple[str, str] | None = None,
    standalone: bool = False,
) -> str:
    """Maryland's counties as SVG text, coloured by ``fills``.

    Parameters
    ----------
    geometry : dict
        GeoJSON FeatureCollection, feature ``id`` = FIPS code (:func:`mdvax.api.geometry`).
    fills : mapping
        FIPS -> fill colour (hex); counties missing from it are drawn :data:`NO_DATA` grey.
    titles : mapping, optional
        FIPS -> the county's tooltip text (``<title>`` of its path).
    legend : sequence of (str, str)
        The classes, lowest first: colour and text, drawn as swatches in the empty corner.
    legend_title : str
        Text above the legend swatches.
    heading : str
        A line of text above the map (the report's title).
    element_id : str
        ``id`` of the root ``<svg>`` (and prefix of the title/desc ids).
    label : (str, str), optional
        Title and description of the whole picture: the root gets ``role="img"`` and
        ``aria-labelledby`` naming them.
    standalone : bool
        A picture of its own (an ``<img>`` in the reports): its size in pixels is written out,
        so it has a natural size. Otherwise (inline in a page) it fills its container's width.

    Returns
    -------
    str
        The ``<svg>`` element.
    """
    features = [
        (str(f["id"]), [[_mercator(*pt[:2]) for pt in ring] for ring in _rings(f["geometry"])])
        for f in geometry["features"]
    ]
    xs = [x for _, rings in features for ring in rings for x, _ in ring]
    ys = [y for _, rings in features for ring in rings for _, y in ring]
    scale = (WIDTH - 2 * MARGIN) / (max(xs) - min(xs))
    top = MARGIN + (HEADING if heading else 0.0)
    height = top + (max(ys) - min(ys)) * scale + MARGIN
    x0, y0 = min(xs), min(ys)

    def place(x: float, y: float) -> tuple[int, int]:  # tenths of a pixel
        return round((MARGIN + (x - x0) * scale) * 10), round((top + (y - y0) * scale) * 10)

    titles = titles or {}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} {height:.0f}"'
        + (f' width="{WIDTH:.0f}" height="{height:.0f}"' if standalone else ' width="100%"')
        + ' class="mdvax-choropleth"'
        + (f' id="{escape(element_id)}"' if element_id else "")
    ]
    if label:
        ids = f"{element_id}-title {element_id}-desc"
        out.append(f' role="img" aria-labelledby="{escape(ids)}">')
        out.append(f'<title id="{escape(element_id)}-title">{escape(label[0])}</title>')
        out.append(f'<desc id="{escape(element_id)}-desc">{escape(label[1])}</desc>')
    else:
        out.append(">")
    if heading:
        out.append(
            f'<text x="{WIDTH / 2:.0f}" y="{MARGIN + HEADING * 0.65:.1f}" text-anchor="middle"'
            f' font-family="sans-serif" font-size="15">{escape(heading)}</text>'
        )
    out.append(f'<g stroke="{OUTLINE}" stroke-width="0.6" stroke-linejoin="round">')
    for fips, rings in features:
        tip = titles.get(fips)
        out.append(
            f'<path data-fips="{escape(fips)}" class="{county_class(escape(fips))}"'
            f' fill="{escape(fills.get(fips, NO_DATA))}" d="{_path(rings, place)}">'
            + (f"<title>{escape(tip)}</title>" if tip else "")
            + "</path>"
        )
    out.append("</g>")
    out.extend(_legend(legend, legend_title, height))
    out.append("</svg>")
    return "".join(out)


def _legend(legend: Sequence[tuple[str, str]], title: str, height: float) -> list[str]:
    """Swatches in the map's empty lower-left corner (south of the western panhandle)."""
    if not legend:
        return []
    x, y = MARGIN + 4, height - MARGIN - ROW * (len(legend) + (1 if title else 0))
    out = ['<g class="mdvax-svg-legend" font-family="sans-serif" font-size="12">']
    if title:
        out.append(f'<text x="{x:.0f}" y="{y + ROW * 0.7:.1f}">{escape(title)}</text>')
        y += ROW
    for colour, text in legend:
        out.append(
            f'<rect x="{x:.0f}" y="{y + 2:.1f}" width="18" height="{ROW - 5:.0f}"'
            f' fill="{escape(colour)}" stroke="{OUTLINE}" stroke-width="0.6"/>'
            f'<text x="{x + 24:.0f}" y="{y + ROW * 0.7:.1f}">{escape(text)}</text>'
        )
        y += ROW
    out.append("</g>")
    return out
