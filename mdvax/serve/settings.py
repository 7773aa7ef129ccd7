"""Options of ``mdvax serve`` and their translation into Voila (traitlets) configuration."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from mdvax.config import get_settings
from mdvax.errors import ServeError
from mdvax.notebooks import notebook_path

__all__ = ["DEFAULT_NOTEBOOK", "SHARE_DIR", "VOILA_JSON", "ServeError", "ServeOptions"]

#: The settings file shipped with the package; ``mdvax serve`` reads only this one.
VOILA_JSON = Path(__file__).with_name("voila.json")

#: Jupyter data directory holding the ``mdvax`` Voila template (``lab`` + a reload notice).
SHARE_DIR = Path(__file__).with_name("share")

#: A traitlets option on the command line: ``--Class.trait=value``.
TRAITLET_OPTION = re.compile(r"--[A-Za-z_]\w*\.[A-Za-z_]\w*=.*", re.DOTALL)

#: The notebook ``mdvax serve`` serves at ``/`` unless told otherwise.
DEFAULT_NOTEBOOK = notebook_path("dashboard.ipynb")


def shipped_settings() -> dict:
    """The parsed ``voila.json`` shipped with the package."""
    return json.loads(VOILA_JSON.read_text(encoding="utf-8"))


@dataclass
class ServeOptions:
    """What ``mdvax serve`` was asked for on its command line.

    Where to listen comes from the ``MDVAX_SERVE_*`` environment variables (read by
    :func:`mdvax.config.get_settings`) unless given; everything else is a traitlets option of
    the server (``voila.json``, then the operator's config file, then the command line), so
    each option left ``None`` here is whatever the config files say.

    Attributes
    ----------
    notebook : Path
        Notebook served at ``/``.
    host, port, base_url : str, int, str
        Interface (``127.0.0.1``; ``0.0.0.0`` only when asked), TCP port and URL prefix behind
        a proxy (``MDVAX_SERVE_HOST``, ``MDVAX_SERVE_PORT``, ``MDVAX_SERVE_BASE_URL``).
    config : Path or None
        The operator's JSON config file (``--config``, ``MDVAX_SERVE_CONFIG``).
    max_kernels, pool_size : int or None
        Kernel cap (pool included) and preheated kernels (``MdvaxVoila.max_kernels``,
        ``MdvaxVoila.pool_size``; default from the machine, :mod:`mdvax.serve.capacity`).
    cull_idle_timeout, cull_interval : int or None
        Seconds a kernel without a browser may idle, and between checks
        (``MappingKernelManager.*``; default from ``voila.json``).
    fork_kernels : bool or None
        ``False``: launch each kernel instead of forking it (``MdvaxVoila.fork_kernels``).
    traitlets : list of str
        Further ``--Class.trait=value`` options, passed on as they are.
    """

    notebook: Path = DEFAULT_NOTEBOOK
    host: str = field(default_factory=lambda: get_settings().serve_host)
    port: int = field(default_factory=lambda: get_settings().serve_port)
    base_url: str = field(default_factory=lambda: get_settings().serve_base_url)
    config: Path | None = field(default_factory=lambda: get_settings().serve_config)
    max_kernels: int | None = None
    pool_size: int | None = None
    cull_idle_timeout: int | None = None
    cull_interval: int | None = None
    fork_kernels: bool | None = None
    traitlets: list[str] = field(default_factory=list)

    def validate(self) -> None:
        """Raise :class:`ServeError` naming the first impossible option."""
        self.notebook = Path(self.notebook).expanduser().resolve()
        if not self.notebook.is_file():
            raise ServeError(f"notebook not found: {self.notebook}")
        if self.config is not None and not Path(self.config).is_file():
            raise ServeError(f"config file not found: {self.config}")
        if not 0 < self.port < 65536:
            raise ServeError(f"port must be between 1 and 65535, got {self.port}")
        if self.pool_size is not None and self.pool_size < 0:
            raise ServeError(f"pool size must be >= 0, got {self.pool_size}")
        if None not in (self.max_kernels, self.pool_size) and self.max_kernels <= self.pool_size:
            raise ServeError(
                f"max kernels ({self.max_kernels}) must exceed the pool size ({self.pool_size}),"
                " or no visitor could ever get a kernel"
            )
        if any(v is not None and v <= 0 for v in (self.cull_idle_timeout, self.cull_interval)):
            raise ServeError("cull idle timeout and cull interval must be positive seconds")
        if not (self.base_url.startswith("/") and self.base_url.endswith("/")):
            raise ServeError(f"base URL must start and end with '/', got {self.base_url!r}")
        for option in self.traitlets:
            if not TRAITLET_OPTION.fullmatch(option):
                raise ServeError(f"not an option of mdvax serve: {option!r}")

    def voila_argv(self) -> list[str]:
        """The server's command line: these options over the config files."""
        self.validate()
        given = {
            "MdvaxVoila.config_file": self.config and Path(self.config).resolve(),
            "MdvaxVoila.max_kernels": self.max_kernels,
            "MdvaxVoila.pool_size": self.pool_size,
            "MdvaxVoila.fork_kernels": self.fork_kernels,
            "MappingKernelManager.cull_idle_timeout": self.cull_idle_timeout,
            "MappingKernelManager.cull_interval": self.cull_interval,
        }
        return [
            str(self.notebook),
            f"--Voila.ip={self.host}",
            f"--Voila.port={self.port}",
            f"--Voila.base_url={self.base_url}",
            *(f"--{name}={value}" for name, value in given.items() if value is not None),
            *self.traitlets,
        ]
