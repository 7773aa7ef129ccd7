"""One visitor, measured: in Chromium (time to the still map, to the live map, bytes fetched)
or as a plain HTTP client that reads the page as it streams and opens its kernel websocket.

Bytes are what went over the wire (compressed, headers included), from the DevTools
protocol's ``Network.loadingFinished`` events, websocket frames excluded.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import uuid

import websocket

from tests.support.probe import COUNTY_PATHS

KERNEL_ID = re.compile(r'"kernelId": "([0-9a-f-]{36})"')
STILL_PATH = re.compile(r'<path data-fips="24\d{3}"')

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


def http_visitor(port: int, path: str, at: float, hold: float) -> dict:
    """A plain client: ``path`` at time ``at``, its websocket if live; figures in ms."""
    time.sleep(max(0.0, at - time.monotonic()))
    begin = time.monotonic()
    result = {"kind": "http", "status": None, "still_ms": None, "live_ms": None, "error": ""}
    result["first_byte_ms"] = None
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = connection.getresponse()
        result["status"] = response.status
        body = ""
        while chunk := response.read1(65536):  # a browser paints what has arrived
            if result["first_byte_ms"] is None:
                result["first_byte_ms"] = (time.monotonic() - begin) * 1000
            body += chunk.decode("utf-8", "replace")
            if result["still_ms"] is None and "</svg>" in body.split('id="mdvax-static"')[-1]:
                result["still_ms"] = (time.monotonic() - begin) * 1000
        connection.close()
        if response.status not in (200, 429, 503):
            result["error"] = f"HTTP {response.status}"
            return result
        if len(STILL_PATH.findall(body)) != 24 or result["still_ms"] is None:
            result["error"] = "no still picture of 24 counties"
            return result
        found = KERNEL_ID.search(body) if response.status == 200 else None
        if found:
            ws = websocket.create_connection(
                f"ws://127.0.0.1:{port}/api/kernels/{found.group(1)}/channels"
                f"?session_id={uuid.uuid4().hex}",
                origin=f"http://127.0.0.1:{port}",
                timeout=120,
            )
            ws.send(kernel_info_request())
            while True:  # iopub status messages come first; binary frames are widgets'
                frame = ws.recv()
                if isinstance(frame, str) and '"kernel_info_reply"' in frame:
                    break
            result["live_ms"] = (time.monotonic() - begin) * 1000
            time.sleep(hold)
            ws.close()
        else:
            time.sleep(hold)
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {str(error)[:80]}"
    return result


def kernel_info_request() -> str:
    """A ``kernel_info_request`` as the page's script sends it first."""
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": "kernel_info_request",
        "username": "",
        "session": uuid.uuid4().hex,
        "version": "5.3",
        "date": "",
    }
    message = {"header": header, "parent_header": {}, "metadata": {}, "content": {}}
    return json.dumps({**message, "channel": "shell", "buffers": []})


async def honest_visit(url: str) -> dict:
    """One Chromium visitor (from 127.0.0.1, no forwarded address): :func:`measured_visit`."""
    from playwright.async_api import async_playwright

    from tests.support.parts import chromium_path
    from tests.support.probe import CHROMIUM_ARGS

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        visit = await measured_visit(context, url, timeout_ms=180_000, settle=False)
        await context.close()
        await browser.close()
    return visit
