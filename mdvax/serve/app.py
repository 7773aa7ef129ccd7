"""``MdvaxVoila``: Voila with kernel caps, limits, security headers, a health endpoint, JSON logs."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from tornado.ioloop import PeriodicCallback
from tornado.web import GZipContentEncoding
from traitlets import Bool, Integer, List, Unicode, default
from traitlets.config import Config
from traitlets.config.loader import ConfigFileNotFound, JSONFileConfigLoader

from mdvax.config import MAX_UPLOAD_BYTES, get_settings
from mdvax.errors import ServeError
from mdvax.serve import capacity, logs
from mdvax.serve.admission import Admission
from mdvax.serve.connections import ConnectionGuard, GuardedHTTPServer
from mdvax.serve.error_pages import not_found_routes, serve_error_pages
from mdvax.serve.headers import CacheHeaders, SecurityHeaders
from mdvax.serve.health import HealthHandler
from mdvax.serve.hosts import host_rule
from mdvax.serve.kernels import ZMQ_SOCKETS_PER_KERNEL, MdvaxKernelManager
from mdvax.serve.leave import LeaveHandler
from mdvax.serve.limits import VisitorLimits
from mdvax.serve.page import CappedVoilaHandler
from mdvax.serve.payload import Precompressed, PrecompressedFiles, with_precompressed
from mdvax.serve.pool import install_ready_check
from mdvax.serve.ratelimit import PageRateLimit
from mdvax.serve.settings import DEFAULT_NOTEBOOK, SHARE_DIR, VOILA_JSON, ServeOptions
from mdvax.serve.sockets import (
    SOCKETS_PER_KERNEL,
    FilteredConnection,
    KernelSocketHandler,
    QuerySocketHandler,
)
from mdvax.serve.static_view import StaticViews
from mdvax.serve.template_cache import share_compiled_templates
from mdvax.upstream.voila import (
    RequestInfoSocketHandler,
    TemplateStaticFileHandler,
    TornadoVoilaHandler,
    Voila,
    VoilaKernelWebsocketHandler,
    VoilaShutdownKernelHandler,
    listen_with_options,
    require_compatible,
    restrict_template_route,
    wrap_pool_take,
)

#: Largest websocket message from a browser: an upload is one message (its bytes plus a
#: little JSON); anything larger closes the connection (the page says the file was too big).
MAX_MESSAGE_BYTES = MAX_UPLOAD_BYTES + 256 * 1024
#: Largest HTTP request body: no route of the public server takes one.
MAX_BODY_BYTES = 8 * 1024
#: Seconds between two passes reclaiming kernels whose page is gone.
RECLAIM_INTERVAL_S = 2.0

#: Set for the kernels, which inherit the server's environment (unless already set): Arrow
#: allocates from malloc instead of its own pool (about 6 MB less per kernel), malloc keeps
#: fewer per-thread arenas, and ipywidgets does not echo every change made in the browser back
#: to it (there is one page per kernel).
KERNEL_ENV = {
    "ARROW_DEFAULT_MEMORY_POOL": "system",
    "MALLOC_ARENA_MAX": "2",
    "JUPYTER_WIDGETS_ECHO": "0",
}

#: Template static files: ``/voila/templates/<name>/static/<file>``, of word characters, ``-``
#: and ``.`` (no ``%``: an encoded ``/``, ``.`` or NUL is a 404, not Voila's 500).
TEMPLATE_STATIC = r"/voila/templates/([\w-]+/static/(?:[\w-][\w.-]*/)*[\w-][\w.-]*)"
#: Routes of the page's static files (JavaScript, CSS), sent as compressed copies made once.
STATIC_ROUTES = ("/voila/static/", "/voila/templates/", "/voila/labextensions/")
#: Output transforms in order: gzip for text (a first visit fetched 6.2 MB, mostly JavaScript;
#: Voila sets ``compress_response`` too late for Tornado to add it), cache, security headers.
TRANSFORMS = (GZipContentEncoding, CacheHeaders, SecurityHeaders)


class MdvaxVoila(VisitorLimits, Voila):
    """Standalone Voila serving one notebook at ``/`` with the repository's settings."""

    name = "voila"  # Voila's handlers look the application up as settings["voila"]

    fork_kernels = Bool(True, config=True, help="Fork kernels from a preloaded template.")
    config_file = Unicode(
        None,
        allow_none=True,
        config=True,
        help="The operator's JSON config file, read after the shipped voila.json.",
    )
    retry_after = Integer(10, config=True, help="Seconds in the busy page's Retry-After.")
    health_path = Unicode("healthz", config=True, help="Path of the health endpoint.")

    #: Still pictures of the dashboard's views (:mod:`mdvax.serve.static_view`), or None.
    static_views = None
    #: Open connections against ``max_connections`` (:mod:`mdvax.serve.connections`), once listening.
    connections = None
    #: Who may have a live page (:mod:`mdvax.serve.admission`); one per server.
    admission: Admission
    #: Page requests per client (:mod:`mdvax.serve.ratelimit`); one per server.
    page_limit: PageRateLimit

    config_file_paths = List(Unicode(), config=True, help="Where voila.json is looked up.")

    @default("config_file_paths")
    def _default_config_file_paths(self):
        # Only the shipped settings: a stray voila.json in the working directory or
        # ~/.jupyter must not change what the public server does.
        return [str(VOILA_JSON.parent)]

    @default("kernel_websocket_connection_class")
    def _default_connection_class(self):
        return FilteredConnection

    def load_config_file(self, filename, path=None):
        """The shipped ``voila.json``, then the operator's :attr:`config_file`; the command line wins."""
        super().load_config_file(filename, path=path)
        if not self.config_file:
            return
        file = Path(self.config_file)
        try:
            loaded = JSONFileConfigLoader(file.name, str(file.parent), log=self.log).load_config()
        except ConfigFileNotFound:
            raise ServeError(f"config file not found: {file}") from None
        except ValueError as error:  # not JSON
            raise ServeError(f"config file {file} is not valid JSON: {error}") from None
        merged = Config()
        merged.merge(loaded)
        merged.merge(self.cli_config)
        self.update_config(merged)

    def initialize(self, argv=None):
        """Parse the command line, read the config files, size the pool, switch logs to JSON."""
        require_compatible(self.log)
        share_compiled_templates()  # Voila's page templates compiled once, not once per page
        super().initialize(argv)
        logs.configure(self.log, self.log_level)
        if self.health_token is None:
            self.health_token = get_settings().serve_health_token  # a secret: from the environment
        self._size_kernels()
        self.max_connections = capacity.size_connections(
            self.max_connections, self.max_kernels, SOCKETS_PER_KERNEL
        )
        self.admission = Admission(self.max_kernels - self.pool_size, self.kernels_per_client)
        try:
            self.page_limit = PageRateLimit(self.page_rate, self.page_burst)
        except ValueError as error:
            raise ServeError(str(error)) from None
        self.voila_configuration.multi_kernel_manager_class = MdvaxKernelManager
        SecurityHeaders.trusted = tuple(self.trusted_proxies)
        # Still pictures of the views: for the dashboard only (a bare page has no views).
        if self.notebook_path and Path(self.notebook_path).name == DEFAULT_NOTEBOOK.name:
            self.static_views = StaticViews()
        self.tornado_settings = {
            **self.tornado_settings,
            "log_function": logs.log_request,
            "websocket_max_message_size": MAX_MESSAGE_BYTES,
            "xsrf_cookie_kwargs": {"samesite": "Lax", "path": self.base_url},
            "websocket_ping_interval": 30,
            "websocket_ping_timeout": 30,
        }

    def init_settings(self):
        """Voila's settings with our kernel manager; a kernel handed out is a visitor's."""
        self.config.MdvaxKernelManager.max_zmq_sockets = (
            self.max_kernels * ZMQ_SOCKETS_PER_KERNEL + 64
        )
        self.config.MdvaxKernelManager.connect_timeout = self.connect_timeout
        self.config.MdvaxKernelManager.fork_kernels = self.fork_kernels
        settings = super().init_settings()
        manager = self.kernel_manager
        if manager.cull_idle_timeout <= 0 or manager.cull_interval <= 0:
            raise ServeError("cull idle timeout and cull interval must be positive seconds")
        taken = functools.partial(self.admission.kernel_taken, manager)
        install_ready_check(manager)  # a dead or failed kernel never leaves the pool
        wrap_pool_take(manager, taken)  # a pooled kernel handed to a page request
        manager.on_visitor_kernel = taken  # or, without a pool, one started for it
        serve_error_pages(settings)
        return settings

    def init_handlers(self):
        """Voila's handlers with ours swapped in and ``/healthz`` in front."""
        replace = {
            TornadoVoilaHandler: CappedVoilaHandler,
            VoilaKernelWebsocketHandler: KernelSocketHandler,
            RequestInfoSocketHandler: QuerySocketHandler,
            VoilaShutdownKernelHandler: LeaveHandler,
        }
        handlers = []
        for spec in super().init_handlers():
            if spec[1] in replace:
                spec = (spec[0], replace[spec[1]], *spec[2:])
            elif spec[1] is TemplateStaticFileHandler:
                # Voila asserts on the shape "<template>/static/<file>" (a 500 for "../x"):
                # only route well-formed names to it, the rest is the page route's 404.
                pattern = restrict_template_route(spec[0], TEMPLATE_STATIC)
                spec = (pattern, *spec[1:])
            if any(route in spec[0] for route in STATIC_ROUTES):
                spec = (spec[0], with_precompressed(spec[1]), *spec[2:])
            handlers.append(spec)
        health = (rf"{self.server_url.rstrip('/')}/{self.health_path}", HealthHandler)
        refused = [host_rule(self.allowed_hosts), *not_found_routes(self.server_url)]
        return [*refused, health, *handlers]

    def listen(self):
        """Listen with deliberate limits (body size, timeouts); reclaim kernels periodically."""
        timeout = self.request_timeout
        guard = self.connections = ConnectionGuard(self.max_connections)
        PeriodicCallback(guard.tick, guard.interval * 1000).start()
        listen_with_options(
            self,
            functools.partial(GuardedHTTPServer, guard=guard),
            max_body_size=MAX_BODY_BYTES,
            max_header_size=16 * 1024,
            idle_connection_timeout=timeout,
            body_timeout=timeout,
        )
        PrecompressedFiles.store = Precompressed()
        for transform in TRANSFORMS:
            self.app.add_transform(transform)
        PeriodicCallback(self.kernel_manager.reclaim, RECLAIM_INTERVAL_S * 1000).start()
        if self.static_views is not None:  # load the data while the pool's kernels start
            self.static_views.start()
        super().listen()


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
