"""The Playground page: a scorer's slate for a typed instruction, and how a simulated
held-out user would respond to it; two scorers side by side.

The logic is `ifr_sim.agents.playground`; this file lays it out and caches what it loads.
"""

from __future__ import annotations

import json

import streamlit as st

from ifr_sim.agents import playground
from ifr_sim.agents.recommender import Recommender
from ifr_sim.core.config import from_dict, to_dict
from ifr_sim.core.run_store import RunRecord
from ifr_sim.core.scorer import ScorerConfig
from ifr_sim.dashboards import widgets
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.world import World, build_world

NOTHING = "nothing"
MODELS_KEPT = 4  # loaded scorers (and worlds) kept in memory per kind, the oldest dropped
# What a broken checkpoint, model directory, catalog or recorded config raises.
LOAD_ERRORS = (ValueError, OSError, KeyError)


@st.cache_resource(show_spinner="building the world …", max_entries=MODELS_KEPT)
def _world(world_json: str) -> World:
    return build_world(from_dict(WorldConfig, json.loads(world_json)))


@st.cache_resource(show_spinner="loading the checkpoint …", max_entries=MODELS_KEPT)
def _checkpoint(path: str) -> Recommender:
    return Recommender.from_checkpoint(path)


@st.cache_resource(show_spinner="loading the zero-shot scorer …", max_entries=MODELS_KEPT)
def _zero_shot(scorer_json: str, world_json: str) -> Recommender:
    scorer = from_dict(ScorerConfig, json.loads(scorer_json))
    return Recommender.zero_shot(_world(world_json).catalog, scorer)


def main() -> None:
    st.title("Playground")
    store = widgets.store_or_message()
    if store is None:
        return
    runs = playground.checkpoint_runs(store)
    if not runs:
        st.info(f"No training run with a checkpoint in `{store.workspace}` yet: "
                "`ifr-sim train` or `ifr-sim demo` makes one. The zero-shot scorer is "
                "offered on the world of such a run.")
        return
    options = [playground.ZERO_SHOT, *(run.id for run in runs)]
    with st.sidebar:
        first = st.selectbox("Scorer", options, index=1)
        second = st.selectbox("Compare with", [NOTHING, *options])
        number = int(st.number_input("Held-out user", min_value=0, value=0, step=1))
    choices = [first] if second == NOTHING else [first, second]
    try:
        base = playground.base_run(runs, choices)
        world_json = json.dumps(to_dict(playground.world_config(base)))
        world = _world(world_json)
        user = playground.held_out_user(world, number)
    except LOAD_ERRORS as error:
        st.error(str(error))
        return
    st.caption(
        f"World of run `{base.id}` ({world.config.clicks.model} clicks), held-out split. "
        f"User {number} is the session a held-out env starts with seed {number}: profile "
        f"{user.profile}, {len(user.candidates)} candidates, {len(user.history)} past clicks. "
        "The user wants what their own instruction says; the slate is ranked for yours.")
    st.markdown(f"The user's own instruction: *{user.instruction}*")
    instruction = st.text_input("Instruction", value=user.instruction, key=f"text-{number}")
    checkpoints = {run.id: str(run.checkpoint) for run in runs}
    columns = st.columns(len(choices))
    for side, (column, choice) in enumerate(zip(columns, choices, strict=True)):
        with column:
            _slate(choice, checkpoints, base, world_json, world, user, instruction, side)
    with st.expander("Oracle slate (the K candidates most attractive to this user)"):
        _show(playground.oracle_slate(world, user), "oracle", "oracle")


def _slate(choice: str, checkpoints: dict[str, str], base: RunRecord, world_json: str,
           world: World, user: playground.HeldOutUser, instruction: str, side: int) -> None:
    """One scorer's slate for the instruction, or why there is none."""
    st.subheader(f"zero-shot (the scorer of `{base.id}` before training)"
                 if choice == playground.ZERO_SHOT else f"checkpoint of `{choice}`")
    try:
        if choice == playground.ZERO_SHOT:
            scorer_json = json.dumps(to_dict(playground.scorer_config(base)))
            recommender = _zero_shot(scorer_json, world_json)
        else:
            recommender = _checkpoint(checkpoints[choice])
        slate = playground.recommend(recommender, world, user, instruction)
    except LOAD_ERRORS as error:
        st.error(str(error))
        return
    _show(slate, choice, str(side))


def _show(slate: list[playground.SlateItem], name: str, key: str) -> None:
    """Expected clicks, the slate table (rounded; the CSV has every digit) and its CSV."""
    st.metric("expected clicks", f"{playground.expected_clicks(slate):.3f}")
    frame = playground.slate_frame(slate)
    st.table(frame.round(3), hide_index=True)
    widgets.csv_button(frame, f"slate-{name}", key=f"csv-slate-{key}")


main()
