"""Exceptions. Every error mdvax raises on purpose is an :class:`MdvaxError`.

The CLI turns these into a one-line message and a non-zero exit; anything else is a bug.
"""


class MdvaxError(Exception):
    """Base class: an error with a message a person can act on."""

    #: Exit status the CLI uses for this kind of error.
    exit_code = 1


class ConfigError(MdvaxError):
    """A setting (an ``MDVAX_*`` environment variable) has a value mdvax cannot use."""

    exit_code = 2


class SourceError(MdvaxError):
    """A source could not be reached or answered with something that is not the data."""

    exit_code = 3


class SchemaError(MdvaxError):
    """The data has columns we do not recognise (names what was found and what was expected)."""

    exit_code = 4


class ValidationError(MdvaxError):
    """The data has the right shape but impossible values (unknown county, decreasing totals...)."""

    exit_code = 4


class CacheError(MdvaxError):
    """Nothing usable is cached, or the cache is locked by another update."""

    exit_code = 5


class ArchiveError(MdvaxError):
    """The archive refused an operation (older snapshot after a newer one, bad as-of date...)."""

    exit_code = 6


class ReportError(MdvaxError):
    """A report could not be produced."""

    exit_code = 7


class ReportArgumentError(ReportError):
    """A report's ``--date``, ``--as-of`` or backfill days do not fit the data.

    Refused before the published site is touched: no "failed" row is recorded.
    """


class UnknownMeasureError(MdvaxError):
    """A measure (or table column) that is not one of :mod:`mdvax.measures`.

    Every entry point (statistics, dashboard links, archive, report, command line) raises this
    one error, naming the bad value and the valid ones.
    """

    exit_code = 2  # a usage error, like argparse's

    def __init__(self, value: object, valid: tuple[str, ...]) -> None:
        text = str(value)
        shown = text if len(text) <= 40 else text[:40] + "…"  # values may come from a URL
        super().__init__(f"unknown measure {shown!r}: choose one of {', '.join(valid)}")
        self.value = value
        self.valid = valid


class GitError(SourceError):
    """The state's git repository cannot be read (no ``git`` binary, bad URL, network...)."""


class ServeError(MdvaxError):
    """``mdvax serve`` was asked for something impossible (bad option, missing notebook)."""


class ForkServerError(ServeError):
    """The fork server could not start a kernel (the server then starts it the usual way)."""
