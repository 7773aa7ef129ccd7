"""Exceptions. Every error mdvax raises on purpose is an :class:`MdvaxError`.

The CLI turns these into a one-line message and a non-zero exit; anything else is a bug.

A dashboard visitor never reads an error's own text (it can name files, URLs or settings of the
server): they read the fixed :attr:`MdvaxError.visitor_message` of its class
(:func:`visitor_message`), and the server's log keeps the detail.
"""

#: What a visitor reads when an error that is not an :class:`MdvaxError` (a bug) stops the view.
UNEXPECTED = (
    "An unexpected error occurred on the server; it has been logged. "
    "Reload the page to start again."
)


class MdvaxError(Exception):
    """Base class: an error with a message a person can act on."""

    #: Exit status the CLI uses for this kind of error.
    exit_code = 1
    #: Fixed text for a dashboard visitor: what happened and what they can do, no detail.
    visitor_message = (
        "The server could not do this; the details are in its log. Try again, or reload the page."
    )


class ConfigError(MdvaxError):
    """A setting (an ``MDVAX_*`` environment variable) has a value mdvax cannot use."""

    exit_code = 2
    visitor_message = (
        "The server is not configured correctly; the details are in its log for its operator."
    )


class SourceError(MdvaxError):
    """A source could not be reached or answered with something that is not the data."""

    exit_code = 3
    visitor_message = (
        "The state's data source could not be reached or did not send the vaccination table. "
        "Try again later."
    )


class SchemaError(MdvaxError):
    """The data has columns we do not recognise (names what was found and what was expected)."""

    exit_code = 4
    visitor_message = "The data does not have the columns of Maryland's vaccination table."


class ValidationError(MdvaxError):
    """The data has the right shape but impossible values (unknown county, decreasing totals...)."""

    exit_code = 4
    visitor_message = (
        "The data has values that cannot be right (an unknown county, say), so it is not shown."
    )


class TruncatedSnapshotError(ValidationError):
    """The snapshot looks cut short (a partial download or copy).

    Its last line is incomplete, or some county's rows stop days before the rest of the file;
    the message names what gave it away.
    """


class EmptySnapshotError(ValidationError):
    """The file has no data rows (the state published some empty files): nothing is recorded."""


class CacheError(MdvaxError):
    """Nothing usable is cached, or the cache is locked by another update."""

    exit_code = 5
    visitor_message = (
        "The server's copy of the data cannot be read just now (an update may be running). "
        "Reload the page in a minute."
    )


class ArchiveError(MdvaxError):
    """The archive refused an operation (older snapshot after a newer one, bad as-of date...)."""

    exit_code = 6
    visitor_message = (
        "The archive of earlier publications cannot be read just now. "
        "Choose another publication day, or reload the page."
    )


class NoVintageYetError(ArchiveError):
    """No archived vintage was published on or before the day asked for."""

    visitor_message = "No archived publication is that old. Choose a later publication day."


class ReportError(MdvaxError):
    """A report could not be produced."""

    exit_code = 7
    visitor_message = "The report could not be produced."


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
    visitor_message = "That measure is not one the dashboard offers; choose one from the list."

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

    visitor_message = "The interactive map could not start. Reload the page to try again."


class ForkServerError(ServeError):
    """The fork server could not start a kernel (the server then starts it the usual way)."""


def visitor_message(error: BaseException) -> str:
    """What a dashboard visitor reads about ``error``: its class's fixed text, never its own.

    An error's text can name files, URLs and settings of the server; log it instead
    (``logging.exception``).
    """
    if isinstance(error, MdvaxError):
        return error.visitor_message
    return UNEXPECTED
