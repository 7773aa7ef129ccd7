"""What the tests read from the environment themselves: ``CI`` and the browser to drive.

Neither is the application's configuration (:mod:`mdvax.config`): they only tell the test
harness, the benchmarks and the scripts where Chromium is and whether a missing part (PostgreSQL,
Chromium, nginx, podman, axe-core) fails a test or skips it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: Debian's Chromium; Playwright's own browser download is not used.
DEFAULT_CHROMIUM = "/usr/bin/chromium"


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """``CI=true`` (any case): a test whose part is missing fails instead of skipping."""
    env = os.environ if environ is None else environ
    return env.get("CI", "").lower() == "true"


def chromium_path(environ: Mapping[str, str] | None = None) -> str:
    """The browser the probes drive: ``MDVAX_CHROMIUM``, else :data:`DEFAULT_CHROMIUM`."""
    env = os.environ if environ is None else environ
    return env.get("MDVAX_CHROMIUM") or DEFAULT_CHROMIUM


def missing_part(problem: str) -> None:
    """Skip the running test because ``problem``; fail it instead when ``CI=true``.

    Parameters
    ----------
    problem : str
        What is missing and how to get it, e.g.
        ``"nginx is not installed (bash scripts/system-deps.sh)"``.
    """
    import pytest

    if in_ci():
        pytest.fail(f"CI=true but {problem}")
    pytest.skip(problem)
