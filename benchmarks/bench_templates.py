"""Cost of the dashboard's HTML per render, now that it comes from Jinja templates.

    .venv/bin/python benchmarks/bench_templates.py [--repeat 2000]

Prints the first render of each fragment (template load + compile, paid once per kernel) and
the mean of the following ones (what a slider step or a click pays). Synthetic figures: no data
folder needed.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime

import pandas as pd

from mdvax.dashboard import panel
from mdvax.dashboard.model import View
from mdvax.dashboard.state import ViewState
from mdvax.normalize.counties import JURISDICTIONS
from mdvax.provenance import Provenance
from mdvax.render import Picture


def _view() -> View:
    names = list(JURISDICTIONS)
    counties = pd.DataFrame(
        {
            "fips": list(JURISDICTIONS.values()),
            "value": range(1000, 1000 + len(names)),
            "pct": [10.5 + i for i in range(len(names))],
            "rank": range(1, len(names) + 1),
            "change_7d": range(len(names)),
        },
        index=pd.Index(names, name="county"),
    )
    state = {"value": 123456, "unassigned": 789, "pct": 23.4, "change_7d": 5000, "change_28d": 9}
    shown = counties.set_index("fips")["value"]
    picture = Picture.build(shown.to_dict(), float(shown.max()), "First doses", per_capita=False)
    return View(counties, state, shown, picture)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    view, day = _view(), date(2021, 3, 16)
    county = ViewState(day, county=JURISDICTIONS["Montgomery"])
    series = pd.DataFrame(
        {"county": range(100), "state": range(100)},
        index=pd.date_range("2020-12-14", periods=100),
        dtype="float64",
    )
    prov = Provenance("maryland-csv", date(2021, 3, 30), fetched_at=datetime.now(UTC))
    fragments = {
        "state panel": lambda: panel.state_html(view, ViewState(day)),
        "county panel": lambda: panel.county_html(view, county),
        "headline": lambda: panel.headline_html(view, ViewState(day)),
        "chart": lambda: panel.chart_svg(series, "Montgomery"),
        "marker": lambda: panel.marker_svg(series, day),
        "link": lambda: panel.link_html("http://127.0.0.1:8866/", "date=2021-03-16"),
        "notes": lambda: panel.notes_html(["Ignored a bad value."]),
        "provenance": lambda: panel.provenance_html(prov),
    }
    print(f"{'fragment':<14} {'first (ms)':>10} {'then (us)':>10}")
    for name, render in fragments.items():
        started = time.perf_counter()
        render()
        first = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(args.repeat):
            render()
        mean = (time.perf_counter() - started) / args.repeat
        print(f"{name:<14} {first * 1e3:>10.2f} {mean * 1e6:>10.1f}")


if __name__ == "__main__":
    main()
