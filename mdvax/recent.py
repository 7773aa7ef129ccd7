"""A small least-recently-used store (the vintages service keeps its tables in one)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

__all__ = ["Recent"]


class Recent:
    """The ``kept`` values last asked for, by key, least recently used dropped first.

    Parameters
    ----------
    kept : int
        How many values to keep (a table is tens of MB: keep few).
    """

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._values: OrderedDict[Hashable, object] = OrderedDict()

    def get(self, key: Hashable, load: Callable[[], object]) -> object:
        """The value of ``key``: kept, or ``load()``-ed and kept (dropping the oldest)."""
        if key in self._values:
            self._values.move_to_end(key)
            return self._values[key]
        while len(self._values) >= self.kept > 0:
            self._values.popitem(last=False)  # free before reading the next
        value = load()
        if self.kept > 0:
            self._values[key] = value
        return value

    def __len__(self) -> int:
        return len(self._values)
