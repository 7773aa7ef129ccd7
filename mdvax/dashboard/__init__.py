"""The Voila dashboard: an ipyleaflet choropleth of Maryland's counties, built from small parts.

- :mod:`~mdvax.dashboard.state`: the view as a value, its resolution, "link to this view";
  :mod:`~mdvax.dashboard.params`: each untrusted value of the parameters cell and URL query;
  :mod:`~mdvax.dashboard.request`: the query string and address of the page, in a Voila kernel;
- :mod:`~mdvax.dashboard.model`: the figures of a view (from :mod:`mdvax.stats`);
- :mod:`~mdvax.dashboard.map`, :mod:`~mdvax.dashboard.panel`, :mod:`~mdvax.dashboard.controls`:
  widgets and HTML;
- :mod:`~mdvax.dashboard.upload`: the empty state (fetch, or upload a CSV);
- :mod:`~mdvax.dashboard.vintages`: the vintages to choose from ("As published on"), loaded
  lazily; :mod:`~mdvax.dashboard.revisions`: "How this figure was revised";
- :mod:`~mdvax.dashboard.session`: the :class:`Dashboard` of one visitor's session;
  :mod:`~mdvax.dashboard.share`: its "link to this view" and "Download CSV";
- :mod:`~mdvax.dashboard.app`: :func:`build_app`, what ``notebooks/dashboard.ipynb`` displays.
"""

from mdvax.dashboard.app import App, Dashboard, build_app, load_data
from mdvax.dashboard.state import page_url, query_string

__all__ = ["App", "Dashboard", "build_app", "load_data", "page_url", "query_string"]
