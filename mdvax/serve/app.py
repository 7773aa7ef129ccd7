"""``MdvaxVoila``: Voila with a kernel cap, a health endpoint and JSON logs."""

from __future__ import annotations

import os

from jupyter_server._tz import utcnow
from traitlets import Integer, List, Unicode, default
from voila.app import Voila
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler

from mdvax.serve import logs
from mdvax.serve.handlers import CappedVoilaHandler, HealthHandler, kernel_assigned
from mdvax.serve.settings import SHARE_DIR, VOILA_JSON, ServeOptions

#: Set for the kernels, which inherit the server's environment (unless already set): Arrow
#: allocates from malloc instead of its own pool (about 6 MB less per kernel), malloc keeps
#: fewer per-thread arenas, and ipywidgets does not echo every change made in the browser back
#: to it (there is one page per kernel).
KERNEL_ENV = {
    "ARROW_DEFAULT_MEMORY_POOL": "system",
    "MALLOC_ARENA_MAX": "2",
    "JUPYTER_WIDGETS_ECHO": "0",
}

#: Template static files: ``/voila/templates/<name>/static/<file>``, name made of word characters.
TEMPLATE_STATIC = r"/voila/templates/([\w-]+/static/.+)"


class MdvaxVoila(Voila):
    """Standalone Voila serving one notebook at ``/`` with the repository's settings."""

    name = "voila"  # Voila's handlers look the application up as settings["voila"]

    max_kernels = Integer(12, config=True, help="Ceiling on live kernels, preheated pool included.")
    retry_after = Integer(10, config=True, help="Seconds in the busy page's Retry-After.")
    health_path = Unicode("healthz", config=True, help="Path of the health endpoint.")

    config_file_paths = List(Unicode(), config=True, help="Where voila.json is looked up.")

    @default("config_file_paths")
    def _default_config_file_paths(self):
        # Only the shipped settings: a stray voila.json in the working directory or
        # ~/.jupyter must not change what the public server does.
        return [str(VOILA_JSON.parent)]

    def initialize(self, argv=None):
        """Parse the command line, read ``voila.json``, then switch logs to JSON."""
        super().initialize(argv)
        logs.configure(self.log, self.log_level)
        self.tornado_settings = {**self.tornado_settings, "log_function": logs.log_request}

    def init_settings(self):
        """Voila's settings; a kernel leaving the pool counts as active and in use from then."""
        settings = super().init_settings()
        manager = self.kernel_manager
        take_from_pool = getattr(manager, "get_rendered_notebook", None)
        if take_from_pool is not None:

            async def get_rendered_notebook(*args, **kwargs):
                # A pooled kernel may have idled longer than the culling timeout; the culler
                # skips it only while it is in the pool. Without this, the culler can kill it
                # between the page being sent and the browser connecting its websocket.
                result = await take_from_pool(*args, **kwargs)
                manager.get_kernel(result[2]).last_activity = utcnow()
                kernel_assigned()  # now counted among the kernels in use
                return result

            manager.get_rendered_notebook = get_rendered_notebook
        return settings

    def init_handlers(self):
        """Voila's handlers with the notebook handler capped and ``/healthz`` in front."""
        handlers = []
        for spec in super().init_handlers():
            if spec[1] is TornadoVoilaHandler:
                spec = (spec[0], CappedVoilaHandler, *spec[2:])
            elif spec[1] is TemplateStaticFileHandler:
                # Voila asserts on the shape "<template>/static/<file>" (a 500 for "../x"):
                # only route well-formed template names to it, the rest is a plain 404.
                pattern = spec[0].replace("/voila/templates/(.*)", TEMPLATE_STATIC)
                spec = (pattern, *spec[1:])
            handlers.append(spec)
        health = (rf"{self.server_url.rstrip('/')}/{self.health_path}", HealthHandler)
        return [health, *handlers]


def serve(options: ServeOptions) -> int:
    """Run the server in the foreground until interrupted; returns the exit status."""
    # The "mdvax" template lives in the package; Voila finds templates on the Jupyter path.
    jupyter_path = [str(SHARE_DIR), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(jupyter_path)
    for name, value in KERNEL_ENV.items():
        os.environ.setdefault(name, value)
    app = MdvaxVoila.instance()
    app.initialize(options.voila_argv())
    app.start()
    return 0
