"""The notebooks mdvax runs, shipped as package data: the dashboard (Voila) and the report.

``mdvax serve`` and ``mdvax report`` find them here with :mod:`importlib.resources`, so an
installed package (``pip install mdvax``) needs no checkout. They stay thin: the logic lives in
:mod:`mdvax.dashboard` and :mod:`mdvax.report`.

This folder is their single source of truth. The checkout's top-level ``notebooks/`` holds
symbolic links to them (``notebooks/dashboard.ipynb -> ../mdvax/notebooks/dashboard.ipynb``)
beside ``explore.ipynb``, so Binder's and the README's URLs (``voila/render/notebooks/...``),
JupyterLab, papermill and nbval keep working on the same files: git stores the links, Jupyter
and Voila follow them (their target is inside the served folder), and there is no copy to keep
in step. A symbolic link rather than a copy (two files to keep equal) or a move of the public
URLs (every published Binder link would break).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: The notebooks shipped here.
NAMES = ("dashboard.ipynb", "report.ipynb")


def notebook_path(name: str) -> Path:
    """The file of the shipped notebook ``name`` (``dashboard.ipynb`` or ``report.ipynb``).

    Raises
    ------
    FileNotFoundError
        For a name that is not shipped.
    """
    if name not in NAMES:
        raise FileNotFoundError(f"mdvax ships no notebook {name!r} (it has {', '.join(NAMES)})")
    # A regular package installed as files (pip never installs mdvax zipped): a real path,
    # which papermill and Voila need.
    return Path(str(files(__package__) / name))
