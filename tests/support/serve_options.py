"""The server as ``mdvax serve`` would configure it, built in-process and not started."""

from __future__ import annotations

import contextlib
import signal
import threading
from unittest import mock

from mdvax.serve.settings import ServeOptions


def resolved(**options):
    """A fresh ``MdvaxVoila`` initialised from :class:`ServeOptions` ``options`` (no listening).

    It reads the shipped ``voila.json``, the config file of ``options`` (if any) and the
    command line, as the real server does.
    """
    from mdvax.serve.app import MdvaxVoila

    app = MdvaxVoila()  # not the process-wide instance
    with _no_signal_handlers_off_the_main_thread():
        app.initialize(ServeOptions(**options).voila_argv())
    return app


def _no_signal_handlers_off_the_main_thread():
    """Voila installs a SIGTERM handler, which Python allows only in the main thread.

    A test built in a thread of its own (:func:`tests.support.aio.run`) has no use for it.
    """
    if threading.current_thread() is threading.main_thread():
        return contextlib.nullcontext()
    return mock.patch.object(signal, "signal")
