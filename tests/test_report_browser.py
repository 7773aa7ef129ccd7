"""Chromium opens a published report from disk with the network blocked: everything is drawn."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mdvax.report import report, site

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FIGURES_JS = """() => Array.from(document.images).map(img => ({
    id: img.id, alt: img.alt, complete: img.complete,
    width: img.naturalWidth, height: img.naturalHeight,
    shown: img.getBoundingClientRect().width,
}))"""


@pytest.fixture
def offline_page(browser):
    """A page of the session's Chromium whose every non-file request is aborted and recorded."""
    attempts: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith("file://"):
            request_route.continue_()
        else:
            attempts.append(url)
            request_route.abort()

    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.route("**/*", route)
    yield context.new_page(), attempts
    context.close()


def test_report_renders_offline(filled_data_dir, tmp_path, offline_page):
    page, attempts = offline_page
    out = tmp_path / "reports"
    result = report(out)
    assert result.ok
    assert result.date == datetime.now(UTC).date().isoformat()

    page.goto(result.path.resolve().as_uri(), wait_until="load")
    figures = {f["id"]: f for f in page.evaluate(FIGURES_JS)}
    assert set(figures) == {"mdvax-map", "mdvax-timeseries"}
    for figure in figures.values():
        assert figure["complete"]
        assert figure["width"] > 300
        assert figure["height"] > 200
        assert figure["shown"] > 300
        assert figure["alt"]
    assert "Map of Maryland's counties" in figures["mdvax-map"]["alt"]
    ranking = page.locator("#mdvax-ranking tbody tr")
    assert ranking.count() == 26  # 24 counties, Unassigned, Maryland
    assert page.locator("#mdvax-headline").inner_text().startswith("At least one dose, Maryland")
    assert page.locator("#mdvax-provenance").is_visible()
    assert page.title() == f"Maryland COVID-19 vaccinations: report of {result.date}"

    page.goto((out / site.INDEX_HTML).resolve().as_uri(), wait_until="load")
    assert page.locator("tbody tr").count() == 1
    page.goto((out / site.LATEST / site.INDEX_HTML).resolve().as_uri(), wait_until="load")
    page.wait_for_url("**/latest/report.html")  # the redirect of latest/ works from disk
    assert page.locator("#mdvax-ranking").is_visible()
    assert attempts == []
