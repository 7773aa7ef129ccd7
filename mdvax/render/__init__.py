"""Drawing shared by the dashboard, its static first paint and the reports.

- :mod:`~mdvax.render.classes`: the colour classes (ColorBrewer YlGnBu) and a county's CSS class;
- :mod:`~mdvax.render.picture`: the one map picture of a view (classes, county fills, legend),
  used by the live map, the still picture and the report alike;
- :mod:`~mdvax.render.choropleth`: the one SVG choropleth of Maryland's counties, drawn without
  a plotting library (the server's static view and the report's map figure both use it).
"""

from mdvax.render.choropleth import choropleth_svg
from mdvax.render.classes import NO_DATA, OUTLINE, PALETTES, Classes, county_class
from mdvax.render.picture import MapView, Picture, county_figures, map_picture

__all__ = [
    "NO_DATA",
    "OUTLINE",
    "PALETTES",
    "Classes",
    "MapView",
    "Picture",
    "choropleth_svg",
    "county_class",
    "county_figures",
    "map_picture",
]
