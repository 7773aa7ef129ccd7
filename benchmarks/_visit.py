"""One visitor in Chromium, measured: time to the still map, to the live map, bytes fetched.

Bytes are what went over the wire (compressed, headers included), from the DevTools
protocol's ``Network.loadingFinished`` events, websocket frames excluded.
"""

from __future__ import annotations

import time

from mdvax.serve.probe import COUNTY_PATHS

#: JS: the still picture (or the live map) shows 24 counties.
STILL_SHOWN = (
    "document.querySelectorAll('#mdvax-static-map path[data-fips]').length === 24"
    " && document.querySelector('#mdvax-static-map').getBoundingClientRect().height > 100"
)
LIVE_SHOWN = f"document.querySelectorAll({COUNTY_PATHS!r}).length >= 24"


async def measured_visit(
    context, url: str, timeout_ms: float = 90_000, settle: bool = True
) -> dict:
    """Open ``url`` in a new page of ``context``; figures in ms and bytes.

    Returns ``first_map_ms`` (the still picture or the live map, whichever first), ``live_ms``
    (None on a busy page or when it never came), ``status`` and ``bytes``.
    """
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    sizes: list[int] = []
    cdp.on("Network.loadingFinished", lambda event: sizes.append(event["encodedDataLength"]))
    begin = time.monotonic()
    response = await page.goto(url, wait_until="commit", timeout=timeout_ms)
    await page.wait_for_function(f"({STILL_SHOWN}) || ({LIVE_SHOWN})", timeout=timeout_ms)
    first = (time.monotonic() - begin) * 1000
    live = None
    if response.status == 200:
        try:
            await page.wait_for_function(LIVE_SHOWN, timeout=timeout_ms)
            live = (time.monotonic() - begin) * 1000
        except Exception:
            live = None
    if settle:  # every byte of the visit counted
        await page.wait_for_load_state("networkidle")
    return {
        "page": page,
        "begin": begin,
        "status": response.status,
        "first_map_ms": first,
        "live_ms": live,
        "bytes": sum(sizes),
    }
