"""Drawing shared by the dashboard, its static first paint and the reports.

- :mod:`~mdvax.render.classes`: the colour classes (ColorBrewer YlGnBu) and a county's CSS class;
- :mod:`~mdvax.render.choropleth`: the one SVG choropleth of Maryland's counties, drawn without
  a plotting library (the server's static view and the report's map figure both use it).
"""

from mdvax.render.choropleth import choropleth_svg
from mdvax.render.classes import NO_DATA, OUTLINE, PALETTES, Classes, county_class

__all__ = ["NO_DATA", "OUTLINE", "PALETTES", "Classes", "choropleth_svg", "county_class"]
