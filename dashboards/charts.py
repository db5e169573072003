"""The Altair chart of one metric: a line per run or seed group, its band, dashed references.

Built from a chart frame (`seeds.CHART_COLUMNS`) so the chart and its CSV hold the same
data; `st.altair_chart` draws it.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from ifr_sim.dashboards.seeds import MEASURED

SOLID, DASHED = (1, 0), (6, 4)
BAND_OPACITY = 0.2
HEIGHT = 240
LEGEND_ROW = 32
"""Pixels a legend entry takes: Streamlit fits the whole chart, legend included, into its
height, so each line adds a row to keep the plot itself `HEIGHT` - one row tall."""


def curve_chart(frame: pd.DataFrame, labels: Sequence[str] = ()) -> alt.LayerChart:
    """Lines against environment steps, colour per `run`, min-max band where `seeds` > 1.

    Reference lines (every `line` but `run`) are dashed; measured points are marked so a
    single evaluation (an `evaluate` run's step 0) is visible too. The legend is below
    the plot, one line per row, as the labels (run ids) are long. `labels`, every line
    label of the page in order, fixes the colours, so that a run has one colour in every
    chart (by default each chart colours only its own lines).
    """
    present = set(frame["run"])
    domain = list(labels) or sorted(present)
    base = alt.Chart(frame).encode(
        x=alt.X("step:Q", title="environment steps"),
        color=alt.Color("run:N", title=None, scale=alt.Scale(domain=domain),
                        legend=alt.Legend(orient="bottom", columns=1, labelLimit=600,
                                          values=[label for label in domain
                                                  if label in present])),
    )
    measured = alt.datum.line == MEASURED
    band = base.transform_filter(measured & (alt.datum.seeds > 1)).mark_area(
        opacity=BAND_OPACITY
    ).encode(y=alt.Y("low:Q"), y2="high:Q")
    lines = base.mark_line().encode(
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        strokeDash=alt.condition(measured, alt.value(list(SOLID)), alt.value(list(DASHED))),
        detail="line:N",
        tooltip=["run:N", "line:N", "step:Q", "value:Q", "low:Q", "high:Q", "seeds:Q"],
    )
    points = base.transform_filter(measured).mark_point(size=12, filled=True).encode(
        y="value:Q"
    )
    height = HEIGHT + LEGEND_ROW * (len(present) - 1)
    return alt.LayerChart(layer=[band, lines, points], height=height)
