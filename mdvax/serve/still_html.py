"""The HTML of one still picture (:mod:`mdvax.serve.static_view` keeps and serves them).

The map as inline SVG (:func:`mdvax.render.choropleth_svg`, the live map's colour classes and
CSS classes), its legend, the headline totals and a table of the 24 counties, from
:func:`mdvax.dashboard.model.compute`, the code behind the widgets.
"""

from __future__ import annotations

from mdvax import format as fmt
from mdvax.render import choropleth_svg
from mdvax.templates import Markup, render

__all__ = ["MAP_ID", "render_view"]

MAP_ID = "mdvax-static-map"


def _own_classes(html: str) -> str:
    """The live headline's (or banner's) markup, with classes of the still picture's own.

    Scripts and tests that look for the live page's ``.mdvax-headline`` must not find this
    copy first.
    """
    for name in ("headline", "big", "asof", "stale"):
        html = html.replace(f'class="mdvax-{name}"', f'class="mdvax-static-{name}"')
    return html


def render_view(data, state) -> Markup:
    """The still picture of ``state`` (a :class:`~mdvax.dashboard.state.ViewState`)."""
    from mdvax.dashboard import model, panel
    from mdvax.dashboard.state import NAME_BY_FIPS

    view = model.compute(data, state)
    picture = view.picture  # classes, fills and legend: the live map's (mdvax.render.picture)
    what = picture.title
    rows, titles = [], {}
    for name, row in view.counties.iterrows():
        fips = row["fips"]
        pct = fmt.share(row["pct"], state.daily)
        titles[fips] = f"{NAME_BY_FIPS[fips]}: {fmt.count(row['value'])} ({pct} of population)"
        rows.append((name, fips, fmt.count(row["value"]), pct, picture.class_name(fips)))
    title = f"{what} on {fmt.day(state.date)}"
    svg = choropleth_svg(
        data.geometry,
        picture.fills,
        titles,
        legend=picture.legend,
        legend_title=what,
        element_id=MAP_ID,
        label=(
            f"Map of Maryland's counties: {title}",
            f"Colour classes, lightest to darkest: {'; '.join(picture.names)}. "
            "Every county's figures are in the table below the map.",
        ),
    )
    return Markup(
        render(
            "serve/static_view.html.j2",
            title=title,
            headline=Markup(_own_classes(panel.headline_html(view, state))),
            banner=Markup(_own_classes(panel.provenance_html(data.provenance))),
            svg=Markup(svg),
            rows=sorted(rows),
        )
    )
