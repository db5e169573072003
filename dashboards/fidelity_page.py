"""The Fidelity page: simulated users against the real raters, from `ifr-sim bench fidelity`.

Rating errors and preference alignment next to their references, the popularity curves
and genre shares of simulated clicks against held-out ratings, and the sweep of the
attractiveness weights. The frames come from `fidelity.py`; this file lays them out.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from ifr_sim.dashboards import fidelity, widgets

NO_DATA = ("This catalog has no real ratings: there is nothing to validate its simulated "
           "users against. The aggregate behaviour below is the simulated side only.")


def main() -> None:
    st.title("Fidelity")
    store = widgets.store_or_message()
    if store is None:
        return
    runs = store.runs(kind="fidelity")
    if not runs:
        st.info(f"No fidelity runs in `{store.workspace}` yet: `ifr-sim bench fidelity "
                f"--runs {store.workspace}` measures the simulated users against the real "
                "raters' held-out ratings.")
        return
    with st.sidebar:
        run_id = st.selectbox("Fidelity run", [run.id for run in runs])
    run = next(run for run in runs if run.id == run_id)
    if run.status == "failed":
        st.error(f"Run `{run.id}` failed: {run.error or 'no error recorded'}")
    result = fidelity.fidelity_result(store, run.id)
    if result is None:
        st.info(f"Run `{run.id}` has no result yet." if run.status == "running" else
                f"Run `{run.id}` recorded no result.")
        return
    st.caption(f"The `{result['user_model']}` users of `{result['catalog']}`, seed "
               f"{run.seed}, {result['seconds']:.0f} s.")
    if result["real_data"]:
        _preferences(result)
    else:
        st.info(NO_DATA)
    _behaviour(result)
    _sweep(result)


def _preferences(result: dict[str, Any]) -> None:
    sample, split = result["sample"], result["split"]
    st.markdown(f"{sample['raters']} raters of the `{split['world_split']}` split, "
                f"{sample['heldout_ratings']} held-out ratings (each rater's last "
                f"{split['holdout_share']:.0%} by time). Probe: {result['probe']}.")
    st.subheader("Rating error on held-out ratings")
    ratings = fidelity.rating_frame(result)
    st.altair_chart(_bars(ratings, "predictor", "metric"))
    st.subheader("Preference alignment")
    st.caption("Each list holds held-out items of the rater and never-rated ones (1:m), or "
               "the rater's held-out items rated 4-5 against those rated 1-2; the user picks "
               "as many items as the list holds positives, so precision, recall and F1 "
               "coincide: accuracy and AUC are the figures to read.")
    alignment = fidelity.alignment_frame(result)
    metric = st.selectbox("Alignment figure", ["accuracy", "auc", "precision", "recall", "f1"])
    shown = alignment[alignment["metric"] == metric]
    st.altair_chart(_bars(shown, "scorer", "protocol"))
    genres = result["intent_genres"]
    if "hit_rate" in genres:
        st.subheader("Intent genres")
        st.markdown(
            f"In {genres['sessions']} sessions, the intent asks for a genre among the rater's "
            f"three favourite held-out genres **{genres['hit_rate']:.3f} ± "
            f"{genres['hit_rate_ci95']:.3f}** of the time; a uniformly random genre "
            f"{genres['random_genre']:.3f}, a genre drawn by its share of ratings "
            f"{genres['rating_share_genre']:.3f}.")


def _behaviour(result: dict[str, Any]) -> None:
    st.subheader("Popularity of what is clicked")
    deciles = fidelity.decile_frame(result)
    st.altair_chart(alt.Chart(deciles).mark_line(point=True).encode(
        x=alt.X("decile:O", title="popularity decile of the catalog (by earlier ratings)"),
        y=alt.Y("share:Q", title="share of clicks / ratings"),
        color=alt.Color("source:N", legend=alt.Legend(orient="bottom", columns=1)),
        tooltip=["source:N", "decile:O", "share:Q"]))
    st.subheader("Genre shares")
    genres = fidelity.genre_frame(result)
    st.altair_chart(alt.Chart(genres).mark_bar().encode(
        x=alt.X("share:Q"), y=alt.Y("genre:N", title=None), yOffset="source:N",
        color=alt.Color("source:N", legend=alt.Legend(orient="bottom", columns=1)),
        tooltip=["source:N", "genre:N", "share:Q"]))
    table = fidelity.behaviour_table(result)
    st.dataframe(table, hide_index=True)
    widgets.csv_button(table, "fidelity-behaviour", key="csv-behaviour")


def _sweep(result: dict[str, Any]) -> None:
    frame = fidelity.sweep_frame(result)
    if frame.empty:
        return
    st.subheader("Attractiveness weights")
    st.caption("One weight changes at a time, the others keep the world's values; the "
               "same raters, lists and sessions answer every setting. Large points: the "
               "world's own value.")
    figure = st.selectbox("Sweep figure", list(dict.fromkeys(frame["figure"])))
    for key, rows in frame[frame["figure"] == figure].groupby("key", sort=False):
        base = alt.Chart(rows).encode(x=alt.X("value:Q", title=key))
        band = base.mark_errorbar().encode(y=alt.Y("low:Q", title=figure), y2="high:Q")
        line = base.mark_line().encode(y="mean:Q")
        points = base.mark_point(filled=True).encode(
            y="mean:Q", size=alt.condition(alt.datum.current, alt.value(120), alt.value(30)),
            tooltip=["value:Q", "mean:Q", "low:Q", "high:Q", "current:N"])
        st.altair_chart(band + line + points)
    widgets.csv_button(frame, "fidelity-sweep", key="csv-sweep")


def _bars(frame: pd.DataFrame, label: str, group: str) -> alt.LayerChart:
    """Means as bars per `label`, side by side per `group`, with their 95% CIs."""
    base = alt.Chart(frame).encode(y=alt.Y(f"{label}:N", title=None),
                                   yOffset=f"{group}:N")
    bars = base.mark_bar().encode(
        x=alt.X("mean:Q", title=None), color=f"{group}:N",
        tooltip=[f"{label}:N", f"{group}:N", "mean:Q", "low:Q", "high:Q"])
    return bars + base.mark_rule(color="black").encode(x="low:Q", x2="high:Q")


main()
