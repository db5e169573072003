"""Is a session as fresh as one just started? The soak benchmark's leak check.

Run on users whose session restarted, it catches state carried over from the ended
session. This module checks the simulator's part of the session (turns, clicks, shown
items, history beyond the warm start, a refined intent or instruction); the user model
checks its own state (`UserModel.fresh_problems`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from ifr_sim.core.instructions import intent_match
from ifr_sim.envs.session_state import Sessions, in_history, take_rows
from ifr_sim.envs.world import World


def failing(checks: Mapping[str, ArrayLike]) -> list[str]:
    """The names of the checks whose values are not all true."""
    return [what for what, ok in checks.items() if not np.all(ok)]


def session_problems(
    world: World, profiles: np.ndarray, warm: int, s: Sessions, rows: np.ndarray
) -> list[str]:
    """How the simulator's part of the sessions in `rows` differs from a fresh start.

    Args:
        world: the sessions' world.
        profiles: the profiles of the world's split.
        warm: clicked items a warm session starts with.
        s: the sessions.
        rows: the users to check.
    """
    intent, started = take_rows(s.intent, rows), take_rows(world.bank.batch, s.intent_id[rows])
    candidates = s.candidates[rows]
    match = intent_match(world.catalog, started, candidates)
    renderings = world.bank.text_bytes[s.intent_id[rows]]  # (B, RENDERINGS, L)
    return failing({
        "turns played (fatigue carried over)": s.turn[rows] == 0,
        "clicks counted": s.total_clicks[rows] == 0,
        "refinements counted": s.refinements[rows] == 0,
        "candidates marked as shown": ~s.seen[rows],
        "history beyond the warm start": s.history[rows, warm:] == -1,
        "clicked items outside the warm history":
            s.clicked[rows] == in_history(candidates, s.history[rows, :warm]),
        "a profile outside the split": np.isin(s.profile[rows], profiles),
        "an intent other than the bank's (a refinement carried over)": [
            np.array_equal(getattr(intent, field.name), getattr(started, field.name))
            for field in dataclasses.fields(started)
        ],
        "an instruction that is not one of the intent's renderings":
            (renderings == s.instruction[rows][:, None]).all(axis=2).any(axis=1),
        "a hard match that is not the intent's": s.hard[rows] == match.hard,
        "a graded match that is not the intent's": s.graded[rows] == match.graded,
    })
