"""What agents that score candidates share: reading the observation, ranking into a slate."""

from __future__ import annotations

import numpy as np

from ifr_sim.agents.base import Observation
from ifr_sim.envs.spaces import decode_instruction


def instructions_of(observation: Observation) -> list[str]:
    """Each user's instruction text, decoded from the zero-padded bytes."""
    return [decode_instruction(row) for row in observation["instruction"]]


def candidate_items(observation: Observation) -> np.ndarray:
    """(B, N) catalog indices of the candidates, as int64 (SB3 hands them over as floats)."""
    return np.asarray(observation["candidates"]).astype(np.int64)


def rank_candidates(scores: np.ndarray, shown: np.ndarray, k: int) -> np.ndarray:
    """(B, k) positions of the k best candidates per row, best first.

    Candidates shown in an earlier turn go after every unshown one, whatever their score,
    so a session does not see the same slate twice while fresh candidates remain. Among
    equals the lower position comes first, so ranking is deterministic.

    Args:
        scores: (B, N), higher is better.
        shown: (B, N), nonzero for candidates already shown this session.
        k: slate size, at most N.

    >>> rank_candidates(np.array([[0.1, 0.9, 0.5]]), np.array([[0, 1, 0]]), 2)
    array([[2, 0]])
    """
    # lexsort orders by its last key first: unshown before shown, then by descending score.
    order = np.lexsort((-np.asarray(scores), np.asarray(shown) != 0), axis=-1)
    return order[:, :k]
