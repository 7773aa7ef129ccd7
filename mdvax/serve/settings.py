"""Options of ``mdvax serve`` and their translation into Voila (traitlets) configuration."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from mdvax.config import get_settings
from mdvax.errors import ServeError
from mdvax.notebooks import notebook_path
from mdvax.serve.capacity import (
    FORKED_KERNEL_MB,
    KERNEL_MB,
    default_max_kernels,
    default_pool_size,
)

__all__ = ["DEFAULT_NOTEBOOK", "SHARE_DIR", "VOILA_JSON", "ServeError", "ServeOptions"]

#: The settings file shipped with the package; ``mdvax serve`` reads only this one.
VOILA_JSON = Path(__file__).with_name("voila.json")

#: Jupyter data directory holding the ``mdvax`` Voila template (``lab`` + a reload notice).
SHARE_DIR = Path(__file__).with_name("share")

#: The notebook ``mdvax serve`` serves at ``/`` unless told otherwise.
DEFAULT_NOTEBOOK = notebook_path("dashboard.ipynb")


def shipped_settings() -> dict:
    """The parsed ``voila.json`` shipped with the package."""
    return json.loads(VOILA_JSON.read_text(encoding="utf-8"))


def _or_shipped(value: int | None, section: str, name: str) -> int:
    """``value`` if set, else the shipped ``voila.json``'s ``section.name``."""
    return shipped_settings()[section][name] if value is None else value


@dataclass
class ServeOptions:
    """What ``mdvax serve`` was asked for.

    Defaults come from the ``MDVAX_SERVE_*`` environment variables (read by
    :func:`mdvax.config.get_settings`), else ``voila.json``, so a systemd unit or container can
    set them without a command line.

    Attributes
    ----------
    notebook : Path
        Notebook served at ``/``.
    host : str
        Interface to listen on (``127.0.0.1``; ``0.0.0.0`` only when asked).
    port : int
        TCP port (``MDVAX_SERVE_PORT``, default 8866).
    max_kernels : int
        Ceiling on live kernels, pool included (``MDVAX_SERVE_MAX_KERNELS``, default from the
        machine's cores and memory: :mod:`mdvax.serve.capacity`).
    pool_size : int
        Preheated kernels kept ready (``MDVAX_SERVE_POOL_SIZE``, default from the machine's
        cores: :mod:`mdvax.serve.capacity`).
    cull_idle_timeout, cull_interval : int
        Seconds a kernel without a browser connected may idle, and how often to check.
    retry_after : int
        Seconds the busy page asks the visitor to wait (``Retry-After``).
    base_url : str
        URL prefix when served below a path of a reverse proxy (``MDVAX_SERVE_BASE_URL``).
    fork_kernels : bool
        Fork kernels from a preloaded template (:mod:`mdvax.serve.fork.provisioner`); off with
        ``--no-fork-kernels`` or ``MDVAX_SERVE_FORK_KERNELS=off``.
    """

    notebook: Path = DEFAULT_NOTEBOOK
    host: str = field(default_factory=lambda: get_settings().serve_host)
    port: int = field(default_factory=lambda: get_settings().serve_port)
    max_kernels: int | None = field(default_factory=lambda: get_settings().serve_max_kernels)
    pool_size: int = field(
        default_factory=lambda: (
            default_pool_size()
            if get_settings().serve_pool_size is None
            else get_settings().serve_pool_size
        )
    )
    cull_idle_timeout: int = field(
        default_factory=lambda: _or_shipped(
            get_settings().serve_cull_idle_timeout, "MappingKernelManager", "cull_idle_timeout"
        )
    )
    cull_interval: int = field(
        default_factory=lambda: _or_shipped(
            get_settings().serve_cull_interval, "MappingKernelManager", "cull_interval"
        )
    )
    retry_after: int = 10
    base_url: str = field(default_factory=lambda: get_settings().serve_base_url)
    fork_kernels: bool = field(default_factory=lambda: get_settings().serve_fork_kernels)

    def validate(self) -> None:
        """Raise :class:`ServeError` naming the first impossible option."""
        if self.max_kernels is None:
            kernel_mb = FORKED_KERNEL_MB if self.fork_kernels else KERNEL_MB
            self.max_kernels = default_max_kernels(pool_size=self.pool_size, kernel_mb=kernel_mb)
        self.notebook = Path(self.notebook).expanduser().resolve()
        if not self.notebook.is_file():
            raise ServeError(f"notebook not found: {self.notebook}")
        if not 0 < self.port < 65536:
            raise ServeError(f"port must be between 1 and 65535, got {self.port}")
        if self.pool_size < 0:
            raise ServeError(f"pool size must be >= 0, got {self.pool_size}")
        if self.max_kernels <= self.pool_size:
            raise ServeError(
                f"max kernels ({self.max_kernels}) must exceed the pool size ({self.pool_size}),"
                " or no visitor could ever get a kernel"
            )
        if self.cull_idle_timeout <= 0 or self.cull_interval <= 0:
            raise ServeError("cull idle timeout and cull interval must be positive seconds")
        if not (self.base_url.startswith("/") and self.base_url.endswith("/")):
            raise ServeError(f"base URL must start and end with '/', got {self.base_url!r}")

    def voila_argv(self) -> list[str]:
        """Command-line traitlets that override ``voila.json`` (command line wins)."""
        self.validate()
        return [
            str(self.notebook),
            f"--Voila.ip={self.host}",
            f"--Voila.port={self.port}",
            f"--Voila.base_url={self.base_url}",
            f"--VoilaConfiguration.default_pool_size={self.pool_size}",
            f"--VoilaConfiguration.preheat_kernel={self.pool_size > 0}",
            f"--MappingKernelManager.cull_idle_timeout={self.cull_idle_timeout}",
            f"--MappingKernelManager.cull_interval={self.cull_interval}",
            f"--MdvaxKernelManager.fork_kernels={self.fork_kernels}",
            f"--MdvaxVoila.max_kernels={self.max_kernels}",
            f"--MdvaxVoila.retry_after={self.retry_after}",
        ]
