"""Browser probes shared by the serve tests, the benchmark and the load script (Playwright).

Chromium is Debian's ``/usr/bin/chromium`` (``MDVAX_CHROMIUM`` overrides it); Playwright's own
browser download is not used.
"""

from __future__ import annotations

import os

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

#: Leaflet draws each county (polygon or multipolygon) as one interactive SVG path.
COUNTY_PATHS = "path.leaflet-interactive"

_STEP_JS = """
([handleSelector, pathSelector, key, timeoutMs]) => new Promise((resolve, reject) => {
  const handle = document.querySelector(handleSelector);
  const paths = [...document.querySelectorAll(pathSelector)];
  if (!handle || paths.length === 0) { reject(new Error("no slider handle or no map paths")); return; }
  const observer = new MutationObserver(() => {
    observer.disconnect();
    resolve(performance.now() - start);
  });
  paths.forEach((path) => observer.observe(path, {attributes: true}));
  setTimeout(() => { observer.disconnect(); reject(new Error("map not restyled")); }, timeoutMs);
  handle.focus();
  const start = performance.now();
  handle.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true}));
})
"""


def launch_chromium(playwright, **kwargs):
    """Headless Debian Chromium with the flags this machine needs."""
    return playwright.chromium.launch(
        executable_path=os.environ.get("MDVAX_CHROMIUM", "/usr/bin/chromium"),
        args=CHROMIUM_ARGS,
        **kwargs,
    )


def wait_for_map(page, counties: int = 24, timeout_ms: float = 60_000) -> float:
    """Wait until ``counties`` county shapes are drawn; ms since the navigation started."""
    page.wait_for_function(
        f"document.querySelectorAll({COUNTY_PATHS!r}).length >= {counties}", timeout=timeout_ms
    )
    return page.evaluate("performance.now()")


def county_fills(page) -> list[str]:
    """Fill colour and opacity of every county path, in document order."""
    return page.eval_on_selector_all(
        COUNTY_PATHS,
        "paths => paths.map(p => `${p.getAttribute('fill')} ${p.getAttribute('fill-opacity')}`)",
    )


def slider_step(
    page, handle: str = ".noUi-handle", key: str = "ArrowRight", timeout_ms: float = 10_000
) -> float:
    """Press ``key`` on a slider handle; ms until a county path's attributes change.

    Raises playwright's ``Error`` when no path changes within ``timeout_ms``.
    """
    return page.evaluate(_STEP_JS, [handle, COUNTY_PATHS, key, timeout_ms])


class WebsocketMeter:
    """Bytes over the page's kernel websockets, both directions, since the last :meth:`reset`."""

    def __init__(self, page):
        self.bytes = 0
        page.on("websocket", self._attach)

    def _attach(self, websocket) -> None:
        if "/api/kernels/" not in websocket.url:
            return
        websocket.on("framereceived", self._count)
        websocket.on("framesent", self._count)

    def _count(self, payload) -> None:
        self.bytes += len(payload)

    def reset(self) -> None:
        """Start counting from zero."""
        self.bytes = 0
