"""Structured (one JSON object per line) logs for ``mdvax serve``.

Every record carries ``time``, ``level``, ``logger`` and ``message``; request records add
``method``, ``path``, ``status``, ``duration_ms`` and ``forwarded_for``. Query strings are not
logged: they are visitor input and may be long or hostile.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

#: Loggers whose output ``mdvax serve`` turns into JSON lines.
LOGGERS = ("tornado.access", "tornado.application", "tornado.general", "mdvax")

ACCESS_LOG = logging.getLogger("tornado.access")


def formatter() -> logging.Formatter:
    """One JSON object per record: ``time``, ``level``, ``logger``, ``message`` and extras."""
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


#: ``IPKernelApp.logging_config`` of the visitors' kernels (:mod:`mdvax.serve.kernel`): their
#: stderr, which the server passes through, carries JSON lines like the server's own.
KERNEL_LOGGING = {
    "formatters": {"mdvax_json": {"()": "mdvax.serve.logs.formatter"}},
    "handlers": {"console": {"formatter": "mdvax_json"}},
}


def json_handler(stream: TextIO | None = None) -> logging.Handler:
    """A stream handler writing one JSON object per record."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter())
    return handler


def configure(app_logger: logging.Logger, level: int = logging.INFO) -> None:
    """Send the Voila application's and tornado's logs to stderr as JSON lines.

    Parameters
    ----------
    app_logger : logging.Logger
        The Voila application's logger (it has its own handler, replaced here).
    level : int
        Minimum level logged.
    """
    handler = json_handler()
    for logger in (app_logger, *map(logging.getLogger, LOGGERS)):
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


def log_request(handler) -> None:
    """Tornado ``log_function``: one JSON access record per finished request."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    if status == 503:  # the busy page is expected under load, not an error
        level = logging.WARNING
    request = handler.request
    ACCESS_LOG.log(
        level,
        "request",
        extra={
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_ms": round(1000 * request.request_time(), 1),
            "forwarded_for": request.headers.get("X-Forwarded-For"),
        },
    )
