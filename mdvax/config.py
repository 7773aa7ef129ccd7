"""Paths, source URLs, limits and server options: the one place configuration is read from.

Every setting has a default that works on a fresh clone and an environment variable that
overrides it, so the dashboard, the daily report job, the server, the tests and Binder share one
mechanism. :func:`get_settings` reads them all, here and nowhere else; code inside one process
passes the :class:`Settings` object on, and environment variables configure child processes.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mdvax.errors import ConfigError

#: The installed package's folder (``<checkout>/mdvax`` or ``site-packages/mdvax``).
PACKAGE_DIR = Path(__file__).resolve().parent

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
#: The state's own git repository of the same table (``maryland-github``, ``mdvax history``).
MARYLAND_GITHUB_URL = (
    "https://raw.githubusercontent.com/state-of-maryland/VaccineCSVs/master/"
    "MD_COVID19_TotalVaccinationsCountyFirstandSecondSingleDose.csv"
)
MARYLAND_GIT_URL = "https://github.com/state-of-maryland/VaccineCSVs.git"

#: The application's name for per-user folders (platformdirs).
APP_NAME = "mdvax"


def checkout_root(package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The source checkout the package runs from, or ``None`` for an installed package.

    A checkout (a clone, an editable install, an unpacked source archive) has the project's
    ``pyproject.toml`` beside the package folder; ``site-packages`` has none.
    """
    root = package_dir.parent
    return root if (root / "pyproject.toml").is_file() else None


def default_data_dir(package_dir: Path = PACKAGE_DIR) -> Path:
    """``<checkout>/data`` when running from a checkout, else the per-user data folder.

    The per-user folder is platformdirs' (``$XDG_DATA_HOME/mdvax``, by default
    ``~/.local/share/mdvax`` on Linux).
    """
    root = checkout_root(package_dir)
    if root is not None:
        return root / "data"
    import platformdirs

    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def default_bytecode_cache() -> Path:
    """Per-user cache of the dashboard kernels' bytecode (``$XDG_CACHE_HOME/mdvax/bytecode``)."""
    import platformdirs

    return platformdirs.user_cache_path(APP_NAME, appauthor=False) / "bytecode"


def default_static_cache() -> Path:
    """Per-user cache of compressed static files (``$XDG_CACHE_HOME/mdvax/static``)."""
    import platformdirs

    return platformdirs.user_cache_path(APP_NAME, appauthor=False) / "static"


@dataclass(frozen=True)
class Settings:
    """A snapshot of the configuration, read from the environment by :func:`get_settings`.

    Attributes
    ----------
    data_dir : Path
        Cache folder (``MDVAX_DATA_DIR``; default :func:`default_data_dir`).
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
    serve_host, serve_port, serve_base_url : str, int, str
        Where ``mdvax serve`` listens (``MDVAX_SERVE_HOST``, default ``127.0.0.1``;
        ``MDVAX_SERVE_PORT``, default 8866) and its URL prefix behind a proxy
        (``MDVAX_SERVE_BASE_URL``, default ``/``).
    serve_max_kernels : int
        Ceiling on live dashboard kernels (``MDVAX_SERVE_MAX_KERNELS``; ``None``: from the
        machine's cores and memory, :mod:`mdvax.serve.capacity`).
    serve_pool_size, serve_cull_idle_timeout, serve_cull_interval : int or None
        ``MDVAX_SERVE_POOL_SIZE``, ``MDVAX_SERVE_CULL_IDLE_TIMEOUT``, ``MDVAX_SERVE_CULL_INTERVAL``;
        ``None``: the value in the shipped ``voila.json``.
    bytecode_cache : Path
        Where the dashboard kernels keep their ``-OO`` bytecode (``MDVAX_BYTECODE_CACHE``;
        default :func:`default_bytecode_cache`).
    static_cache : Path
        Where ``mdvax serve`` keeps compressed copies of static files (``MDVAX_STATIC_CACHE``;
        default :func:`default_static_cache`).
    maryland_github_url, maryland_git_url : str
        The state's county file in its repository, and the repository (``MDVAX_MARYLAND_GITHUB_URL``,
        ``MDVAX_MARYLAND_GIT_URL``: a URL, a ``file://`` URL or a local path).
    embedded_snapshot : bool
        Fall back to the snapshot shipped in the package when nothing was ever fetched
        (``MDVAX_EMBEDDED_SNAPSHOT=off`` disables it).
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
    kernel_niceness : int
        How much lower than the server's a dashboard kernel's CPU priority is
        (``MDVAX_KERNEL_NICENESS``, default 10; 0 to 19): under load the server's one event loop,
        which sends every visitor's page and still picture, comes before the kernels' work.
    serve_fork_kernels : bool
        ``MDVAX_SERVE_FORK_KERNELS`` (default on; off, 0, no, false turn it off): ``mdvax serve``
        forks kernels from a preloaded template (:mod:`mdvax.serve.provisioner`).
    """

    data_dir: Path
    maryland_csv_url: str = MARYLAND_CSV_URL
    maryland_api_url: str = MARYLAND_API_URL
    database_url: str | None = None
    timeout: float = 30.0
    retries: int = 2
    max_download_bytes: int = 200 * 1024 * 1024
    serve_host: str = "127.0.0.1"
    serve_port: int = 8866
    serve_base_url: str = "/"
    serve_max_kernels: int | None = None
    serve_pool_size: int | None = None
    serve_cull_idle_timeout: int | None = None
    serve_cull_interval: int | None = None
    bytecode_cache: Path = dataclasses.field(default_factory=default_bytecode_cache)
    static_cache: Path = dataclasses.field(default_factory=default_static_cache)
    maryland_github_url: str = MARYLAND_GITHUB_URL
    maryland_git_url: str = MARYLAND_GIT_URL
    embedded_snapshot: bool = True
    serve_trusted_proxies: tuple[str, ...] = ()
    serve_health_token: str | None = None
    serve_kernels_per_client: int = 2
    serve_sockets_per_client: int = 6
    serve_connect_timeout: float = 15.0
    serve_request_timeout: float = 20.0
    kernel_memory_mb: int = 1024
    kernel_niceness: int = 10
    serve_fork_kernels: bool = True

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

    def replace(self, **changes: object) -> Settings:
        """A copy with ``changes`` (``data_dir`` may be a string; it is resolved)."""
        if "data_dir" in changes:
            changes["data_dir"] = _folder(changes["data_dir"])
        return dataclasses.replace(self, **changes)


