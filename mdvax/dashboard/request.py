"""Where the dashboard's URL query string comes from, in a Voila kernel (and the page's address).

:mod:`mdvax.dashboard.state` re-exports both functions.
"""

from __future__ import annotations

import os


def query_string(timeout: float = 10.0, poll: float = 30.0) -> str:
    """The page's URL query string, as Voila hands it to the kernel ("" outside Voila).

    A kernel Voila started for the request has ``QUERY_STRING`` in its environment. A
    preheated kernel (``VOILA_PREHEAT=True``) started before anyone asked; it learns the request
    from Voila's ``/voila/query/<kernel id>`` websocket, which :func:`voila.utils.wait_for_request`
    reads too. We read it with the small ``websockets`` client: importing ``voila.utils`` would
    cost the kernel about 50 MB. The kernel proves who it is with a token made from its own
    key (:func:`mdvax.query_token.query_token`). The socket is reopened every ``poll`` seconds (the server keeps
    a request it could not deliver for the next socket); if the server refuses or cannot be
    reached, the page opens on the defaults (logged) instead of waiting forever.
    """
    env = os.environ
    if env.get("VOILA_PREHEAT") == "True":
        base = env.get("VOILA_WS_BASE_URL") or env.get("VOILA_SERVER_URL") or "/"
        url = (
            f"{env.get('VOILA_WS_PROTOCOL', 'ws')}://{env.get('VOILA_APP_IP', '127.0.0.1')}:"
            f"{env.get('VOILA_APP_PORT', '8866')}{base}voila/query/{env.get('VOILA_KERNEL_ID')}"
        )
        from mdvax.query_token import own_query_token

        token = own_query_token(env.get("VOILA_KERNEL_ID", ""))
        for key, value in _request_info(url, token, timeout, poll).items():
            env[str(key)] = str(value)
        env["VOILA_PREHEAT"] = "False"
    return env.get("QUERY_STRING", "")


def _request_info(url: str, token: str, timeout: float, poll: float) -> dict:
    import json
    import logging
    import time

    from websockets.exceptions import InvalidStatus, WebSocketException
    from websockets.sync.client import connect

    headers = {"Authorization": f"Kernel {token}"}
    while True:
        try:
            with connect(url, open_timeout=timeout, additional_headers=headers) as socket:
                return dict(json.loads(socket.recv(timeout=poll)))
        except TimeoutError:
            continue  # nobody asked yet, or the request was lost: ask again
        except InvalidStatus as error:
            if error.response.status_code == 409:  # our previous socket is still closing
                time.sleep(1)
                continue
            problem = error
        except (OSError, ValueError, TypeError, WebSocketException) as error:
            problem = error
        logging.getLogger(__name__).warning("no request info (%s): default view", problem)
        return {}


def page_url() -> str:
    """Best guess of the page's own address from Voila's request variables ("" outside Voila).

    The scheme is not passed on by Voila; behind an HTTPS proxy the visitor's browser resolves
    the relative link the dashboard also shows.
    """
    env = os.environ
    host = env.get("SERVER_NAME")
    if not host:
        return ""
    port = env.get("SERVER_PORT", "")
    port = "" if port in ("", "80", "443") else f":{port}"
    return f"http://{host}{port}{env.get('SCRIPT_NAME') or '/'}"
