"""axe-core in a Playwright page: the WCAG 2.0/2.1 A and AA rules, and their violations.

axe-core comes from the npm registry at the version ``tests/a11y/package-lock.json`` pins;
``make test`` installs it (``npm ci``) into ``tests/a11y/node_modules``, which git ignores. It is
never committed and never fetched from a CDN: :func:`run_axe` injects the local ``axe.min.js``
into the page, so pages opened from disk with the network blocked can be checked too.

Without axe-core a test skips locally and fails when ``CI=true`` (:func:`require_axe`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.parts import missing_part

#: The npm project holding axe-core (``package.json`` and ``package-lock.json``).
NPM_DIR = Path(__file__).resolve().parents[1] / "a11y"
#: axe-core's browser bundle, once ``npm ci`` ran in :data:`NPM_DIR`.
AXE_JS = NPM_DIR / "node_modules" / "axe-core" / "axe.min.js"

#: Rules run: those tagged WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

#: Impacts axe gives a violation, worst first.
IMPACTS = ("critical", "serious", "moderate", "minor")

_RUN_JS = """async (tags) => {
    const results = await axe.run(document, {
        runOnly: {type: "tag", values: tags},
        resultTypes: ["violations"],
    });
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, tags: v.tags,
        nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
    }));
}"""


class AxeMissingError(RuntimeError):
    """axe-core is not installed and could not be installed (no npm, or npm failed)."""


def axe_script() -> Path:
    """Path of ``axe.min.js``, running ``npm ci`` first if it is not installed yet.

    Raises
    ------
    AxeMissingError
        If npm is missing or ``npm ci`` fails (the message says what to run).
    """
    if AXE_JS.is_file():
        return AXE_JS
    npm = shutil.which("npm")
    if npm is None:
        raise AxeMissingError(
            "axe-core is not installed and npm is missing: install Node.js and npm "
            "(Debian: apt-get install nodejs npm), then run `make a11y-deps`"
        )
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=NPM_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not AXE_JS.is_file():
        raise AxeMissingError(f"`npm ci` in {NPM_DIR} failed: {done.stderr.strip()[-500:]}")
    return AXE_JS


def require_axe() -> Path:
    """:func:`axe_script` for a test: skips without axe-core, but fails when ``CI=true``."""
    try:
        return axe_script()
    except AxeMissingError as error:
        missing_part(str(error))


def run_axe(page, tags: tuple[str, ...] = WCAG_TAGS) -> list[dict]:
    """Run axe-core on the page's document; its violations among the rules tagged ``tags``.

    Parameters
    ----------
    page : playwright.sync_api.Page
        A loaded page (axe is injected into it on the first call).
    tags : tuple of str
        axe rule tags to run (default :data:`WCAG_TAGS`).

    Returns
    -------
    list of dict
        One dict per rule violated: ``id``, ``impact``, ``help``, ``tags`` and ``nodes``
        (each with the CSS ``target`` of the element and axe's ``summary`` of what fails).
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    return page.evaluate(_RUN_JS, list(tags))


def axe_version(page) -> str:
    """Version of the axe-core injected into ``page``."""
    return page.evaluate("axe.version")


def count_by_impact(violations: list[dict]) -> dict[str, int]:
    """Elements failing, per impact (``critical`` ... ``minor``), over all rules violated."""
    counts = dict.fromkeys(IMPACTS, 0)
    for violation in violations:
        counts[violation["impact"] or "minor"] += len(violation["nodes"])
    return counts


def describe(violations: list[dict], nodes: int = 3) -> str:
    """Violations as readable lines: rule, impact, help, and the first ``nodes`` elements."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:nodes]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}: {summary[:300]}")
        if len(violation["nodes"]) > nodes:
            lines.append(f"    ... and {len(violation['nodes']) - nodes} more")
    return "\n".join(lines) or "no violations"
