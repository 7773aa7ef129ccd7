"""Print axe-core's WCAG 2.0/2.1 A and AA violations per page, counted by impact.

Usage::

    python scripts/a11y-report.py [--reports FOLDER] [--details]

Pages checked: the report index (``FOLDER/index.html``) and the newest report in ``FOLDER``
(default ``reports/``, where ``mdvax report`` writes; build one first). The dashboard pages
will be added here. Pages are opened from disk in headless Chromium with the network blocked,
and axe-core is the one ``make a11y-deps`` installs from npm (``tests/a11y/``).

Exit status: 0 when every page has no violation, 1 when some page has one, 2 when a page or
axe-core is missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mdvax.report import site  # noqa: E402
from tests.support import axe  # noqa: E402


def report_pages(out: Path) -> list[tuple[str, Path]]:
    """The report index and the newest report of the published folder ``out``."""
    days = [d for d in site.report_dates(out) if (out / d / site.REPORT_HTML).is_file()]
    if not days:
        raise FileNotFoundError(f"no report in {out} (run `mdvax report --out {out}` first)")
    return [
        ("report index", out / site.INDEX_HTML),
        (f"report {days[-1]}", out / days[-1] / site.REPORT_HTML),
    ]


def check(pages: list[tuple[str, Path]], details: bool) -> int:
    """Open each page, run axe, print one line of counts per page; the number of violations."""
    from playwright.sync_api import sync_playwright

    from mdvax.serve.probe import launch_chromium

    script = axe.axe_script()
    total = 0
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        page = context.new_page()
        header = f"{'page':<24} {'rules':>5} " + " ".join(f"{i:>8}" for i in axe.IMPACTS)
        for number, (name, path) in enumerate(pages):
            page.goto(path.resolve().as_uri(), wait_until="load")
            violations = axe.run_axe(page)
            if number == 0:
                print(
                    f"axe-core {axe.axe_version(page)} ({script}), tags {','.join(axe.WCAG_TAGS)}"
                )
                print(header)
            counts = axe.count_by_impact(violations)
            print(f"{name:<24} {len(violations):>5} " + " ".join(f"{counts[i]:>8}" for i in counts))
            if details and violations:
                print("    " + axe.describe(violations).replace("\n", "\n    "))
            total += sum(counts.values())
        browser.close()
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, default=Path("reports"), metavar="FOLDER")
    parser.add_argument("--details", action="store_true", help="list the failing elements")
    args = parser.parse_args(argv)
    try:
        pages = report_pages(args.reports)
        failing = check(pages, args.details)
    except (FileNotFoundError, axe.AxeMissingError) as error:
        print(f"a11y-report: {error}", file=sys.stderr)
        return 2
    print(f"{failing} failing element(s) in {len(pages)} page(s)")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
