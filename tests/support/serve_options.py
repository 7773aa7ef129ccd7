"""The server as ``mdvax serve`` would configure it, built in-process and not started."""

from __future__ import annotations

from mdvax.serve.settings import ServeOptions


def resolved(**options):
    """A fresh ``MdvaxVoila`` initialised from :class:`ServeOptions` ``options`` (no listening).

    It reads the shipped ``voila.json``, the config file of ``options`` (if any) and the
    command line, as the real server does.
    """
    from mdvax.serve.app import MdvaxVoila

    app = MdvaxVoila()  # not the process-wide instance
    app.initialize(ServeOptions(**options).voila_argv())
    return app
