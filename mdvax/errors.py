"""Exceptions. Every error mdvax raises on purpose is an :class:`MdvaxError`.

The CLI turns these into a one-line message and a non-zero exit; anything else is a bug.
"""


class MdvaxError(Exception):
    """Base class: an error with a message a person can act on."""

    #: Exit status the CLI uses for this kind of error.
    exit_code = 1


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


class ServeError(MdvaxError):
    """``mdvax serve`` was asked for something impossible (bad option, missing notebook)."""
