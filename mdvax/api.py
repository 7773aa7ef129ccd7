"""The small API notebooks use: the current table, its provenance, population and geometry.

Imports stay light (no geopandas, no database driver unless ``as_of`` is asked for), so the
dashboard kernel stays small.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from mdvax import vintages as vintages_service
from mdvax.cache import Cache, CacheMeta
from mdvax.config import Settings, get_settings
from mdvax.stats import MEASURES, county_view, per_capita, state_totals, state_view

__all__ = [
    "MEASURES",
    "county_view",
    "geometry",
    "load_metadata",
    "load_quarantine",
    "load_table",
    "per_capita",
    "population",
    "state_totals",
    "state_view",
    "vintages",
]


def load_table(
    as_of: date | str | None = None, settings: Settings | None = None, dataset: str = "county"
) -> pd.DataFrame:
    """A dataset's table (default the county table): the current one, or the one in force on ``as_of``.

    ``dataset``: one of :data:`mdvax.datasets.DATASETS`; the others than ``county`` (columns in
    :data:`mdvax.datasets.COLUMNS`) are read from the archive, their newest vintage when
    ``as_of`` is None.

    The current table is the newest vintage: it answers ``as_of`` on or after its publication
    day; an earlier day is read from the archive (:func:`mdvax.vintages.in_force`). A data
    folder that was never updated gives the snapshot shipped in the package
    (:mod:`mdvax.embedded`, published 2022-03-07); :func:`load_metadata` then says so.

    Raises
    ------
    CacheError
        When nothing is cached and no embedded snapshot is available.
    ArchiveError
        When no vintage was published on or before ``as_of``.
    """
    settings = settings or get_settings()
    if as_of is None and dataset == "county":
        return vintages_service.current_table(settings)
    from mdvax.archive import as_date

    day = None if as_of is None else as_date(as_of)
    return vintages_service.load_table(settings, day, dataset)


def load_metadata(settings: Settings | None = None) -> CacheMeta:
    """Provenance of the current table (source, fetch time, sha256, date range...).

    For the embedded snapshot, ``source`` reads "embedded snapshot, published 2022-03-07;
    run `mdvax update` to check for newer data".
    """
    return vintages_service.current_meta(settings or get_settings())


def vintages(settings: Settings | None = None) -> pd.DataFrame:
    """Every archived vintage, oldest first (what ``mdvax history list`` prints).

    Returns
    -------
    pandas.DataFrame
        ``published`` (datetime64), ``source`` (hub, api, github, a git commit's short sha,
        file...), ``rows`` (county-days), ``first_date``, ``last_date``, ``revised`` (stored
        daily values it revised relative to the vintage before it), ``added``, ``removed``,
        ``sha256`` and ``vintage_id`` (the id :meth:`mdvax.archive.Archive.revisions` and
        ``revision_series`` report). Empty when nothing is archived.
    """
    from mdvax.archive import Archive

    settings = settings or get_settings()
    with Archive.open(settings.archive_url) as archive:
        return archive.vintage_list()


def load_quarantine(settings: Settings | None = None) -> pd.DataFrame:
    """Raw rows the newest update set aside, with the reason."""
    return Cache(settings or get_settings()).load_quarantine()


def population() -> pd.Series:
    """2019 population by county, plus ``Maryland``."""
    from mdvax.reference import population as reference_population

    return reference_population()


def geometry() -> dict:
    """County boundaries as a GeoJSON dict (feature ``id`` = FIPS)."""
    from mdvax.reference import geometry as reference_geometry

    return reference_geometry()
