"""Read queries on the archive tables (connections come from :class:`mdvax.archive.Archive`)."""

from __future__ import annotations

from datetime import UTC, date

import pandas as pd
from sqlalchemy import Connection, Row, and_, func, or_, select

from mdvax.archive.diff import STORED_MEASURES
from mdvax.archive.frames import DATE_DTYPE
from mdvax.archive.schema import series, value_versions, vintages
from mdvax.errors import ArchiveError, NoVintageYetError

VALUE_COLUMNS = ["county", "measure", "date", "value"]


def vintage_as_of(conn: Connection, as_of: date) -> Row:
    """The latest vintage published on or before ``as_of`` (the later-recorded on a tie).

    Raises
    ------
    ArchiveError
        When the archive is empty; :class:`~mdvax.errors.NoVintageYetError` when every
        vintage was published after ``as_of``.
    """
    row = conn.execute(
        select(vintages)
        .where(vintages.c.published <= as_of)
        .order_by(vintages.c.published.desc(), vintages.c.id.desc())
        .limit(1)
    ).first()
    if row is not None:
        return row
    oldest = conn.scalar(select(vintages.c.published).order_by(vintages.c.id).limit(1))
    if oldest is None:
        raise ArchiveError("the archive is empty: run `mdvax update` to record a first vintage")
    raise too_early(as_of, oldest)


def too_early(day: date, oldest: date) -> NoVintageYetError:
    """The error for a day before the archive's ``oldest`` publication day (one wording)."""
    return NoVintageYetError(
        f"no vintage was published on or before {day:%Y-%m-%d}: "
        f"the oldest archived vintage was published on {oldest:%Y-%m-%d}"
    )


def fingerprint(conn: Connection) -> tuple:
    """What changes whenever a vintage is recorded or spliced in: count, newest id and time.

    One aggregate over the ``vintages`` table (a few hundred rows at most): cheap enough to
    check on every page a visitor opens.
    """
    row = conn.execute(
        select(func.count(), func.max(vintages.c.id), func.max(vintages.c.recorded_at))
    ).one()
    return (int(row[0]), row[1], str(row[2]) if row[2] is not None else None)


def latest_vintage(conn: Connection) -> Row | None:
    """The most recently recorded vintage, or None for an empty archive."""
    return conn.execute(select(vintages).order_by(vintages.c.id.desc()).limit(1)).first()


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    frame["date"] = pd.to_datetime(frame["date"]).astype(DATE_DTYPE)
    frame["value"] = frame["value"].astype("int64")
    return frame


def _joined(*extra):
    return select(
        series.c.county, series.c.measure, value_versions.c.day, value_versions.c.value, *extra
    ).join(series, series.c.id == value_versions.c.series_id)


