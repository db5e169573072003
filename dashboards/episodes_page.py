"""The Episodes page: step through a recorded session turn by turn.

Instruction, slate, clicks and each item's attractiveness and intent match, next to the
oracle's slate, as `ifr-sim simulate` records them. The tables come from `episodes.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from ifr_sim.core.catalog import Catalog
from ifr_sim.core.run_store import RunStore
from ifr_sim.dashboards import episodes, widgets


@st.cache_data(show_spinner=False, max_entries=8)
def _episodes(workspace: str, run_id: str, status: str) -> list[dict[str, Any]]:
    """A run's episodes; the status is part of the key, so a run that finishes is re-read."""
    return RunStore(Path(workspace)).episodes(run_id)


@st.cache_resource(show_spinner="loading the catalog …")
def _catalog(catalog_json: str) -> Catalog:
    return episodes.run_catalog(json.loads(catalog_json))


def main() -> None:
    st.title("Episodes")
    store = widgets.store_or_message()
    if store is None:
        return
    runs = store.runs(kind="simulate")
    if not runs:
        st.info(f"No recorded sessions in `{store.workspace}` yet: `ifr-sim simulate "
                f"--runs {store.workspace} --episodes 20` records every episode it plays.")
        return
    with st.sidebar:
        run_id = st.selectbox("Simulate run", [run.id for run in runs])
    run = next(run for run in runs if run.id == run_id)
    if run.status == "failed":
        st.error(f"Run `{run.id}` failed: {run.error or 'no error recorded'}")
    recorded = _episodes(str(store.workspace), run.id, run.status)
    if not recorded:
        st.info(f"Run `{run.id}` has no episodes yet: `ifr-sim simulate` records them when "
                "its sessions are done." if run.status == "running" else
                f"Run `{run.id}` recorded no episodes.")
        return
    summary = episodes.episode_summary(recorded)
    with st.sidebar:
        row = st.selectbox(
            "Episode", range(len(recorded)),
            format_func=lambda i: "episode {} · {} turns · {} clicks".format(
                *summary.loc[i, ["episode", "turns", "clicks"]]))
    episode = recorded[row]
    turns = episode["turns"]
    st.markdown(f"**Episode {episode['episode']}**: profile {episode.get('profile')}, "
                f"{len(turns)} turns, reward {episode.get('reward', 0):g}")
    turn_number = 1 if len(turns) == 1 else st.slider("Turn", 1, len(turns), 1)
    turn = turns[turn_number - 1]
    catalog = _titles_catalog(run.config)
    st.markdown(f"Turn {turn_number}: reward {turn['reward']:g}, {sum(turn['clicks'])} "
                f"clicks. The user says:")
    st.markdown(f"> {turn['instruction']}")
    left, right = st.columns(2)
    with left:
        st.subheader("Slate")
        slate = episodes.slate_table(turn, catalog)
        st.table(slate.round(3), hide_index=True)
        widgets.csv_button(slate, f"episode-{episode['episode']}-turn-{turn_number}-slate",
                           key="csv-slate")
    with right:
        st.subheader("Oracle slate")
        oracle = episodes.oracle_table(turn, catalog)
        if oracle.empty:
            st.caption("not recorded: this run was made before `ifr-sim simulate` recorded "
                       "the ground truth per turn")
        else:
            st.table(oracle.round(3), hide_index=True)
            widgets.csv_button(oracle,
                               f"episode-{episode['episode']}-turn-{turn_number}-oracle",
                               key="csv-oracle")


def _titles_catalog(config: dict[str, Any]) -> Catalog | None:
    """The run's catalog for the titles, or None (and a note) if it cannot be loaded."""
    try:
        return _catalog(json.dumps(config["world"]["catalog"], sort_keys=True))
    except (ValueError, OSError, KeyError, TypeError) as error:
        st.caption(f"titles unavailable: the run's catalog cannot be loaded ({error})")
        return None


main()
