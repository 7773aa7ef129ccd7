"""Production serving of the dashboard: standalone Voila with the repository's settings.

``mdvax serve`` (see :mod:`mdvax.cli.serve`) runs :class:`mdvax.serve.app.MdvaxVoila`, which is
Voila plus three small additions: a cap on live kernels (visitors beyond it get a 503 "busy"
page with ``Retry-After``), a ``/healthz`` endpoint that never takes a kernel, and JSON logs.
The settings shipped in ``mdvax/serve/voila.json`` give a preheated kernel pool, idle-kernel
culling, no tracebacks and no sources sent to visitors, and no files served.
"""

from mdvax.serve.settings import ServeOptions

__all__ = ["ServeOptions"]