def values_at(conn: Connection, vintage_id: int | None = None) -> pd.DataFrame:
    """Stored values as of vintage ``vintage_id`` (None: the current ones), from the versions.

    One scan of ``value_versions``, whose cost grows with the number of vintages: reading a
    vintage's table goes through :func:`mdvax.archive.tables.read` instead; this is what
    recording a vintage compares with, and what the tests check those tables against.

    Read as the driver returns them, without a join: SQLAlchemy's per-value ``Date``
    conversion, its row objects and the join to ``series`` cost about 150 ms for one vintage of
    the 2021 history (half the dashboard's vintage switch budget); pandas parses the days in one
    call instead.

    Returns
    -------
    pandas.DataFrame
        ``county, measure, date, value``.
    """
    if vintage_id is None:
        where = value_versions.c.valid_to.is_(None)
    else:
        vintage_id = int(vintage_id)  # a literal below: never anything but an integer
        where = and_(
            value_versions.c.valid_from <= vintage_id,
            or_(value_versions.c.valid_to.is_(None), value_versions.c.valid_to > vintage_id),
        )
    stmt = select(value_versions.c.series_id, value_versions.c.day, value_versions.c.value)
    sql = str(stmt.where(where).compile(conn, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.cursor()  # plain tuples: SQLAlchemy rows cost more to unpack
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return long_frame(rows, series_names(conn))


def series_names(conn: Connection) -> dict[int, tuple[str, str]]:
    """Series id -> ``(county, measure)``."""
    return {r[0]: (r[1], r[2]) for r in conn.execute(select(series)).all()}


def long_frame(rows: list, names: dict[int, tuple[str, str]]) -> pd.DataFrame:
    """``county, measure, date, value`` from ``(series_id, day, value)`` rows.

    ``day`` may be a date or an ISO string (what SQLite's driver returns without SQLAlchemy).
    """
    frame = pd.DataFrame(rows, columns=["series_id", "date", "value"])
    labels = pd.DataFrame(
        [names[i] for i in frame["series_id"]], columns=["county", "measure"], dtype=object
    )
    frame = pd.concat([labels, frame[["date", "value"]]], axis=1)
    frame["date"] = pd.to_datetime(frame["date"], format="ISO8601").astype(DATE_DTYPE)
    frame["value"] = frame["value"].astype("int64")
    return frame


def county_versions(conn: Connection, county: str) -> pd.DataFrame:
    """Every stored version of one county's values.

    Returns
    -------
    pandas.DataFrame
        ``county, measure, date, value, valid_from, valid_to`` (``valid_to`` may be NA).
    """
    stmt = _joined(value_versions.c.valid_from, value_versions.c.valid_to).where(
        series.c.county == county
    )
    frame = _frame(conn.execute(stmt).all(), [*VALUE_COLUMNS, "valid_from", "valid_to"])
    frame["valid_to"] = frame["valid_to"].astype("Int64")
    return frame


def vintage_table(conn: Connection) -> pd.DataFrame:
    """Every vintage, oldest first (dates as datetime64, ``fetched_at``/``recorded_at`` in UTC)."""
    return vintage_frame(conn.execute(select(vintages).order_by(vintages.c.id)).all())


def vintage_frame(rows: list[Row]) -> pd.DataFrame:
    """``vintages`` rows as :func:`vintage_table` gives them."""
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(vintages.c.keys()))
    for name in ("published", "first_date", "last_date"):
        frame[name] = pd.to_datetime(frame[name]).astype(DATE_DTYPE)
    for name in ("fetched_at", "recorded_at"):
        frame[name] = pd.to_datetime(frame[name]).astype(DATE_DTYPE).dt.tz_localize(UTC)
    return frame


def has_sha256(conn: Connection, sha256: str) -> bool:
    """Whether a vintage with this raw-file hash is archived."""
    return conn.scalar(select(vintages.c.id).where(vintages.c.sha256 == sha256)) is not None


#: ``vintages.source`` -> the short label ``mdvax history list`` shows.
SOURCE_LABELS = {"maryland-csv": "hub", "maryland-api": "api", "maryland-github": "github"}


def source_label(source: str) -> str:
    """``hub``, ``api``, ``github``, a git commit's short sha (``git:<sha>``), or ``file``..."""
    if source.startswith("git:"):
        return source[4:11]
    return SOURCE_LABELS.get(source, source)


def vintage_list(conn: Connection) -> pd.DataFrame:
    """Every vintage, oldest first, in the shape of :func:`mdvax.api.vintages`."""
    frame = vintage_table(conn)
    return pd.DataFrame({
        "published": frame["published"],
        "source": frame["source"].map(source_label).astype(object),
        "rows": (frame["n_values"] // len(STORED_MEASURES)).astype("int64"),
        "first_date": frame["first_date"],
        "last_date": frame["last_date"],
        "revised": frame["n_revised"].astype("int64"),
        "added": frame["n_added"].astype("int64"),
        "removed": frame["n_removed"].astype("int64"),
        "sha256": frame["sha256"].astype(object),
        "vintage_id": frame["id"].astype("int64"),
    })  # fmt: skip
