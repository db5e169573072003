"""The Sweeps page: one sweep's trials together, each configuration over seeds, the best one.

The numbers come from `ifr_sim.agents.experiments.sweep_results` (pure functions over the run
store);
this module lays them out and adds the two frames only the page needs
(`error_bars`, `trial_curves`). While a trial is still running the page re-reads the
store every few seconds.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ifr_sim.agents.experiments.sweep_results import (
    best_configuration,
    configuration_summary,
    sweep_ids,
    sweep_objective,
    sweep_trials,
)
from ifr_sim.core.run_store import RunStore
from ifr_sim.dashboards import data

LIVE_EVERY_S = 5.0
"""How often the page re-reads the store while a trial of the sweep is running."""


def sweep_page() -> None:
    """Draw the Sweeps page (a `st.Page` of the dashboard)."""
    st.title("Sweeps")
    workspace = data.workspace()
    store = data.open_store(workspace)
    names = sweep_ids(store) if store is not None else []
    if store is None or not names:
        st.info(f"No sweeps yet in `{workspace}`: run "
                f"`ifr-sim sweep --config SWEEP.toml --runs {workspace}` and reload this page.")
        return
    with st.sidebar:
        name = st.selectbox("Sweep", names, help="sweeps by name, the most recent first")
    metric, _ = sweep_objective(store, name)
    live = bool(sweep_trials(store, name, metric)["status"].eq("running").any())
    view = st.fragment(_sweep_view, run_every=LIVE_EVERY_S if live else None)
    view(store, name)


def _sweep_view(store: RunStore, name: str) -> None:
    metric, mode = sweep_objective(store, name)
    trials = sweep_trials(store, name, metric)
    summary = configuration_summary(trials, mode)
    counts = trials["status"].value_counts()
    st.caption(
        f"sweep `{name}`: {len(trials)} trials, {counts.get('finished', 0)} finished, "
        f"{counts.get('failed', 0)} failed, {counts.get('running', 0)} running. "
        f"Configurations ranked by the final held-out `{metric}` ({mode}), "
        "mean ± 95% CI over seeds."
    )
    best = best_configuration(summary)
    if best is None:
        st.info("No trial of this sweep has finished yet.")
    else:
        st.success(f"Best configuration: **{best['configuration']}**: `{metric}` = "
                   f"{best['mean']:.4f} ± {best['ci95']:.4f} over {best['seeds']} seed(s)")
    for trial in trials[trials["status"] == "failed"].itertuples():
        st.error(f"Trial {trial.configuration}, seed {trial.seed} (`{trial.run}`) failed: "
                 f"{trial.error or 'no error recorded'}")

    st.subheader("Configurations")
    st.dataframe(summary, hide_index=True)
    bars = error_bars(summary)
    if not bars.empty:
        st.altair_chart(_bar_chart(bars, metric))
    if summary["stopped_early"].any():
        st.caption("`stopped_early`: trials the scheduler stopped; their last evaluation "
                   "counts as their final value.")

    st.subheader("Trials")
    st.dataframe(trials, hide_index=True)
    curves = trial_curves(store, trials, metric)
    if not curves.empty:
        st.markdown(f"**{metric}** by trial")
        st.line_chart(curves, x="step", y="value", color="trial", height=300)


def error_bars(summary: pd.DataFrame) -> pd.DataFrame:
    """`configuration, mean, low, high` of every configuration with a mean (± its CI).

    >>> s = pd.DataFrame({"configuration": ["a", "b"], "mean": [0.3, float("nan")],
    ...                   "ci95": [0.1, float("nan")]})
    >>> error_bars(s).round(2).to_dict("records")
    [{'configuration': 'a', 'mean': 0.3, 'low': 0.2, 'high': 0.4}]
    """
    bars = summary[summary["mean"].notna()]
    return pd.DataFrame({"configuration": bars["configuration"], "mean": bars["mean"],
                         "low": bars["mean"] - bars["ci95"],
                         "high": bars["mean"] + bars["ci95"]}).reset_index(drop=True)


def trial_curves(store: RunStore, trials: pd.DataFrame, metric: str) -> pd.DataFrame:
    """`trial, step, value` of `metric` for every trial, labelled `<configuration> seed=<s>`."""
    curves = data.metric_curves(store, list(trials["run"]), [metric])
    names = {run: f"{label} seed={seed}"
             for run, label, seed in trials[["run", "configuration", "seed"]].itertuples(
                 index=False)}
    return pd.DataFrame({"trial": curves["run"].map(names), "step": curves["step"],
                         "value": curves["value"]})


def _bar_chart(bars: pd.DataFrame, metric: str) -> alt.LayerChart:
    """Mean per configuration as a bar, its 95% CI as an error rule."""
    base = alt.Chart(bars).encode(y=alt.Y("configuration:N", sort="-x", title=None))
    mean = base.mark_bar().encode(x=alt.X("mean:Q", title=f"final {metric}"),
                                  tooltip=["configuration:N", "mean:Q", "low:Q", "high:Q"])
    ci = base.mark_rule(color="black").encode(x="low:Q", x2="high:Q")
    return mean + ci
