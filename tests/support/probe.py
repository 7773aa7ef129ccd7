"""Browser probes shared by the serve tests, the benchmarks and the scripts (Playwright).

Chromium is Debian's ``/usr/bin/chromium`` (``MDVAX_CHROMIUM`` overrides it,
:func:`tests.support.parts.chromium_path`); Playwright's own browser download is not used.
"""

from __future__ import annotations

from tests.support.parts import chromium_path

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

#: JS: the computed fill colour and opacity of every county path, as "rgb(r, g, b) 0.9".
#: Computed, not the ``fill`` attribute: the dashboard colours its paths with CSS rules.
FILLS_JS = (
    f"() => [...document.querySelectorAll({COUNTY_PATHS!r})]"
    ".map(p => { const s = getComputedStyle(p); return `${s.fill} ${s.fillOpacity}`; })"
)

_STEP_JS = f"""
([handleSelector, key, timeoutMs]) => new Promise((resolve, reject) => {{
  const fills = {FILLS_JS};
  const handle = document.querySelector(handleSelector);
  const before = JSON.stringify(fills());
  if (!handle || before === "[]") {{ reject(new Error("no slider handle or no map paths")); return; }}
  // Any change of the page (a path's attributes, or the colour stylesheet's text) may recolour
  // the map: compare the computed fills after each one.
  const observer = new MutationObserver(() => {{
    if (JSON.stringify(fills()) === before) return;
    observer.disconnect();
    resolve(performance.now() - start);
  }});
  observer.observe(document.body,
    {{attributes: true, childList: true, characterData: true, subtree: true}});
  setTimeout(() => {{ observer.disconnect(); reject(new Error("map not restyled")); }}, timeoutMs);
  handle.focus();
  const start = performance.now();
  handle.dispatchEvent(new KeyboardEvent("keydown", {{key, bubbles: true}}));
}})
"""


def launch_chromium(playwright, **kwargs):
    """Headless Debian Chromium with the flags this machine needs."""
    return playwright.chromium.launch(
        executable_path=chromium_path(),
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
    """Computed fill colour and opacity of every county path: ``"rgb(65, 182, 196) 0.9"``."""
    return page.evaluate(FILLS_JS)


def slider_step(
    page, handle: str = ".noUi-handle", key: str = "ArrowRight", timeout_ms: float = 10_000
) -> float:
    """Press ``key`` on a slider handle; ms until a county path's computed fill changes.

    Raises playwright's ``Error`` when no path changes within ``timeout_ms``.
    """
    return page.evaluate(_STEP_JS, [handle, key, timeout_ms])


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
