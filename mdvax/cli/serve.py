"""``mdvax serve``: the public dashboard under standalone Voila with the repository's settings."""

from __future__ import annotations

import argparse
from pathlib import Path

from mdvax.serve.settings import ServeOptions


def register(subparsers) -> None:
    """Add the ``serve`` subcommand."""
    defaults = ServeOptions.__dataclass_fields__
    parser = subparsers.add_parser(
        "serve",
        help="serve the dashboard with Voila (preheated kernels, culling, kernel cap)",
        description=(
            "Serve notebooks/dashboard.ipynb at / with Voila: preheated kernel pool, idle "
            "kernels culled, no tracebacks or sources sent, a cap on live kernels (visitors "
            "beyond it get the same view as a still picture, HTTP 503 with Retry-After; cap and "
            "pool default to what the machine's cores and memory allow), GET /healthz, JSON logs. "
            "Server options (caps, timeouts, kernel memory...) are traitlets: set them in a JSON "
            "config file (--config) or here as --Class.trait=value, e.g. "
            "--MdvaxVoila.kernels_per_client=3; docs/serving.md lists them."
        ),
    )
    parser.add_argument(
        "--config", type=Path, help="JSON file of server options (default: MDVAX_SERVE_CONFIG)"
    )
    parser.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port (default 8866)")
    parser.add_argument("--notebook", type=Path, help="notebook to serve at / (default: dashboard)")
    parser.add_argument("--max-kernels", type=int, help="ceiling on live kernels, pool included")
    parser.add_argument("--pool-size", type=int, help="preheated kernels kept ready (0: none)")
    parser.add_argument(
        "--cull-idle-timeout", type=int, help="seconds a kernel without a browser may idle"
    )
    parser.add_argument("--cull-interval", type=int, help="seconds between culling checks")
    parser.add_argument("--base-url", help="URL prefix when proxied below a path, e.g. /vax/")
    parser.add_argument(
        "--no-fork-kernels",
        dest="fork_kernels",
        action="store_false",
        default=None,
        help="start each kernel from scratch instead of forking a preloaded template",
    )
    parser.set_defaults(
        func=run,
        accepts_traitlets=True,
        _option_names=[name for name in defaults if name != "traitlets"],
    )


def run(args: argparse.Namespace) -> int:
    """Start the server in the foreground (Ctrl-C or SIGTERM stops it)."""
    from mdvax.serve.app import serve  # Voila imports are slow: only when serving

    given = {name: getattr(args, name) for name in args._option_names}
    given = {name: value for name, value in given.items() if value is not None}
    options = ServeOptions(**given, traitlets=args.traitlets)
    options.validate()
    return serve(options)
