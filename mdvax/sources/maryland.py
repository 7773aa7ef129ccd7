"""Maryland's open-data county vaccination layer: the CSV download and the FeatureServer API."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from mdvax.config import Settings
from mdvax.errors import SourceError
from mdvax.sources.base import RawSnapshot, sniff
from mdvax.sources.http import download, make_session


class MarylandCsvSource:
    """The layer's CSV download (one file, supports conditional requests).

    Parameters
    ----------
    settings : Settings
        ``maryland_csv_url`` is the endpoint.
    """

    name = "maryland-csv"
    #: How messages name the source.
    what = "Maryland open data (CSV)"
    #: Days between the newest data date and publication when no ``Last-Modified`` is sent.
    data_lag_days = 0
    #: The setting that holds the endpoint.
    url_setting = "maryland_csv_url"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = getattr(settings, self.url_setting)

    def fetch(
        self, etag: str | None = None, last_modified: str | None = None, progress: bool = False
    ) -> RawSnapshot | None:
        """Download the CSV; ``None`` when the server says nothing changed (HTTP 304)."""
        session = make_session(self.settings)
        answer = download(
            session, self.url, self.settings, etag=etag, last_modified=last_modified,
            progress=progress, what=self.what,
        )  # fmt: skip
        if answer.status == 304:
            return None
        sniff(answer.body, "csv", self.what)
        return RawSnapshot(
            answer.body, self.name, self.url, "csv",
            etag=answer.etag, last_modified=answer.last_modified, data_lag_days=self.data_lag_days,
        )  # fmt: skip


class MarylandGithubSource(MarylandCsvSource):
    """The county file the state commits to its git repository (github.com/state-of-maryland).

    Same conditional requests as the CSV download (GitHub's raw server sends an ``ETag``).
    Publication date: ``Last-Modified`` when sent (raw.githubusercontent.com does not send it),
    else the newest data date plus one day, since the state commits day D with data through D-1.
    """

    name = "maryland-github"
    what = "Maryland's git repository (county file)"
    data_lag_days = 1
    url_setting = "maryland_github_url"


class MarylandApiSource:
    """The layer's ArcGIS FeatureServer ``query`` endpoint, paged.

    ArcGIS caps the rows per answer and flags a partial answer with ``exceededTransferLimit``;
    a flagged page may hold fewer rows than asked for, even none. Errors arrive as HTTP 200 with
    an ``{"error": ...}`` body. The pages are merged into one JSON document, kept as the raw file.
    """

    name = "maryland-api"
    page_size = 2000
    #: Times an empty page flagged as partial is asked for again before giving up.
    empty_page_retries = 3

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.maryland_api_url

    def fetch(self, progress: bool = False, **_validators: object) -> RawSnapshot:
        """Download every row (the API has no conditional requests: always a full transfer)."""
        from tqdm.auto import tqdm

        session = make_session(self.settings)
        expected = self._query(session, {"where": "1=1", "returnCountOnly": "true"}).get("count")
        features: list[dict] = []
        fields: list[dict] = []
        empty_in_a_row = 0
        with tqdm(
            total=expected, unit="row", desc="download Maryland API", disable=not progress
        ) as bar:
            while True:
                page = self._query(session, self._page_params(len(features)))
                rows = page.get("features")
                if not isinstance(rows, list):
                    raise SourceError(
                        f"Maryland API page at offset {len(features)} has no 'features' list"
                    )
                fields = page.get("fields") or fields
                features.extend(rows)
                bar.update(len(rows))
                if not page.get("exceededTransferLimit"):
                    break
                empty_in_a_row = 0 if rows else empty_in_a_row + 1
                if empty_in_a_row > self.empty_page_retries:
                    raise SourceError(
                        f"Maryland API kept sending empty pages flagged exceededTransferLimit "
                        f"at offset {len(features)}"
                    )
        if isinstance(expected, int) and expected != len(features):
            raise SourceError(
                f"Maryland API announced {expected:,} rows but sent {len(features):,}"
            )
        document = {"fields": fields, "features": features}
        body = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
        return RawSnapshot(body, self.name, self.url, "json", fetched_at=datetime.now(UTC))

    def _page_params(self, offset: int) -> dict[str, str]:
        return {
            "where": "1=1",
            "outFields": "*",
            "orderByFields": "OBJECTID",
            "resultOffset": str(offset),
            "resultRecordCount": str(self.page_size),
        }

    def _query(self, session: object, params: dict[str, str]) -> dict:
        answer = download(session, self.url, self.settings, params={**params, "f": "json"},
                          what="Maryland API")  # fmt: skip
        sniff(answer.body, "json", "Maryland API")
        try:
            return json.loads(answer.body)
        except ValueError as error:
            raise SourceError(f"Maryland API sent invalid JSON: {error}") from error
