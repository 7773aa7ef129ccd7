"""The one seam between mdvax and the private parts of its upstream libraries.

mdvax uses the public API of Voila, jupyter_server, jupyter_client, nbconvert and Tornado
wherever one exists. Where none does, the private name is used here and nowhere else, each with
the upstream issue or proposal that would make it public (``docs/serving.md``, "Upstream
proposals", has the texts ready to send):

=====================================  ==========================================================
:mod:`mdvax.upstream.voila`            what ``mdvax serve`` needs from Voila, jupyter_server,
                                       nbconvert and Tornado
:mod:`mdvax.upstream.kernels`          what the report runner needs from jupyter_client
=====================================  ==========================================================

At run time only the installed versions are checked, against the ranges in :data:`SUPPORTED`
(:func:`unsupported`); whether each private assumption still holds is checked by the tests
(``tests/test_upstream.py``), which run whenever the lock file moves.
An upstream refactor that keeps behaviour therefore never stops a server; one that changes it
fails the suite before it can reach one.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from packaging.specifiers import SpecifierSet

#: Versions whose private parts the tests have checked (the lock file pins one of each).
SUPPORTED = {
    "voila": SpecifierSet(">=0.5.13,<0.6"),
    "jupyter_server": SpecifierSet(">=2.14,<3"),
    "jupyter_client": SpecifierSet(">=8.6,<9"),
    "nbconvert": SpecifierSet(">=7.16,<8"),
    "tornado": SpecifierSet(">=6.4,<7"),
}


def unsupported(packages: dict[str, SpecifierSet] = SUPPORTED) -> list[str]:
    """``"name version (supported: range)"`` for each installed package outside its range."""
    found = []
    for name, supported in packages.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "missing"
        if installed == "missing" or installed not in supported:
            found.append(f"{name} {installed} (supported: {supported})")
    return found
