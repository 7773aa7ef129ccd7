"""Production serving of the dashboard: standalone Voila with the repository's settings.

``mdvax serve`` (see :mod:`mdvax.cli.serve`) runs :class:`mdvax.serve.app.MdvaxVoila`, which is
Voila plus: caps on live kernels, in all and per client (visitors beyond them get a "busy" page
with ``Retry-After``), limits on websockets, messages, bodies, time and kernel memory, stricter
message filtering (:mod:`~mdvax.serve.sockets`), kernels reclaimed when their page is gone
(:mod:`~mdvax.serve.kernels`), security headers, a ``/healthz`` endpoint that never takes a
kernel, and JSON logs. What it relies on in Voila is in :mod:`mdvax.upstream.voila`; the
threat model is in ``docs/serving.md``.
The settings shipped in ``mdvax/serve/voila.json`` give a preheated kernel pool, idle-kernel
culling, no tracebacks and no sources sent to visitors, and no files served.
"""

from mdvax.serve.settings import ServeOptions

__all__ = ["ServeOptions"]
