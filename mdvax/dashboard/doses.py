"""The third-dose view: the cumulative curve, the daily doses, and the third doses' share.

Pure functions of the ``third_dose`` dataset (:data:`mdvax.datasets.COLUMNS`) and the county
table (its statewide daily first, second and single doses, doses without a county included);
:mod:`mdvax.dashboard.views` shows them.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from mdvax import format as fmt
from mdvax import measures
from mdvax.dashboard.lines import Line, lines_svg, vintage_text
from mdvax.templates import render

#: Days in the rolling sums of the share (a day's share swings with weekends and backlogs).
WINDOW = 7


def curve(third: pd.DataFrame, county: pd.DataFrame) -> pd.DataFrame:
    """Third doses by day and their share of all doses given.

    Parameters
    ----------
    third : pandas.DataFrame
        ``date, third_dose, third_dose_daily, third_dose_7day``.
    county : pandas.DataFrame
        The canonical county table (``date`` and the ``*_daily`` columns, every county and the
        unassigned rows): summed by day into Maryland's first + second + single doses.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``date`` (the third-dose table's days): ``third_dose``, ``third_dose_daily``,
        ``third_dose_7day``, ``other_daily`` (first + second + single that day, 0 on a day the
        county table lacks), ``share`` (% of the day's doses that were third doses) and
        ``share_7day`` (the same over the :data:`WINDOW` days ending that day); NaN where no
        dose was given.
    """
    daily = [measures.column(m, True) for m in measures.DOSES]
    other = county.groupby(pd.to_datetime(county["date"]))[daily].sum().sum(axis=1)
    frame = third.assign(date=pd.to_datetime(third["date"])).set_index("date").sort_index()
    frame = frame[["third_dose", "third_dose_daily", "third_dose_7day"]].copy()
    frame["other_daily"] = other.reindex(frame.index, fill_value=0).astype("int64")
    total = frame["third_dose_daily"] + frame["other_daily"]
    frame["share"] = 100.0 * frame["third_dose_daily"] / total.where(total > 0)
    third_w = frame["third_dose_daily"].rolling(WINDOW, min_periods=1).sum()
    total_w = total.rolling(WINDOW, min_periods=1).sum()
    frame["share_7day"] = 100.0 * third_w / total_w.where(total_w > 0)
    return frame


def third_dose_html(frame: pd.DataFrame, published: date | None) -> str:
    """Heading, sentences, the three charts and a weekly table of :func:`curve`."""
    vintage = vintage_text(published)
    given = frame[frame["third_dose_daily"] > 0]
    if given.empty:
        sentences = [f"No third doses in this vintage ({vintage})."]
        return render(
            "dashboard/dataset_view.html.j2", key="third_dose", title="Third doses",
            sentences=sentences, charts=(), rows=(),
        )  # fmt: skip
    first, last = given.index[0].date(), frame.index[-1].date()
    sentences = [
        f"{fmt.count(frame['third_dose'].iloc[-1])} third and booster doses by {fmt.day(last)} "
        f"({vintage}), the first recorded on {fmt.day(first)}.",
        "The share is third doses over all doses given: third doses plus the first, second "
        f"and single doses of the county table (every county and doses not yet assigned to "
        f"one), summed over {WINDOW} days.",
    ]
    frame = frame.loc[pd.Timestamp(first) :]
    charts = [
        (
            "Third doses, cumulative",
            lines_svg([Line("Third doses", frame["third_dose"])], "Third doses, cumulative"),
        ),
        (
            "Third doses a day",
            lines_svg(
                [
                    Line("Daily", frame["third_dose_daily"]),
                    Line("7-day average", frame["third_dose_7day"]),
                ],
                "Third doses a day and their 7-day average",
            ),
        ),
        (
            "Share of the doses given that were third doses (7 days)",
            lines_svg(
                [Line("% of all doses", frame["share_7day"])],
                "Share of all doses that were third doses, over 7 days",
                percent=True,
            ),
        ),
    ]
    weekly = frame.iloc[::-WINDOW]  # the last day, then every 7th day back
    rows = [
        (
            fmt.day(day.date()),
            fmt.count(row["third_dose"]),
            fmt.count(row["third_dose_daily"]),
            fmt.count(row["third_dose_7day"]),
            "–" if pd.isna(row["share_7day"]) else fmt.percent(row["share_7day"]),
        )
        for day, row in weekly.iterrows()
    ]
    headers = ("Day", "Cumulative", "That day", "7-day average", "% of doses (7 days)")
    return render(
        "dashboard/dataset_view.html.j2", key="third_dose", title="Third doses",
        sentences=sentences, charts=charts, rows=rows, headers=headers,
        caption=f"Third doses, every 7th day back from the last ({vintage})",
    )  # fmt: skip
