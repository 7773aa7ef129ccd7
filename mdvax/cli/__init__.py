"""The ``mdvax`` command line: one module per subcommand, registered below.

Each subcommand module defines ``register(subparsers)``, which adds its parser and sets
``func`` (a callable taking the parsed arguments and returning an exit status).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading

from mdvax.errors import MdvaxError

#: Subcommand modules, in the order ``mdvax --help`` lists them.
SUBCOMMANDS = ("update", "status", "export", "revisions", "history", "report", "serve")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="mdvax",
        description="Maryland COVID-19 vaccinations by county: data, archive, dashboard, reports.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"mdvax.cli.{name}")
        except ModuleNotFoundError as error:  # a subcommand not installed in this checkout
            if error.name != f"mdvax.cli.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 success, non-zero failure)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "accepts_traitlets", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.traitlets = extra  # ``mdvax serve --Class.trait=value``: checked by the command
    previous = stop_cleanly_on_sigterm()
    try:
        return _run(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except BrokenPipeError:
        return _reader_left()
    except MdvaxError as error:
        print(f"mdvax {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except Terminated:
        print(f"mdvax {args.command}: terminated", file=sys.stderr)
        return TERMINATED_STATUS
    except KeyboardInterrupt:
        print(f"mdvax {args.command}: interrupted", file=sys.stderr)
        return 130


#: Exit status after SIGTERM: what a shell reports for a program ended by it, 128 + 15.
TERMINATED_STATUS = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so the clean-up Ctrl-C gets runs for it too.

    A KeyboardInterrupt subclass: every ``except KeyboardInterrupt`` / ``BaseException``
    clean-up (kernels killed, half-built reports removed, transactions rolled back) applies.
    """


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def stop_cleanly_on_sigterm():
    """Make SIGTERM raise :class:`Terminated` in the main thread (instead of ending at once).

    Returns the handler it replaced (None outside the main thread, where nothing changes).
    Commands that install their own handler (``mdvax serve``) replace it.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


#: Exit status when the reader of standard output went away (``mdvax export | head``): what a
#: shell reports for a program ended by SIGPIPE, 128 + 13.
BROKEN_PIPE_STATUS = 141


def _reader_left() -> int:
    """Stop quietly: the reader closed standard output, so the rest of it is not wanted.

    Standard output is pointed at ``/dev/null`` so that Python's own flush at exit does not
    raise (and print) the same error again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
    return BROKEN_PIPE_STATUS


if __name__ == "__main__":
    sys.exit(main())
