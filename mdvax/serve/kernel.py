"""The kernel ``mdvax serve`` starts for each visitor: a leaner ipykernel.

``mdvax serve`` puts ``mdvax/serve/share`` first on ``JUPYTER_PATH``, so its kernel spec
``kernels/python3/kernel.json`` replaces the default ``python3`` one for the notebooks it serves
(Jupyter replaces ``python`` in the spec by the server's own interpreter). Against the default
kernel, each visitor's kernel saves (measured on the dashboard, RSS):

- about 8 MB: no ``debugpy``. ipykernel imports it when it can; visitors cannot reach the
  debugger anyway (Voila forwards only widget messages);
- about 8 MB: ``python -OO``, no docstrings in memory (pandas alone has megabytes of them).
  Asserts are skipped too; ``pandas``, ``numpy`` and ``IPython`` support ``-OO``. Its bytecode
  (``*.opt-2.pyc``) is not what ``pip`` compiles, so it is kept in a cache folder of its own,
  :func:`bytecode_cache` (the first kernel writes it, the next ones read it: otherwise every
  kernel would compile every module again, seconds of CPU each);
- about 2 MB: no IPython history database (``--HistoryManager.enabled=False`` in the spec).

Each kernel also gets a hard memory ceiling, :func:`limit_memory`, and a lower CPU priority
(:class:`KernelLimits`, options of the server's kernel manager passed on the kernel's command
line): a visitor who makes their kernel grow ends that kernel only (their page shows the reload
notice), never the machine.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

#: The module the served kernel spec runs (``python -OO -m mdvax.serve.kernel``).
KERNEL_MODULE = "mdvax.serve.kernel"

#: The kernel exits once its data segment comes this close to the limit (10 % of the limit at
#: most), before allocations start failing: a ``MemoryError`` inside a widget callback would
#: leave it half-working.
EXIT_MARGIN = 32 * 1024 * 1024


def bytecode_cache() -> Path:
    """Where the kernels keep their bytecode: :attr:`mdvax.config.Settings.bytecode_cache`.

    ``$MDVAX_CACHE_DIR/bytecode``, else ``$XDG_CACHE_HOME/mdvax/bytecode``.
    """
    from mdvax.config import get_settings

    return get_settings().bytecode_cache


def use_bytecode_cache() -> None:
    """Read and write bytecode under :func:`bytecode_cache`; nothing next to the sources.

    Left alone when a prefix is already set (``PYTHONPYCACHEPREFIX``).
    """
    if sys.pycache_prefix is not None:
        return
    folder = bytecode_cache()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # not writable: compile in memory, as with PYTHONDONTWRITEBYTECODE
        return
    sys.pycache_prefix = str(folder)
    sys.dont_write_bytecode = False  # only this private folder is written


def data_bytes() -> int:
    """Size of the data segment of the process (``VmData``: heap, private mappings), bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0


def limit_memory(megabytes: int, interval: float = 0.2) -> None:
    """Cap this process's data memory at ``megabytes`` (0: no cap).

    ``RLIMIT_DATA`` makes the kernel's allocations beyond the cap fail; a watchdog thread ends
    the process (exit status 3) when it comes within :data:`EXIT_MARGIN` of it, so the
    visitor's page sees a dead kernel and says to reload.
    """
    if megabytes <= 0:
        return
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    exit_at = limit - min(EXIT_MARGIN, limit // 10)

    def watch() -> None:
        while True:
            if data_bytes() > exit_at:
                message = f"memory limit of {megabytes} MB reached, exiting"
                record = {"level": "ERROR", "logger": "mdvax.kernel", "message": message}
                sys.stderr.write(json.dumps(record) + "\n")
                sys.stderr.flush()
                os._exit(3)
            time.sleep(interval)

    threading.Thread(target=watch, name="mdvax-memory-watch", daemon=True).start()


@dataclass(frozen=True)
class KernelLimits:
    """A kernel's memory ceiling and CPU priority, sent on its command line by the server.

    Attributes
    ----------
    memory_mb : int
        Data memory the kernel may use before it ends (0: no limit).
    niceness : int
        Added to the inherited niceness (0 to 19): under load the server's event loop, which
        sends every page and still picture, runs before the kernels' work.
    """

    memory_mb: int = 1024
    niceness: int = 10

    #: Prefix of the kernel's own arguments (removed before ipykernel parses the rest).
    PREFIX = "--mdvax-kernel-"

    def argv(self) -> list[str]:
        """The arguments that carry these limits."""
        return [
            f"{self.PREFIX}memory-mb={self.memory_mb}",
            f"{self.PREFIX}niceness={self.niceness}",
        ]

    @classmethod
    def from_argv(cls, argv: list[str]) -> tuple[KernelLimits, list[str]]:
        """The limits in ``argv`` (defaults for those absent) and the other arguments."""
        values, rest = {}, []
        for arg in argv:
            name, _, value = arg.removeprefix(cls.PREFIX).partition("=")
            if arg.startswith(cls.PREFIX) and name in ("memory-mb", "niceness"):
                values[name.replace("-", "_")] = int(value)
            else:
                rest.append(arg)
        return cls(**values), rest


def limit(limits: KernelLimits) -> None:
    """Apply ``limits`` to this process (the kernel)."""
    limit_memory(limits.memory_mb)
    if limits.niceness > 0:
        os.nice(min(19, limits.niceness))


def prepare() -> None:
    """What must hold before ipykernel is imported: the bytecode folder, no ``debugpy``.

    Also called by the fork server's template (:mod:`mdvax.serve.fork.forkserver`) before it
    imports what the kernels need.
    """
    use_bytecode_cache()
    sys.modules["debugpy"] = None  # an import of it now fails: ipykernel disables its debugger


def run() -> None:
    """Start ipykernel with ``sys.argv`` (its usual command line: ``-f <connection file>``)."""
    from ipykernel.kernelapp import IPKernelApp
    from traitlets.config import Config

    from mdvax.serve.logs import KERNEL_LOGGING

    config = Config()
    config.IPKernelApp.logging_config = KERNEL_LOGGING  # JSON lines on stderr, as the server's
    app = IPKernelApp.instance(config=config)
    app.initialize()
    widgets = sys.modules.get("ipywidgets")
    if widgets is not None:  # imported before the kernel existed (a forked kernel): ipywidgets
        widgets.register_comm_target()  # registers its comm targets only if imported after
    app.start()


def main() -> None:
    """Start ipykernel without ``debugpy``, under the memory ceiling, at a lower priority."""
    limits, sys.argv[1:] = KernelLimits.from_argv(sys.argv[1:])
    limit(limits)
    prepare()
    run()


if __name__ == "__main__":
    main()
