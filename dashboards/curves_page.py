"""The Curves page: reward, ranking and PPO diagnostics of the picked runs against steps.

The data comes from `data.py` (curves, seed bands, reference lines) and the charts from
`charts.py`; this file only lays them out.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from ifr_sim.core.run_store import KINDS, STATUSES, RunStore
from ifr_sim.dashboards import charts, data, transfer, widgets

LIVE_EVERY_S = 5.0  # how often the charts re-read the store while a picked run is running
ANY = "any"
REFERENCES_CAPTION = (
    "Dashed: `<run> (zero-shot)` is the run's first held-out evaluation, made before any "
    "update; `best baseline (agent)` is the best `ifr-sim evaluate` run of a baseline "
    "(every agent but the oracle and the zero-shot scorer) and `oracle` the oracle's, "
    "recorded in this workspace on the same world (`ifr-sim demo` records them all)."
)
TRANSFER = "Hand-written instructions"
TRANSFER_CAPTION = (
    "Each picked training run's zero-shot policy, trained policy and plain MiniLM cosine on "
    "a hand-written instruction set (`ifr-sim bench learn` measures them after training): "
    "mean over its lines, ± the 95% confidence interval."
)


def main() -> None:
    st.title("Curves")
    store = widgets.store_or_message()
    if store is None:
        return
    selected, window, combine = _sidebar(store)
    if not selected:
        st.info("Pick one or more runs in the sidebar.")
        return
    runs = data.runs_table(store)
    live = bool(runs[runs["id"].isin(selected)]["status"].eq("running").any())
    charts_fragment = st.fragment(_charts, run_every=LIVE_EVERY_S if live else None)
    charts_fragment(store, selected, window, combine)


def _sidebar(store: RunStore) -> tuple[list[str], int, bool]:
    """The picked run ids, the smoothing window and whether seeds are combined."""
    with st.sidebar:
        st.caption(f"workspace: `{store.workspace}`")
        kind = st.selectbox("Kind", (ANY, *KINDS))
        presets = sorted(set(data.runs_table(store)["preset"]))
        preset = st.selectbox("Preset", (ANY, *presets))
        status = st.selectbox("Status", (ANY, *STATUSES))
        runs = data.runs_table(store, *(None if value == ANY else value
                                        for value in (kind, status, preset)))
        selected = st.multiselect("Runs", list(runs["id"]),
                                  default=data.default_selection(runs))
        combine = st.checkbox(
            "Combine seeds", value=True,
            help="Runs whose config differs only in the seed are drawn as one line, their "
                 "mean, with a band from the lowest to the highest seed.")
        window = st.slider("Smoothing (rolling mean over N points)", 1, 50, 1)
    return list(selected), int(window), bool(combine)


def _charts(store: RunStore, selected: Sequence[str], window: int, combine: bool) -> None:
    """Status messages, then every section's charts; rerun alone while a run is live."""
    records = [run for run in store.runs() if run.id in selected]  # a deleted run drops out
    runs = data.runs_table(store).set_index("id")
    _messages(store, runs[runs.index.isin(selected)])
    if any(run.status == "running" for run in records):
        st.caption(f"live: re-reading the store every {LIVE_EVERY_S:g} s")
    layout = data.sections(records)  # the ranking cut-offs follow the runs' slate sizes
    frames = {title: data.section_frame(store, records, keys, window, combine)
              for title, keys in layout.items()}
    labels = data.line_labels(frames.values())  # one colour per line on the whole page
    for (title, keys), frame in zip(layout.items(), frames.values(), strict=True):
        st.subheader(title)
        if data.is_ranking_section(keys):
            st.caption(REFERENCES_CAPTION)
        columns = st.columns(2)
        for number, key in enumerate(keys):
            with columns[number % 2]:
                _chart(key, frame[frame["key"] == key], labels)
    st.subheader("Last values")
    every_key = [key for keys in layout.values() for key in keys]
    last = data.last_values(data.metric_curves(store, [run.id for run in records], every_key))
    if last.empty:
        st.caption("no metrics recorded yet")
    else:
        st.dataframe(last)
    lines = transfer.transfer_table(store, [run.id for run in records if run.kind == "train"])
    if not lines.empty:
        st.subheader(TRANSFER)
        st.caption(TRANSFER_CAPTION)
        st.dataframe(lines, hide_index=True)


def _messages(store: RunStore, runs: pd.DataFrame) -> None:
    """Failed runs with their error, runs with no metrics or no evaluation yet."""
    for run_id, run in runs.iterrows():
        if run["status"] == "failed":
            st.error(f"Run `{run_id}` failed: {run['error'] or 'no error recorded'}")
    for run_id in data.runs_without_metrics(store, list(runs.index)):
        st.warning(f"Run `{run_id}` has no metrics yet: a training run logs its first "
                   "ones after its first rollout.")
    training = [str(run_id) for run_id in runs.index[runs["kind"] == "train"]]
    for run_id in data.runs_without_evaluation(store, training):
        st.info(f"Run `{run_id}` has no evaluation yet: the `eval/…` curves start at its "
                "first held-out evaluation (every `eval_every` steps).")


def _chart(key: str, frame: pd.DataFrame, labels: Sequence[str]) -> None:
    """One metric against environment steps, and its CSV (the chart's data, bands too)."""
    st.markdown(f"**{key}**")
    if frame.empty:
        st.caption("no data for the selected runs")
        return
    st.altair_chart(charts.curve_chart(frame, labels), width="stretch")
    widgets.csv_button(frame, key, key=f"csv-{key}")


main()
