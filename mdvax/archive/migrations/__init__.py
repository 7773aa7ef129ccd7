"""The archive's migrations, one frozen module each: what a migration does never changes.

Migration ``i`` (0-based in :data:`MIGRATIONS`) brings the schema to version ``i + 1``; it runs
once per archive, in :func:`mdvax.archive.schema.upgrade`'s transaction. An archive made by a
release of last year and one made today must end up the same, so a migration's module holds a
copy of everything it does, as it was when the migration shipped: its table definitions, its
queries, its encoding. It imports no other part of mdvax but :mod:`mdvax.errors` and earlier
migrations (frozen too); an import-linter contract (``.importlinter``) checks it. The live code
(:mod:`mdvax.archive.schema`, :mod:`~mdvax.archive.record`, :mod:`~mdvax.archive.tables`)
may change freely; a change to what is stored is a new migration.

- :mod:`~mdvax.archive.migrations.v1_create`: the vintages, series and value versions;
- :mod:`~mdvax.archive.migrations.v2_timeline_ids`: vintage ids from the publication order,
  and the ``provenance`` column;
- :mod:`~mdvax.archive.migrations.v3_vintage_tables`: each vintage's table in one row;
- :mod:`~mdvax.archive.migrations.v4_dataset_vintages`: the other datasets' vintages.

To change the schema, add a module and append its ``migrate`` below; never edit a shipped one.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from mdvax.archive.migrations import (
    v1_create,
    v2_timeline_ids,
    v3_vintage_tables,
    v4_dataset_vintages,
)

#: Ordered migrations; migration ``i`` (0-based) brings the schema to version ``i + 1``.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (
    v1_create.migrate,
    v2_timeline_ids.migrate,
    v3_vintage_tables.migrate,
    v4_dataset_vintages.migrate,
)
