"""The one archive reader: ``Archive.vintage_as_of`` and the vintages service (:mod:`mdvax.vintages`).

Real snapshots (the state's files of 2021-03-23, 03-30 and 04-01) recorded in a real archive,
SQLite and PostgreSQL alike. Expected figures are the hand-checked ones of the shared data's
README (Anne Arundel's first doses on 2021-03-23: 1,718 in the 03-23 file, 3,444 in the 03-30
one), and which vintage is in force is checked by the raw file's own sha256.
"""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from mdvax import api
from mdvax import vintages as service
from mdvax.archive import Archive
from mdvax.errors import ArchiveError, CacheError
from mdvax.normalize import normalize
from mdvax.sources.base import RawSnapshot
from tests.support.archive_fixtures import archive_env  # noqa: F401 (a fixture)

# Every test runs twice: default SQLite file, and a fresh PostgreSQL database (marked postgres).
pytestmark = pytest.mark.usefixtures("archive_env")

DATA = Path(__file__).parent / "data"
#: (file, published day, fetch hour): the 04-01 file is recorded as a second vintage of 03-30.
RECORDED = [("2021-03-23", "2021-03-23", 15), ("2021-03-30", "2021-03-30", 12),
            ("2021-04-01", "2021-03-30", 18)]  # fmt: skip


def raw(day: str) -> bytes:
    return gzip.decompress((DATA / f"md_vax_county_{day}.csv.gz").read_bytes())


def sha(day: str) -> str:
    return hashlib.sha256(raw(day)).hexdigest()


def first_doses(table: pd.DataFrame, county: str, day: str) -> int:
    row = table[(table["county"] == county) & (table["date"] == pd.Timestamp(day))]
    return int(row["first_dose_daily"].iloc[0])


@pytest.fixture
def archived(monkeypatch):
    monkeypatch.setenv("MDVAX_EMBEDDED_SNAPSHOT", "off")
    with Archive.open() as archive:
        for name, published, hour in RECORDED:
            when = datetime.fromisoformat(published).replace(hour=hour, tzinfo=UTC)
            snapshot = RawSnapshot(raw(name), "file", "", "csv", fetched_at=when)
            archive.record_vintage(normalize(snapshot).table, published=date.fromisoformat(
                published), fetched_at=when, sha256=snapshot.sha256, source="file")  # fmt: skip
    from mdvax.config import get_settings

    return get_settings()


def test_vintage_as_of_is_the_latest_published_by_then(archived):
    with Archive.open() as archive:
        assert archive.vintage_as_of("2021-03-29")["sha256"] == sha("2021-03-23")
        on_30 = archive.vintage_as_of(date(2021, 3, 31))
        assert on_30["sha256"] == sha("2021-04-01")  # two that day: the later fetched one
        assert on_30["published"] == pd.Timestamp("2021-03-30")
        assert first_doses(archive.table_as_of("2021-03-29"), "Anne Arundel", "2021-03-23") == 1718
        with pytest.raises(ArchiveError) as error:
            archive.vintage_as_of("2021-03-22")
    assert str(error.value) == (
        "no vintage was published on or before 2021-03-22: the oldest archived vintage was "
        "published on 2021-03-23"
    )


def test_vintage_as_of_an_empty_archive_says_so():
    with Archive.open() as archive, pytest.raises(ArchiveError, match="the archive is empty"):
        archive.vintage_as_of("2021-03-30")


