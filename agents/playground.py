"""The dashboard playground's logic: what a scorer recommends for a typed instruction, and
how a simulated held-out user of the world would respond to it.

No Streamlit here: the page (`dashboards/playground_page.py`) lays these results out.

A *held-out user number* `n` is the session a held-out environment of the world starts
with `reset(seed=n)`: one of the held-out profiles, with the intent it forms, the
instruction it says, its N candidates and its warm click history. Anyone can replay it
with `gymnasium.make("ifr_sim/InstructionRec-v1", config=world, split="heldout")`.

The scorer ranks that user's N candidates for whatever instruction is typed (by default
the user's own). The user still wants what their intent says: each recommended item's
attractiveness is the simulator's, and the world's click model turns the slate's
attractiveness into a click probability per position. So a different instruction shows
how a slate made for other words would serve this user. The oracle's slate (the K most
attractive candidates) is the best any scorer could do.

The scorers on offer are the checkpoints of recorded training runs and, on the world of
such a run, its scorer before training (`ZERO_SHOT`: what the run's zero-shot line
measures).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ifr_sim.agents.recommender import Recommender
from ifr_sim.core.config import from_dict
from ifr_sim.core.run_store import RunRecord, RunStore
from ifr_sim.core.scorer import ScorerConfig
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.instruction_rec import InstructionRecEnv
from ifr_sim.envs.world import World

ZERO_SHOT = "zero-shot"
"""The choice of the untrained scorer (of the world's training run) instead of a checkpoint."""

SLATE_COLUMNS = ("position", "title", "id", "score", "attractiveness", "matches intent",
                 "P(click)")
"""Columns of `slate_frame`, as the page shows them."""


@dataclass(frozen=True, eq=False)  # arrays inside: compare the fields you need
class HeldOutUser:
    """The first turn of one held-out session: who, what they ask, what they can be shown.

    Attributes:
        number: the seed that started the session.
        profile: the profile (a real rater, or a generated shopper) behind the user.
        instruction: what the user says they want.
        candidates: external ids of the N candidates, in the env's order.
        relevance: (N,) attractiveness of each candidate to this user now.
        satisfies: (N,) whether each candidate meets the intent's hard constraints.
        oracle: (K,) candidate positions of the K most attractive, best first.
        history: external ids of the items the user clicked before, newest first (the
            order the env's observation and the scoring agents use).
    """

    number: int
    profile: int
    instruction: str
    candidates: tuple[str, ...]
    relevance: np.ndarray
    satisfies: np.ndarray
    oracle: np.ndarray
    history: tuple[str, ...]


@dataclass(frozen=True)
class SlateItem:
    """One position of a slate and the user's response to it."""

    position: int
    id: str
    title: str
    score: float | None  # the scorer's logit; None for the oracle, which has no scorer
    attractiveness: float
    satisfies: bool
    click_probability: float


def checkpoint_runs(store: RunStore) -> list[RunRecord]:
    """Training runs, newest first, whose recorded checkpoint directory exists.

    A relative checkpoint path is read from the current directory, as `ifr-sim train`
    wrote it from where it was started. Whether the directory holds a usable checkpoint
    is for loading to say (`load_checkpoint` names what is missing or corrupt).
    """
    return [run for run in store.runs(kind="train")
            if run.checkpoint is not None and Path(run.checkpoint).is_dir()]


def base_run(runs: Sequence[RunRecord], choices: Sequence[str]) -> RunRecord:
    """The run whose world (and untrained scorer, for `ZERO_SHOT`) the playground uses.

    The first chosen run that is not `ZERO_SHOT`, else the newest of `runs`. Two chosen
    runs of different worlds cannot be compared on one user: that is an error.
    """
    if not runs:
        raise ValueError("no training run with a checkpoint: train one with `ifr-sim train`")
    by_id = {run.id: run for run in runs}
    chosen = [by_id[choice] for choice in choices if choice != ZERO_SHOT]
    worlds = {json.dumps(_heldout(run.config["world"]), sort_keys=True) for run in chosen}
    if len(worlds) > 1:
        raise ValueError(
            f"runs {' and '.join(run.id for run in chosen)} simulate different worlds, so "
            "no user can be shown both slates; compare runs of one world"
        )
    return chosen[0] if chosen else runs[0]


def world_config(run: RunRecord) -> WorldConfig:
    """The held-out split of the world a training run recorded."""
    return from_dict(WorldConfig, _heldout(run.config["world"]))


def scorer_config(run: RunRecord) -> ScorerConfig:
    """The scorer a training run started from (what `ZERO_SHOT` loads)."""
    return from_dict(ScorerConfig, run.config["scorer"])


def _heldout(world: dict[str, object]) -> dict[str, object]:
    return {**world, "split": "heldout"}


def held_out_user(world: World, number: int) -> HeldOutUser:
    """The held-out session that `reset(seed=number)` starts in `world` (any split given)."""
    if number < 0:
        raise ValueError(f"user number {number} is invalid: use a whole number >= 0")
    env = InstructionRecEnv(config=dataclasses.replace(world.config, split="heldout"))
    obs, info = env.reset(seed=number)
    ids = world.catalog.ids
    return HeldOutUser(
        number=number,
        profile=int(info["profile"]),
        instruction=str(info["instruction"]),
        candidates=tuple(str(ids[i]) for i in obs["candidates"]),
        relevance=np.asarray(info["relevance"], dtype=np.float64),
        satisfies=np.asarray(info["satisfies"], dtype=bool),
        oracle=np.asarray(info["oracle_slate"], dtype=np.int64),
        history=tuple(str(ids[i]) for i in obs["history"] if i >= 0),
    )


def recommend(
    recommender: Recommender, world: World, user: HeldOutUser, instruction: str
) -> list[SlateItem]:
    """The scorer's top K of the user's candidates for `instruction`, and the response.

    K is the world's slate size. An empty instruction is an error: the scorer needs words.
    """
    if not instruction.strip():
        raise ValueError("the instruction is empty: type what the user asks for")
    ranked = recommender.recommend(instruction, k=world.config.slate_size,
                                   candidates=user.candidates, history=user.history)
    position_of = {item_id: position for position, item_id in enumerate(user.candidates)}
    positions = [position_of[str(r.item.id)] for r in ranked]
    return _respond(world, user, positions, [r.score for r in ranked])


def oracle_slate(world: World, user: HeldOutUser) -> list[SlateItem]:
    """The K candidates most attractive to the user, best first, and the response."""
    return _respond(world, user, user.oracle.tolist(), [None] * len(user.oracle))


def expected_clicks(slate: Sequence[SlateItem]) -> float:
    """Expected number of clicks on the slate: the sum of the click probabilities."""
    return float(sum(item.click_probability for item in slate))


def slate_frame(slate: Sequence[SlateItem]) -> pd.DataFrame:
    """The slate as a table with the columns of `SLATE_COLUMNS`, position 1 first."""
    rows = [(item.position, item.title, item.id, item.score, item.attractiveness,
             item.satisfies, item.click_probability) for item in slate]
    return pd.DataFrame(rows, columns=list(SLATE_COLUMNS))


def _respond(
    world: World, user: HeldOutUser, positions: Sequence[int], scores: Sequence[float | None]
) -> list[SlateItem]:
    """Click probability per slate position under the world's click model."""
    attractiveness = user.relevance[list(positions)]
    clicks = world.clicks.click_probabilities(attractiveness[None])[0]
    catalog = world.catalog
    indices = catalog.index_of([user.candidates[p] for p in positions])
    return [
        SlateItem(
            position=rank,
            id=user.candidates[position],
            title=catalog.titles[index],
            score=score,
            attractiveness=float(attractiveness[rank - 1]),
            satisfies=bool(user.satisfies[position]),
            click_probability=float(clicks[rank - 1]),
        )
        for rank, (position, index, score) in enumerate(
            zip(positions, indices, scores, strict=True), start=1
        )
    ]
