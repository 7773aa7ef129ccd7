"""Paths, source URLs and limits: the one place configuration is read from.

Every setting has a default that works on a fresh clone and an environment variable that
overrides it, so the dashboard, the daily report job, the tests and Binder share one mechanism.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Repository root when running from a checkout (the package lives in ``<root>/mdvax``).
REPO_ROOT = Path(__file__).resolve().parent.parent

MARYLAND_CSV_URL = "https://opendata.arcgis.com/datasets/89c9c1236ca848188d93beb5928f4162_0.csv"
MARYLAND_API_URL = (
    "https://services.arcgis.com/njFNhDsUCentVYJW/arcgis/rest/services/"
    "MD_COVID19_TotalVaccinationsCountyFirstandSecondSingleDose/FeatureServer/0/query"
)
#: Human-readable landing page of the dataset, cited in the dashboard and reports.
MARYLAND_DATASET_PAGE = "https://data.imap.maryland.gov/datasets/89c9c1236ca848188d93beb5928f4162_0"
#: The state's own git repository of the same table (``maryland-github``, ``mdvax history``).
MARYLAND_GITHUB_URL = (
    "https://raw.githubusercontent.com/state-of-maryland/VaccineCSVs/master/"
    "MD_COVID19_TotalVaccinationsCountyFirstandSecondSingleDose.csv"
)
MARYLAND_GIT_URL = "https://github.com/state-of-maryland/VaccineCSVs.git"


@dataclass(frozen=True)
class Settings:
    """A snapshot of the configuration, read from the environment.

    Attributes
    ----------
    data_dir : Path
        Cache folder (``MDVAX_DATA_DIR``, default ``<repo>/data``).
    maryland_csv_url, maryland_api_url : str
        Source endpoints (``MDVAX_MARYLAND_CSV_URL``, ``MDVAX_MARYLAND_API_URL``).
    database_url : str or None
        ``MDVAX_DATABASE_URL``; ``None`` means the embedded SQLite file in ``data_dir``.
    timeout : float
        Seconds to wait for a source to connect or send the next bytes (``MDVAX_HTTP_TIMEOUT``).
    retries : int
        Retries on connection errors and 5xx answers (``MDVAX_HTTP_RETRIES``).
    max_download_bytes : int
        Refuse larger source bodies (``MDVAX_MAX_DOWNLOAD_MB``, default 200 MB).
    maryland_github_url, maryland_git_url : str
        The state's county file in its repository, and the repository (``MDVAX_MARYLAND_GITHUB_URL``,
        ``MDVAX_MARYLAND_GIT_URL``: a URL, a ``file://`` URL or a local path).
    embedded_snapshot : bool
        Fall back to the snapshot shipped in the package when nothing was ever fetched
        (``MDVAX_EMBEDDED_SNAPSHOT=off`` disables it).
    """

    data_dir: Path
    maryland_csv_url: str
    maryland_api_url: str
    database_url: str | None
    timeout: float
    retries: int
    max_download_bytes: int
    maryland_github_url: str = MARYLAND_GITHUB_URL
    maryland_git_url: str = MARYLAND_GIT_URL
    embedded_snapshot: bool = True

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def current_table_path(self) -> Path:
        return self.data_dir / "current.arrow"

    @property
    def current_meta_path(self) -> Path:
        return self.data_dir / "current.json"

    @property
    def quarantine_path(self) -> Path:
        return self.data_dir / "quarantine.csv"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / ".update.lock"

    @property
    def archive_url(self) -> str:
        """SQLAlchemy URL of the archive: PostgreSQL if configured, else ``data/archive.sqlite``."""
        return self.database_url or f"sqlite:///{self.data_dir / 'archive.sqlite'}"


def get_settings() -> Settings:
    """Read the settings from the environment now (cheap; call it where they are used)."""
    env = os.environ
    return Settings(
        data_dir=Path(env.get("MDVAX_DATA_DIR") or REPO_ROOT / "data").expanduser().resolve(),
        maryland_csv_url=env.get("MDVAX_MARYLAND_CSV_URL") or MARYLAND_CSV_URL,
        maryland_api_url=env.get("MDVAX_MARYLAND_API_URL") or MARYLAND_API_URL,
        database_url=env.get("MDVAX_DATABASE_URL") or None,
        timeout=float(env.get("MDVAX_HTTP_TIMEOUT") or 30),
        retries=int(env.get("MDVAX_HTTP_RETRIES") or 2),
        max_download_bytes=int(float(env.get("MDVAX_MAX_DOWNLOAD_MB") or 200) * 1024 * 1024),
        maryland_github_url=env.get("MDVAX_MARYLAND_GITHUB_URL") or MARYLAND_GITHUB_URL,
        maryland_git_url=env.get("MDVAX_MARYLAND_GIT_URL") or MARYLAND_GIT_URL,
        embedded_snapshot=(env.get("MDVAX_EMBEDDED_SNAPSHOT") or "on").lower()
        not in ("off", "0", "no", "false"),
    )
