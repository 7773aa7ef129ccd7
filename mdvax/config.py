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
#: Largest CSV a visitor may upload to the dashboard (the real table is about 200 KB). The
#: server's websocket message limit is derived from it (``mdvax.serve``).
MAX_UPLOAD_BYTES = 4 * 1024 * 1024

#: Human-readable landing page of the dataset, cited in the dashboard and reports.
MARYLAND_DATASET_PAGE = "https://data.imap.maryland.gov/datasets/89c9c1236ca848188d93beb5928f4162_0"


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
    serve_trusted_proxies : tuple of str
        Addresses of reverse proxies whose ``X-Forwarded-For`` names the client
        (``MDVAX_SERVE_TRUSTED_PROXIES``, comma-separated; default none: the peer address).
    serve_health_token : str or None
        Token giving ``/healthz`` details to non-loopback callers (``MDVAX_SERVE_HEALTH_TOKEN``).
    serve_kernels_per_client, serve_sockets_per_client : int
        Kernels and kernel websockets one client address may hold
        (``MDVAX_SERVE_KERNELS_PER_CLIENT``, default 2; ``MDVAX_SERVE_SOCKETS_PER_CLIENT``, 6).
    serve_connect_timeout : float
        Seconds after its page was sent before a kernel whose page never connected is shut
        down (``MDVAX_SERVE_CONNECT_TIMEOUT``, default 15).
    serve_request_timeout : float
        Seconds a client may take to send a request's headers or body, or keep an idle
        connection (``MDVAX_SERVE_REQUEST_TIMEOUT``, default 20).
    kernel_memory_mb : int
        Data memory one kernel may use before it is ended (``MDVAX_KERNEL_MEMORY_MB``, default
        1024; 0: no limit).
    """

    data_dir: Path
    maryland_csv_url: str
    maryland_api_url: str
    database_url: str | None
    timeout: float
    retries: int
    max_download_bytes: int
    serve_trusted_proxies: tuple[str, ...] = ()
    serve_health_token: str | None = None
    serve_kernels_per_client: int = 2
    serve_sockets_per_client: int = 6
    serve_connect_timeout: float = 15.0
    serve_request_timeout: float = 20.0
    kernel_memory_mb: int = 1024

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
        serve_trusted_proxies=tuple(
            filter(None, (p.strip() for p in env.get("MDVAX_SERVE_TRUSTED_PROXIES", "").split(",")))
        ),
        serve_health_token=env.get("MDVAX_SERVE_HEALTH_TOKEN") or None,
        serve_kernels_per_client=int(env.get("MDVAX_SERVE_KERNELS_PER_CLIENT") or 2),
        serve_sockets_per_client=int(env.get("MDVAX_SERVE_SOCKETS_PER_CLIENT") or 6),
        serve_connect_timeout=float(env.get("MDVAX_SERVE_CONNECT_TIMEOUT") or 15),
        serve_request_timeout=float(env.get("MDVAX_SERVE_REQUEST_TIMEOUT") or 20),
        kernel_memory_mb=int(env.get("MDVAX_KERNEL_MEMORY_MB") or 1024),
    )
