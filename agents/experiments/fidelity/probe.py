"""Ask a world's user model how attractive it finds given items, and how much it likes
them, with no instruction.

The probe is a session like any other (`Sessions`), so any user model answers it through
the `UserModel` interface, exactly as in an episode: `initial_state` for the profiles,
`start`, then `attractiveness` and `preference`. What differs is the session: its
candidates are the items to judge, and its intent asks for nothing (no instruction text,
no constraint, so every item matches it fully); the users are cold (no history), have
seen nothing and are on their first turn. What is left to tell the items apart is the
user's own taste and whatever else the model weighs (for the default model: item
quality and familiarity).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ifr_sim.core.instructions import IntentBatch, intent_match
from ifr_sim.envs.session_state import Sessions, UserState, take_rows
from ifr_sim.envs.world import World

Question = Literal["attractiveness", "preference"]
"""What the probe asks: which items a user would pick, or what a rating would say."""


def ask(world: World, profiles: np.ndarray, items: np.ndarray, rng: np.random.Generator,
        question: Question) -> np.ndarray:
    """(U, L) simulated user u's answer to `question` about `items[u]` (-1: no item, NaN
    there): `UserModel.attractiveness` or `UserModel.preference`.

    One simulated user per profile (`initial_state` is drawn once), shown its items in
    sessions of `num_candidates` at a time; a shorter last session is filled with the
    first item of the row, whose answer is dropped.
    """
    model = world.user_model
    width = world.config.num_candidates
    state: UserState = model.initial_state(profiles, rng)
    answers = np.full(items.shape, np.nan)
    for start in range(0, items.shape[1], width):
        block = items[:, start:start + width]
        rows = np.flatnonzero((block >= 0).any(axis=1))
        if not len(rows):
            continue
        block = block[rows]
        padded = np.concatenate(
            [block, np.full((len(rows), width - block.shape[1]), -1, np.int64)], axis=1)
        filler = block[np.arange(len(rows)), np.argmax(block >= 0, axis=1)]
        candidates = np.where(padded >= 0, padded, filler[:, None])
        session = neutral_sessions(world, profiles[rows], candidates, take_rows(state, rows))
        model.start(session.user, session, rng)
        answer = np.asarray(getattr(model, question)(session.user, session), np.float64)
        if answer.shape != candidates.shape:
            raise ValueError(
                f"{type(model).__name__}.{question} returned shape {answer.shape}; return "
                f"one value per user and candidate, shape {candidates.shape}")
        shown = block.shape[1]
        answers[rows, start:start + shown] = np.where(block >= 0, answer[:, :shown], np.nan)
    return answers


def neutral_sessions(world: World, profiles: np.ndarray, candidates: np.ndarray,
                     user: Any) -> Sessions:
    """Fresh sessions of `profiles` over `candidates` (B, N) whose intent asks nothing.

    `intent_id` is -1: the intent is none of the world's bank.
    """
    batch, catalog = len(profiles), world.catalog
    none = np.zeros((batch, catalog.num_categories), bool)
    intent = IntentBatch(include=none, exclude=none.copy(),
                         range_low=np.full(batch, -np.inf), range_high=np.full(batch, np.inf),
                         min_quality=np.zeros(batch), popularity=np.zeros(batch, np.int8),
                         reference=np.full(batch, -1, np.int64))
    match = intent_match(catalog, intent, candidates)
    zeros = np.zeros(batch, np.int64)
    return Sessions(
        profile=profiles, intent_id=np.full(batch, -1, np.int64), intent=intent,
        instruction=np.zeros((batch, world.config.instruction_bytes), np.uint8),
        instruction_length=zeros.copy(), candidates=candidates, hard=match.hard,
        graded=match.graded, relevance=np.zeros(candidates.shape, np.float32),
        seen=np.zeros(candidates.shape, bool), clicked=np.zeros(candidates.shape, bool),
        history=np.full((batch, world.config.history_length), -1, np.int64),
        turn=zeros.copy(), refinements=zeros.copy(), total_clicks=zeros.copy(), user=user,
    )
