"""The ifr-sim dashboard: reward, ranking and PPO diagnostics curves of recorded runs.

Start it with `ifr-sim dashboard --runs DIR` (or `streamlit run dashboards/app.py` with
`IFR_SIM_RUNS=DIR`). It only reads the run store; the data comes from `data.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from ifr_sim.dashboards import data
from ifr_sim.run_store import KINDS, STATUSES, RunStore

LIVE_EVERY_S = 5.0
"""How often the charts re-read the store while a selected run is still running."""
ANY = "any"


def main() -> None:
    st.set_page_config(page_title="ifr-sim runs", layout="wide")
    st.title("ifr-sim runs")
    workspace = data.workspace()
    store = data.open_store(workspace)
    if store is None or data.runs_table(store).empty:
        st.info(f"No runs yet in `{workspace}`: run `ifr-sim train --runs {workspace}` "
                "(or `ifr-sim evaluate` / `simulate`) and reload this page.")
        return
    selected, window = _sidebar(store)
    if not selected:
        st.info("Pick one or more runs in the sidebar.")
        return
    runs = data.runs_table(store)
    live = bool(runs[runs["id"].isin(selected)]["status"].eq("running").any())
    charts = st.fragment(_charts, run_every=LIVE_EVERY_S if live else None)
    charts(store, selected, window)


def _sidebar(store: RunStore) -> tuple[list[str], int]:
    """The picked run ids and the smoothing window."""
    with st.sidebar:
        st.caption(f"workspace: `{store.workspace}`")
        kind = st.selectbox("Kind", (ANY, *KINDS))
        status = st.selectbox("Status", (ANY, *STATUSES))
        runs = data.runs_table(store, None if kind == ANY else kind,
                               None if status == ANY else status)
        selected = st.multiselect("Runs", list(runs["id"]),
                                  default=data.default_selection(runs))
        window = st.slider("Smoothing (rolling mean over N points)", 1, 50, 1)
    return list(selected), int(window)


def _charts(store: RunStore, selected: Sequence[str], window: int) -> None:
    """Status messages, then every section's charts; rerun alone while a run is live."""
    runs = data.runs_table(store).set_index("id")
    runs = runs[runs.index.isin(selected)]  # a run deleted since the page was drawn drops out
    _messages(store, runs)
    if runs["status"].eq("running").any():
        st.caption(f"live: re-reading the store every {LIVE_EVERY_S:g} s")
    for title, keys in data.SECTIONS.items():
        st.subheader(title)
        curves = data.smooth(data.metric_curves(store, selected, keys), window)
        if keys == data.RANKING_KEYS:
            curves = data.with_zero_shot_lines(curves)
        columns = st.columns(2)
        for number, key in enumerate(keys):
            with columns[number % 2]:
                _chart(key, curves[curves["key"] == key])
    st.subheader("Last values")
    last = data.last_values(data.metric_curves(store, selected, _all_keys()))
    if last.empty:
        st.caption("no metrics recorded yet")
    else:
        st.dataframe(last)


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


def _chart(key: str, curve: pd.DataFrame) -> None:
    """One metric against environment steps, one line per run, and its CSV."""
    st.markdown(f"**{key}**")
    if curve.empty:
        st.caption("no data for the selected runs")
        return
    st.line_chart(curve, x="step", y="value", color="run", height=240)
    st.download_button(
        "CSV", curve.to_csv(index=False), file_name=f"{key.replace('/', '_')}.csv",
        mime="text/csv", key=f"csv-{key}",
    )


def _all_keys() -> list[str]:
    return [key for keys in data.SECTIONS.values() for key in keys]


main()
