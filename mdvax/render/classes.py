"""Colour classes of the maps: the live map, the server's still picture and the reports."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

from branca.colormap import linear

#: ColorBrewer YlGnBu: sequential, colour-blind safe, light = low (3 to 9 classes).
PALETTES = {n: getattr(linear, f"YlGnBu_{n:02d}").colors for n in range(3, 10)}
#: Fill of a county with no figure.
NO_DATA = "#dddddd"
#: Outline of the county shapes: 8.5:1 against white, 7.5:1 or more against the lightest class
#: (WCAG 1.4.11).
OUTLINE = "#4d4d4d"


def _hex(rgba: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(255 * c):02x}" for c in rgba[:3])


def county_class(fips: str) -> str:
    """CSS class of a county's path (live map and still picture alike)."""
    return f"mdvax-c{fips}"


@dataclass(frozen=True)
class Classes:
    """Equal-interval colour classes from 0: class ``i`` holds ``[i * step, (i + 1) * step)``.

    Classed colours keep the map legible and mean a day's step restyles only the counties that
    cross a class boundary (each restyle is one websocket message).
    """

    step: float
    colours: tuple[str, ...]

    @classmethod
    def for_range(cls, vmax: float, most: int = 9) -> Classes:
        """The fewest classes (3 to ``most``) of a round width that cover ``[0, vmax]``."""
        vmax = vmax if vmax > 0 else 1.0
        raw = vmax / most
        power = 10 ** math.floor(math.log10(raw))
        step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
        n = min(max(math.ceil(vmax / step), 3), most)
        return cls(step, tuple(_hex(c) for c in PALETTES[n]))

    def index(self, value: float) -> int | None:
        """Class number of ``value`` (the top class is open-ended; NaN has none)."""
        if value != value:  # NaN
            return None
        return min(max(int(value // self.step), 0), len(self.colours) - 1)

    def colour(self, value: float) -> str:
        """Colour of ``value`` (NaN is grey)."""
        index = self.index(value)
        return NO_DATA if index is None else self.colours[index]

    def labels(self, fmt: Callable[[float], str]) -> list[str]:
        """Lower bound of each class, formatted: ``["0", "50k", "100k", ...]``."""
        return [fmt(i * self.step) for i in range(len(self.colours))]

    def names(self, fmt: Callable[[float], str]) -> list[str]:
        """Each class as text, lowest first: ``["0 to under 50k", ..., "400k or more"]``."""
        bounds = self.labels(fmt)
        names = [f"{low} to under {high}" for low, high in itertools.pairwise(bounds)]
        return [*names, f"{bounds[-1]} or more"]
