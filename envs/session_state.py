"""The state of B concurrent sessions: the simulator's part and the user model's part.

Every array has the users on axis 0, so the simulator can serve sessions started ahead
in blocks and overwrite the rows of ended sessions (autoreset) field by field, without
knowing what a user model keeps: `take_rows` and `put_rows` walk any dataclass of arrays
(nested dataclasses included).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ifr_sim.core.instructions import IntentBatch

Rows = TypeVar("Rows")


@dataclass
class UserState:
    """What a user model keeps per user: subclass it and add arrays over users (axis 0).

    Attributes:
        patience: (B,) turns the user is still willing to play, as the model counts
            them; a view of the session (`render`) shows it. A model that leaves by
            another rule still keeps an estimate here.
    """

    patience: np.ndarray


@dataclass
class Sessions:
    """Mutable per-user state of B concurrent sessions (one row per user).

    The simulator owns every field but `user`, which is the user model's. Models read
    the rest (the intent's match of each candidate, what was seen or clicked, turns
    played) and never write it.
    """

    profile: np.ndarray  # (B,) profile index
    intent_id: np.ndarray  # (B,) index into the world's intent bank
    intent: IntentBatch  # current (possibly refined) intent, B rows
    instruction: np.ndarray  # (B, L) uint8 UTF-8 bytes
    instruction_length: np.ndarray  # (B,)
    candidates: np.ndarray  # (B, N) item indices
    hard: np.ndarray  # (B, N) candidate satisfies the intent's hard constraints
    graded: np.ndarray  # (B, N) float32 graded match of each candidate to the intent
    relevance: np.ndarray  # (B, N) current attractiveness, the ground-truth relevance
    seen: np.ndarray  # (B, N) shown earlier this session
    clicked: np.ndarray  # (B, N) clicked earlier (this session or in the warm history)
    history: np.ndarray  # (B, H) most recent clicked items first, -1 padded
    turn: np.ndarray  # (B,) turns played
    refinements: np.ndarray  # (B,)
    total_clicks: np.ndarray  # (B,) satisfaction so far
    user: UserState  # the user model's state of each user

    @property
    def patience(self) -> np.ndarray:
        """(B,) the user model's count of turns each user is still willing to play."""
        return self.user.patience


def take_rows(state: Rows, rows: slice | np.ndarray) -> Rows:
    """Rows `rows` of a dataclass of arrays over users: views for a slice, copies for an
    index array."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(state):  # type: ignore[arg-type]
        value = getattr(state, field.name)
        values[field.name] = (
            take_rows(value, rows) if dataclasses.is_dataclass(value) else value[rows]
        )
    return type(state)(**values)


def put_rows(state: Rows, rows: np.ndarray, values: Rows) -> None:
    """Overwrite rows `rows` of a dataclass of arrays over users with `values`, in place."""
    for field in dataclasses.fields(state):  # type: ignore[arg-type]
        target, source = getattr(state, field.name), getattr(values, field.name)
        if dataclasses.is_dataclass(target):
            put_rows(target, rows, source)
        else:
            target[rows] = source


def in_history(candidates: np.ndarray, history: np.ndarray) -> np.ndarray:
    """(B, N): each candidate is among its user's `history` items (-1 matches none).

    A loop over the few history columns: cheaper than one (B, N, H) comparison.
    """
    found = np.zeros(candidates.shape, bool)
    for column in history.T:
        found |= candidates == column[:, None]
    return found
