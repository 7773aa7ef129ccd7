"""The choropleth: one ipyleaflet ``GeoJSON`` layer, coloured by one small stylesheet widget.

The geometry (~90 KB) is sent once. Each county's SVG path carries the CSS class
``mdvax-c<FIPS>`` (Leaflet copies a feature's ``properties.style.className`` onto its path when
it draws it), and the colours are CSS rules in one hidden ``HTML`` widget:
``.mdvax-c24031{fill:#41b6c4}``. A CSS ``fill`` beats the ``fill`` attribute Leaflet writes, so a
restyle is one message of about 1 KB whatever the number of counties whose colour changed
(restyling each county's layer cost ~470 bytes per county; changing a ``GeoJSON`` layer's
``style`` outside ``layer.updating`` would even re-send the geometry). The selected county's
outline is a rule in the same widget.

No basemap: tiles need the internet and the counties are the whole picture. The map has a plain
background and fits Maryland to whatever width the browser gives it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable

import ipyleaflet
import ipywidgets as widgets

from mdvax.render.classes import NO_DATA, OUTLINE, PALETTES, Classes, county_class
from mdvax.render.picture import Picture
from mdvax.templates import render

__all__ = [
    "NO_DATA",
    "OUTLINE",
    "PALETTES",
    "Classes",
    "CountyMap",
    "Picture",
    "colour_css",
    "county_class",
    "legend_html",
]

#: Maryland's extent, [[south, west], [north, east]].
BOUNDS = ((37.89, -79.49), (39.73, -75.04))
#: Dark grey county outlines (:data:`mdvax.render.classes.OUTLINE`): the lightest classes are
#: close to white, and a shape must stand out 3:1 from the background and its neighbours' fill
#: (WCAG 1.4.11); the reports and the still picture use the same grey.
BASE_STYLE = {"color": OUTLINE, "weight": 1, "opacity": 1, "fillOpacity": 0.9}
SELECTED_STYLE = {"color": "#c2185b", "weight": 3.5}
HOVER_STYLE = {"color": "#333333", "weight": 2.5}
#: What the hover box says when the pointer is on no county.
HOVER_PROMPT = '<div class="mdvax-hover">Hover over or tap a county</div>'


def legend_html(picture: Picture) -> str:
    """The legend: title and one swatch per class with its lower bound (all text escaped).

    Screen readers get the classes as text instead (:attr:`Picture.names`).
    """
    swatches = list(zip(picture.classes.colours, picture.bounds, strict=True))
    return render(
        "dashboard/legend.html.j2", title=picture.title, swatches=swatches, names=picture.names
    )


def fit_zoom(width: float, height: float, bounds=BOUNDS, padding: float = 12) -> float:
    """Web-Mercator zoom (quarter steps) at which ``bounds`` fit a ``width`` x ``height`` map."""
    (south, west), (north, east) = bounds

    def y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    span_x = (east - west) / 360
    span_y = (y(north) - y(south)) / (2 * math.pi)
    zoom_x = math.log2(max(width - 2 * padding, 50) / 256 / span_x)
    zoom_y = math.log2(max(height - 2 * padding, 50) / 256 / span_y)
    return math.floor(4 * min(zoom_x, zoom_y)) / 4


def maryland_map(
    layer: ipyleaflet.Layer, max_zoom: int, height: str, css_class: str
) -> ipyleaflet.Map:
    """A map of ``layer`` alone (no basemap) on Maryland, zoomed to fit once its size is known.

    Parameters
    ----------
    layer : ipyleaflet.Layer
        What the map shows.
    max_zoom : int
        How far a visitor can zoom in.
    height : str
        CSS height of the map (its width is the page's).
    css_class : str
        Class of the map's element, for the page's stylesheet and the tests.

    Returns
    -------
    ipyleaflet.Map
    """
    (south, west), (north, east) = BOUNDS
    leaflet = ipyleaflet.Map(
        layers=(layer,),
        center=((south + north) / 2, (west + east) / 2),
        zoom=7,
        zoom_snap=0.25,
        min_zoom=5,
        max_zoom=max_zoom,
        scroll_wheel_zoom=False,
        attribution_control=False,
        layout=widgets.Layout(width="100%", height=height),
    )
    leaflet.add_class(css_class)
    fitted = False

    def fit(change: dict) -> None:
        """Once the browser reports the map's size, zoom so Maryland fills it."""
        nonlocal fitted
        (left, top), (right, bottom) = change["new"]
        wide, tall = abs(right - left), abs(bottom - top)
        if not fitted and wide >= 10 and tall >= 10:
            fitted = True
            leaflet.zoom = fit_zoom(wide, tall)

    leaflet.observe(fit, names="pixel_bounds")
    return leaflet


def colour_css(fills: dict[str, str], selected: str | None) -> str:
    """The stylesheet colouring the counties (FIPS -> hex) and outlining ``selected``."""
    rules = [f".{county_class(fips)}{{fill:{colour}}}" for fips, colour in sorted(fills.items())]
    if selected:
        rules.append(
            f".{county_class(selected)}{{stroke:{SELECTED_STYLE['color']};"
            f"stroke-width:{SELECTED_STYLE['weight']}px}}"
        )
    return f"<style>{''.join(rules)}</style>"


class CountyMap:
    """The map widget, its county layer, the colour stylesheet, the legend and the hover box.

    Parameters
    ----------
    geometry : dict
        GeoJSON FeatureCollection (feature ``id`` = FIPS), e.g. :func:`mdvax.api.geometry`.
    on_click : callable
        Called with the FIPS code of a clicked county.
    describe : callable
        Returns the hover text (plain) for a FIPS code.

    Attributes
    ----------
    layer : ipyleaflet.GeoJSON
        All counties (one SVG path each, class ``mdvax-c<FIPS>``).
    colours : ipywidgets.HTML
        The hidden ``<style>`` that colours them (:func:`colour_css`); put it on the page.
    fills : dict
        FIPS -> the colour last applied; ``selected`` the outlined FIPS (or ``None``).
    """

    def __init__(
        self, geometry: dict, on_click: Callable[[str], None], describe: Callable[[str], str]
    ) -> None:
        self._on_click = on_click
        self._describe = describe
        self.fips = [str(feature["id"]) for feature in geometry["features"]]
        self.fills: dict[str, str] = {}
        self.selected: str | None = None
        features = [  # shallow copies: the caller's geometry is left as it was
            {**feature, "properties": {**feature["properties"], "style": {"className": cls}}}
            for feature, cls in zip(geometry["features"], map(county_class, self.fips), strict=True)
        ]
        self.layer = ipyleaflet.GeoJSON(
            data={"type": "FeatureCollection", "features": features},
            style=dict(BASE_STYLE, fillColor=NO_DATA),
            hover_style=HOVER_STYLE,
            name="counties",
        )
        self.layer.on_click(self._clicked)
        self.layer.on_hover(self._hovered)
        self.layer.on_msg(self._left)
        self.colours = widgets.HTML(colour_css({}, None), layout=widgets.Layout(display="none"))
        self.map = maryland_map(self.layer, max_zoom=11, height="440px", css_class="mdvax-map")
        self.legend = widgets.HTML()
        self.hover = widgets.HTML(HOVER_PROMPT)
        self.map.add(ipyleaflet.WidgetControl(widget=self.legend, position="bottomleft"))
        self.map.add(ipyleaflet.WidgetControl(widget=self.hover, position="topright"))

    @staticmethod
    def _fips_of(event: dict) -> str | None:
        fips = str(event.get("id") or (event.get("properties") or {}).get("fips") or "")
        return fips or None

    def _clicked(self, **event: object) -> None:
        fips = self._fips_of(event)
        if fips in self.fips:
            self._on_click(fips)

    def _hovered(self, **event: object) -> None:
        fips = self._fips_of(event)
        if fips in self.fips:
            self.hover.value = f'<div class="mdvax-hover">{html.escape(self._describe(fips))}</div>'

    def _left(self, _layer: object, content: dict, _buffers: object) -> None:
        """The pointer left a county (for the sea, another county or outside the map).

        ``GeoJSON.on_hover`` has no counterpart for leaving, but the layer's browser side sends
        every ``mouseout`` as an ``interaction`` message (whether or not anyone listens): back to
        the prompt. Entering the next county arrives after it and names that county.
        """
        if content.get("event") == "interaction" and content.get("type") == "mouseout":
            self.hover.value = HOVER_PROMPT

    def restyle(self, fills: dict[str, str], selected: str | None) -> int:
        """Colour counties (FIPS -> hex) and outline ``selected``; return how many changed.

        Nothing is sent when no county changed; otherwise one message with every rule.
        """
        fills = {fips: fills.get(fips, NO_DATA) for fips in self.fips}
        changed = {f for f in self.fips if fills[f] != self.fills.get(f)}
        if selected != self.selected:
            changed |= {self.selected, selected} - {None}
        if changed:
            self.fills, self.selected = fills, selected
            self.colours.value = colour_css(fills, selected)
        return len(changed)

    def set_legend(self, picture: Picture) -> None:
        """Redraw the legend of ``picture`` (only sent when it changed)."""
        value = legend_html(picture)
        if self.legend.value != value:
            self.legend.value = value
