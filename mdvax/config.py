"""Paths, source URLs and the few deployment knobs: the one place the environment is read.

Two kinds of configuration, each with one mechanism:

- The data layer (where data lives, where it comes from, how it is fetched) and a handful of
  deployment knobs (where ``mdvax serve`` listens, its config file, its health token, the cache
  folder): environment variables, read here by :func:`get_settings` and nowhere else, so the
  dashboard, the daily report job, the server, the tests and Binder share them. Code inside one
  process passes the :class:`Settings` object on; environment variables reach child processes.
- How the server treats kernels and visitors (caps, pool, culling, timeouts, kernel memory):
  traitlets options of the server's classes (``MdvaxVoila``, ``MdvaxKernelManager``), set in a
  JSON config file (``mdvax serve --config``, ``MDVAX_SERVE_CONFIG``) or on the command line,
  as for any Jupyter application (``mdvax serve --help-all`` lists them).
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
#: Folder of the repository's raw files: each dataset's file is fetched from here by name.
MARYLAND_RAW_URL = "https://raw.githubusercontent.com/state-of-maryland/VaccineCSVs/master/"

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


def default_cache_dir() -> Path:
    """Per-user cache folder (``$XDG_CACHE_HOME/mdvax``, by default ``~/.cache/mdvax``)."""
    import platformdirs

    return platformdirs.user_cache_path(APP_NAME, appauthor=False)


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
    serve_config : Path or None
        JSON file of traitlets options for ``mdvax serve`` (``MDVAX_SERVE_CONFIG``), read after
        the shipped ``voila.json`` and before the command line.
    serve_health_token : str or None
        Token giving ``/healthz`` details to non-loopback callers (``MDVAX_SERVE_HEALTH_TOKEN``;
        a secret, so not in a config file that may be world-readable).
    cache_dir : Path
        Caches that can be rebuilt: the kernels' ``-OO`` bytecode and the server's compressed
        static files (``MDVAX_CACHE_DIR``; default :func:`default_cache_dir`).
    maryland_github_url, maryland_git_url : str
        The state's county file in its repository, and the repository (``MDVAX_MARYLAND_GITHUB_URL``,
        ``MDVAX_MARYLAND_GIT_URL``: a URL, a ``file://`` URL or a local path).
    maryland_raw_url : str
        The folder (URL ending in ``/``) the other datasets' files are fetched from by name
        (``MDVAX_MARYLAND_RAW_URL``; :mod:`mdvax.normalize.registry` names the files).
    embedded_snapshot : bool
        Fall back to the snapshot shipped in the package when nothing was ever fetched
        (``MDVAX_EMBEDDED_SNAPSHOT=off`` disables it).
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
    serve_config: Path | None = None
    serve_health_token: str | None = None
    cache_dir: Path = dataclasses.field(default_factory=default_cache_dir)
    maryland_github_url: str = MARYLAND_GITHUB_URL
    maryland_git_url: str = MARYLAND_GIT_URL
    maryland_raw_url: str = MARYLAND_RAW_URL
    embedded_snapshot: bool = True

    @property
    def bytecode_cache(self) -> Path:
        """Where the dashboard kernels keep their ``-OO`` bytecode."""
        return self.cache_dir / "bytecode"

    @property
    def static_cache(self) -> Path:
        """Where ``mdvax serve`` keeps compressed copies of static files."""
        return self.cache_dir / "static"

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
        serve_config=_folder(env.text("MDVAX_SERVE_CONFIG"))
        if env.text("MDVAX_SERVE_CONFIG")
        else None,
        serve_health_token=env.text("MDVAX_SERVE_HEALTH_TOKEN"),
        cache_dir=_folder(env.text("MDVAX_CACHE_DIR") or default_cache_dir()),
        maryland_github_url=env.text("MDVAX_MARYLAND_GITHUB_URL") or MARYLAND_GITHUB_URL,
        maryland_git_url=env.text("MDVAX_MARYLAND_GIT_URL") or MARYLAND_GIT_URL,
        maryland_raw_url=(env.text("MDVAX_MARYLAND_RAW_URL") or MARYLAND_RAW_URL).rstrip("/") + "/",
        embedded_snapshot=(env.text("MDVAX_EMBEDDED_SNAPSHOT") or "on").lower()
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