def get_settings(environ: Mapping[str, str] | None = None, **changes: object) -> Settings:
    """Read the settings from the environment now (cheap; call it where they are used).

    Parameters
    ----------
    environ : mapping, optional
        Variables to read instead of ``os.environ``.
    **changes
        Values that take precedence over the environment, e.g. ``data_dir=...``.

    Raises
    ------
    ConfigError
        Naming the variable whose value is not a number where one is needed.
    """
    env = _Env(os.environ if environ is None else environ)
    settings = Settings(
        data_dir=_folder(env.text("MDVAX_DATA_DIR") or default_data_dir()),
        maryland_csv_url=env.text("MDVAX_MARYLAND_CSV_URL") or MARYLAND_CSV_URL,
        maryland_api_url=env.text("MDVAX_MARYLAND_API_URL") or MARYLAND_API_URL,
        database_url=env.text("MDVAX_DATABASE_URL"),
        timeout=env.number("MDVAX_HTTP_TIMEOUT", float, default=30.0),
        retries=env.number("MDVAX_HTTP_RETRIES", int, default=2),
        max_download_bytes=int(env.number("MDVAX_MAX_DOWNLOAD_MB", float, default=200) * 1024**2),
        serve_host=env.text("MDVAX_SERVE_HOST") or "127.0.0.1",
        serve_port=env.number("MDVAX_SERVE_PORT", int, default=8866),
        serve_base_url=env.text("MDVAX_SERVE_BASE_URL") or "/",
        serve_max_kernels=env.number("MDVAX_SERVE_MAX_KERNELS", int),
        serve_pool_size=env.number("MDVAX_SERVE_POOL_SIZE", int),
        serve_cull_idle_timeout=env.number("MDVAX_SERVE_CULL_IDLE_TIMEOUT", int),
        serve_cull_interval=env.number("MDVAX_SERVE_CULL_INTERVAL", int),
        bytecode_cache=Path(env.text("MDVAX_BYTECODE_CACHE") or default_bytecode_cache()),
        static_cache=Path(env.text("MDVAX_STATIC_CACHE") or default_static_cache()),
        maryland_github_url=env.text("MDVAX_MARYLAND_GITHUB_URL") or MARYLAND_GITHUB_URL,
        maryland_git_url=env.text("MDVAX_MARYLAND_GIT_URL") or MARYLAND_GIT_URL,
        embedded_snapshot=(env.text("MDVAX_EMBEDDED_SNAPSHOT") or "on").lower()
        not in ("off", "0", "no", "false"),
        serve_trusted_proxies=tuple(
            p.strip()
            for p in (env.text("MDVAX_SERVE_TRUSTED_PROXIES") or "").split(",")
            if p.strip()
        ),
        serve_health_token=env.text("MDVAX_SERVE_HEALTH_TOKEN"),
        serve_kernels_per_client=env.number("MDVAX_SERVE_KERNELS_PER_CLIENT", int, default=2),
        serve_sockets_per_client=env.number("MDVAX_SERVE_SOCKETS_PER_CLIENT", int, default=6),
        serve_connect_timeout=env.number("MDVAX_SERVE_CONNECT_TIMEOUT", float, default=15.0),
        serve_request_timeout=env.number("MDVAX_SERVE_REQUEST_TIMEOUT", float, default=20.0),
        kernel_memory_mb=env.number("MDVAX_KERNEL_MEMORY_MB", int, default=1024),
        kernel_niceness=min(19, max(0, env.number("MDVAX_KERNEL_NICENESS", int, default=10))),
        serve_fork_kernels=(env.text("MDVAX_SERVE_FORK_KERNELS") or "on").lower()
        not in ("off", "0", "no", "false"),
    )
    return settings.replace(**changes) if changes else settings


def _folder(value: object) -> Path:
    return Path(str(value)).expanduser().resolve()


class _Env:
    """Typed reads of environment variables; an empty variable counts as unset."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def text(self, name: str) -> str | None:
        return self.environ.get(name) or None

    def number(self, name: str, kind: type, default: float | None = None):
        raw = self.text(name)
        if raw is None:
            return default
        try:
            return kind(raw)
        except ValueError:
            noun = "an integer" if kind is int else "a number"
            raise ConfigError(f"{name} must be {noun}, got {raw!r}") from None