def test_the_service_reads_the_vintage_in_force_through_one_rule(archived):
    # Nothing cached, no embedded snapshot: every day is the archive's.
    with pytest.raises(CacheError):
        service.in_force(archived, None)
    provenance, current = service.in_force(archived, date(2021, 3, 29))
    assert (provenance.sha256, provenance.published, current) == (
        sha("2021-03-23"), date(2021, 3, 23), False)  # fmt: skip
    table = api.load_table("2021-03-29", settings=archived)
    assert first_doses(table, "Anne Arundel", "2021-03-23") == 1718
    with pytest.raises(ArchiveError, match="on or before 2021-03-01"):
        api.load_table("2021-03-01", settings=archived)
    # The catalogue: one vintage per day (the later fetched on 03-30), and its fingerprint.
    catalogue = service.catalogue(archived)
    assert list(catalogue.rows["sha256"]) == [sha("2021-03-23"), sha("2021-04-01")]
    assert catalogue.provenance(date(2021, 3, 30)).sha256 == sha("2021-04-01")
    assert catalogue.stamp == service.fingerprint(archived)
    with Archive.open() as archive:
        body = raw("2021-03-30")
        when = datetime(2021, 4, 2, 12, tzinfo=UTC)
        snapshot = RawSnapshot(body + b"\n", "file", "", "csv", fetched_at=when)
        archive.record_vintage(normalize(snapshot).table, published=when.date(),
                               fetched_at=when, sha256=snapshot.sha256, source="file")  # fmt: skip
    assert service.fingerprint(archived) != catalogue.stamp
    later = api.load_table("2021-04-05", settings=archived)
    assert first_doses(later, "Anne Arundel", "2021-03-23") == 3444


def test_recent_keeps_the_last_tables_asked_for(archived):
    store = service.Recent(2)
    days = [date(2021, 3, 23), date(2021, 3, 30), date(2021, 3, 23)]
    read = [service.archived_table(archived, service.in_force(archived, d)[0], store)
            for d in days]  # fmt: skip
    assert read[0] is read[2]  # kept, not read again
    assert len(store) == 2
    loads = []
    for key in ("a", "b", "c", "a"):
        store.get(key, lambda key=key: loads.append(key) or key)
    assert loads == ["a", "b", "c", "a"]  # "a" was dropped when "c" came
    assert service.Recent(0).get("x", lambda: 1) == 1  # keeps nothing


def test_the_current_table_is_in_force_unless_the_archive_holds_a_newer_one():
    from mdvax.config import get_settings
    from mdvax.dashboard import load_data
    from mdvax.pipeline import update

    data_env = get_settings()
    assert update(source="maryland-csv").status == "updated"  # the 03-30 file, archived too
    published = api.load_metadata().published
    provenance, current = service.in_force(data_env, None)
    assert (provenance.sha256, current) == (sha("2021-03-30"), True)  # a tie: the cache
    assert load_data().vintages.newest.provenance.sha256 == sha("2021-03-30")
    when = datetime.combine(published + timedelta(days=2), datetime.min.time(), UTC)
    with Archive.open() as archive:
        snapshot = RawSnapshot(raw("2021-04-01"), "file", "", "csv", fetched_at=when)
        archive.record_vintage(normalize(snapshot).table, published=when.date(),
                               fetched_at=when, sha256=snapshot.sha256, source="file")  # fmt: skip
    # Newer in the archive: the API, the report and the dashboard all read that one.
    provenance, current = service.in_force(data_env, None)
    assert (provenance.sha256, current) == (sha("2021-04-01"), False)
    assert service.in_force(data_env, published)[0].sha256 == sha("2021-03-30")
    assert load_data().vintages.newest.provenance.sha256 == sha("2021-04-01")
    table = service.load_table(data_env, when.date())
    assert first_doses(table, "Anne Arundel", "2021-03-23") == first_doses(
        normalize(snapshot).table, "Anne Arundel", "2021-03-23")  # fmt: skip


def test_the_oldest_publication_day_is_one_aggregate_query(archived):
    from sqlalchemy import Engine, event

    from mdvax.report.arguments import oldest_vintage

    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(" ".join(statement.lower().split()))

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        oldest = oldest_vintage()
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert oldest == min(published for _, published, _ in RECORDED)  # the 03-23 file's day
    read = [s for s in statements if "from vintages" in s]
    assert len(read) == 1
    assert "min(vintages.published)" in read[0]


def test_the_oldest_publication_day_of_an_empty_archive_is_a_clear_error():
    from mdvax.report.arguments import oldest_vintage

    with Archive.open():
        pass  # created, nothing recorded
    with pytest.raises(ArchiveError, match="the archive is empty: run `mdvax update`"):
        oldest_vintage()
