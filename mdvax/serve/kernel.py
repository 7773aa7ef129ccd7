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
"""

from __future__ import annotations

import sys
from pathlib import Path


def bytecode_cache() -> Path:
    """Where the kernels keep their bytecode: :attr:`mdvax.config.Settings.bytecode_cache`.

    ``$MDVAX_BYTECODE_CACHE``, else ``$XDG_CACHE_HOME/mdvax/bytecode`` (``~/.cache/mdvax/...``).
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


def main() -> None:
    """Start ipykernel (its usual command line: ``-f <connection file>``) without ``debugpy``."""
    use_bytecode_cache()
    sys.modules["debugpy"] = None  # an import of it now fails: ipykernel disables its debugger
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()


if __name__ == "__main__":
    main()
