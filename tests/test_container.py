"""scripts/container-test.sh: the images build, the compose stack serves, failures clean up.

The script builds the mdvax, PostgreSQL and nginx images with rootful podman on a Debian base it
makes with mmdebstrap, starts deploy/container/compose.yaml with podman-compose and checks it
through nginx (Chromium draws the map, a report is published, the archive is in PostgreSQL).
The first run downloads Debian packages and wheels; later runs reuse podman's layer cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.parts import missing_part

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "container-test.sh"
TOOLS = ("podman", "runc", "mmdebstrap")
LAST_LINE = re.compile(
    r"image localhost/mdvax:\S+: (\d+) MB; build (\d+) s \(base (\d+) s\); total (\d+) s"
)


@pytest.fixture(scope="module", autouse=True)
def _podman():
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    problem = f"missing {', '.join(missing)}" if missing else ""
    if not problem and os.geteuid() != 0:
        problem = "the container test needs root (rootful podman)"
    if problem:
        missing_part(f"{problem} (bash scripts/system-deps.sh)")


def run_script(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=1800,
    )


def leftovers(project: str) -> list[str]:
    """Containers and volumes of a compose project that are still there."""
    found = []
    for kind in ("ps", "volume"):
        args = ["podman", kind, "-a", "-q"] if kind == "ps" else ["podman", kind, "ls", "-q"]
        listed = subprocess.run(
            [*args, "--filter", f"label=io.podman.compose.project={project}"],
            capture_output=True,
            text=True,
            check=True,
        )
        found += listed.stdout.split()
    return found


def test_missing_base_fails_the_build_step():
    result = run_script(MDVAX_CONTAINER_BASE="localhost/mdvax-no-such-base:none")
    assert result.returncode != 0
    assert "FAILED at step 'build'" in result.stderr
    assert "mdvax-no-such-base:none: image not known" in result.stderr  # the log's last lines
    assert "start: podman-compose project" not in result.stderr  # nothing was started


@pytest.mark.timeout(1800)
def test_failed_update_names_the_step_and_leaves_nothing_behind():
    result = run_script(MDVAX_CONTAINER_SOURCE_FAULT="http500")
    assert result.returncode != 0
    assert "FAILED at step 'update'" in result.stderr, result.stderr[-3000:]
    assert "mdvax update exited with" in result.stderr
    # The container logs end the report: the update's own error message is among them.
    assert "last lines of container" in result.stderr
    assert "500" in result.stderr.split("last lines of container", 1)[1]
    project = re.search(r"podman-compose project (\S+),", result.stderr).group(1)
    assert leftovers(project) == []


@pytest.mark.timeout(1800)
def test_stack_serves_dashboard_reports_and_archive():
    result = run_script()
    assert result.returncode == 0, result.stderr[-5000:]
    for check in (
        "healthz through nginx: {'status': 'ok'",
        "archive: 1 ",
        "map drawn through nginx",
        "slider step through nginx",
        "report under /reports/",
    ):
        assert check in result.stderr
    last = result.stdout.strip().splitlines()[-1]
    match = LAST_LINE.fullmatch(last)
    assert match, last
    size_mb = int(match.group(1))
    assert 100 < size_mb < 600
    project = re.search(r"podman-compose project (\S+),", result.stderr).group(1)
    assert leftovers(project) == []
