"""How figures read, the same on the dashboard and in the report: counts, changes, shares, days.

Plain text only; the templates (:mod:`mdvax.templates`) escape it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date


def count(value: float) -> str:
    """A number of people: ``1,234,567``."""
    return f"{round(value):,}"


def change(value: float) -> str:
    """A change with its sign: ``+1,234``, ``-12``, ``0``."""
    return f"{round(value):+,}" if round(value) else "0"


def percent(value: float, digits: int = 1) -> str:
    """A share of the population: ``12.3%`` (``digits`` decimals)."""
    return f"{value:.{digits}f}%"


def share(value: float, daily: bool = False) -> str:
    """The dashboard's share: one decimal, two for daily shares (which are small)."""
    return percent(value, 2 if daily else 1)


def day(value: date) -> str:
    """A day as people read it: ``30 Mar 2021``."""
    return f"{value.day} {value:%b %Y}"


def iso(value: date) -> str:
    """A day as ``YYYY-MM-DD`` (the report's tables, links and file names)."""
    return f"{value:%Y-%m-%d}"


def compact(per_capita: bool) -> Callable[[float], str]:
    """Short legend numbers: ``45%``, ``0.5%``, ``350k``, ``1.2M``."""

    def fmt(value: float) -> str:
        if per_capita:
            return f"{value:g}%"
        for size, suffix in ((1e6, "M"), (1e3, "k")):
            if abs(value) >= size:
                return f"{value / size:g}{suffix}"
        return f"{value:g}"

    return fmt
