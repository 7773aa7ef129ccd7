"""Print axe-core's WCAG 2.0/2.1 A and AA violations per page, counted by impact.

Usage::

    python scripts/a11y-report.py [--reports FOLDER] [--dashboard URL] [--details]

Pages checked: the report index (``FOLDER/index.html``) and the newest report in ``FOLDER``
(default ``reports/``, where ``mdvax report`` writes; build one first), opened from disk in
headless Chromium with the network blocked. With ``--dashboard URL`` (a running ``mdvax serve``,
e.g. ``http://127.0.0.1:8866/``) also the dashboard: its default view, % of population with
Montgomery's panel and the table of the view open, the daily view, and the default view 390 px
wide. axe-core is the one ``make a11y-deps`` installs from npm (``tests/a11y/``); it is injected
into the dashboard with the page's Content-Security-Policy bypassed (the policy refuses any
script without the page's nonce). ``--reports none`` checks the dashboard alone.

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

#: Dashboard views: name, query, viewport width, whether to show the table of the view.
DASHBOARD_VIEWS = (
    ("dashboard default", "", 1280, False),
    ("dashboard %, Montgomery", "?per_capita=1&county=24031", 1280, True),
    ("dashboard daily", "?daily=1", 1280, False),
    ("dashboard 390 px", "", 390, False),
)


def report_pages(out: Path) -> list[tuple[str, str, int, bool]]:
    """The report index and the newest report of the published folder ``out``."""
    days = [d for d in site.report_dates(out) if (out / d / site.REPORT_HTML).is_file()]
    if not days:
        raise FileNotFoundError(f"no report in {out} (run `mdvax report --out {out}` first)")
    return [
        ("report index", (out / site.INDEX_HTML).resolve().as_uri(), 1200, False),
        (f"report {days[-1]}", (out / days[-1] / site.REPORT_HTML).resolve().as_uri(), 1200, False),
    ]


def dashboard_pages(url: str) -> list[tuple[str, str, int, bool]]:
    """The dashboard views of :data:`DASHBOARD_VIEWS` at the server ``url``."""
    base = url.split("?", 1)[0]
    return [(name, base + query, width, table) for name, query, width, table in DASHBOARD_VIEWS]


def open_page(browser, url: str, width: int, table: bool):
    """A page showing ``url``: from disk with the network blocked, or a dashboard, drawn."""
    from tests.support.probe import wait_for_map

    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    if url.startswith("file:"):
        context.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        page = context.new_page()
        page.goto(url, wait_until="load")
        return page
    page = context.new_page()
    page.goto(url)
    wait_for_map(page)
    page.wait_for_selector(".mdvax-legend", timeout=60_000)
    if table:
        page.get_by_role("button", name="Show as table").click()
        page.wait_for_selector(".mdvax-county-table", timeout=60_000)
    page.wait_for_timeout(500)  # the template script names the widgets once they are drawn
    return page


def check(pages: list[tuple[str, str, int, bool]], details: bool) -> int:
    """Open each page, run axe, print one line of counts per page; the number of violations."""
    from playwright.sync_api import sync_playwright

    from tests.support.probe import launch_chromium

    script = axe.axe_script()
    total = 0
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        header = f"{'page':<24} {'rules':>5} " + " ".join(f"{i:>8}" for i in axe.IMPACTS)
        for number, (name, url, width, table) in enumerate(pages):
            page = open_page(browser, url, width, table)
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
            page.context.close()
        browser.close()
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", default="reports", metavar="FOLDER")
    parser.add_argument("--dashboard", metavar="URL", help="a running `mdvax serve`")
    parser.add_argument("--details", action="store_true", help="list the failing elements")
    args = parser.parse_args(argv)
    try:
        pages = [] if args.reports == "none" else report_pages(Path(args.reports))
        pages += dashboard_pages(args.dashboard) if args.dashboard else []
        if not pages:
            raise FileNotFoundError("nothing to check: give --reports FOLDER or --dashboard URL")
        failing = check(pages, args.details)
    except (FileNotFoundError, axe.AxeMissingError) as error:
        print(f"a11y-report: {error}", file=sys.stderr)
        return 2
    print(f"{failing} failing element(s) in {len(pages)} page(s)")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
