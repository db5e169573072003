"""Observation and action spaces shared by the single and the vector environment."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from ifr_sim.envs.config import WorldConfig

MAX_TURN = 10_000
"""Upper bound of the `turn` observation (sessions are far shorter in practice)."""


def observation_space(config: WorldConfig, num_items: int) -> spaces.Dict:
    """The agent's view of one user: SB3-compatible (no Text space, no nesting)."""
    n, h = config.num_candidates, config.history_length
    return spaces.Dict(
        {
            "instruction": spaces.Box(0, 255, (config.instruction_bytes,), np.uint8),
            "candidates": spaces.Box(0, num_items - 1, (n,), np.int64),
            "history": spaces.Box(-1, num_items - 1, (h,), np.int64),
            "shown": spaces.MultiBinary(n),
            "turn": spaces.Box(0, MAX_TURN, (1,), np.int64),
        }
    )


def action_space(config: WorldConfig) -> spaces.MultiDiscrete:
    """K candidate positions, best first."""
    return spaces.MultiDiscrete(np.full(config.slate_size, config.num_candidates, np.int64))


def decode_instruction(instruction: np.ndarray) -> str:
    """The instruction text from its zero-padded UTF-8 bytes (any float or int dtype)."""
    data = np.asarray(instruction).astype(np.uint8).tobytes()
    return data.rstrip(b"\x00").decode("utf-8", errors="replace")


def check_slates(action: object, shape: tuple[int, ...], num_candidates: int) -> np.ndarray:
    """Validate an action of the expected `shape` and return it as int64 (B, K).

    Accepts what `MultiDiscrete` holds: integers in [0, N) (a list of them too); a repeated
    position is an empty slot, not an error. Floats are refused, as the space refuses them,
    and so are booleans, which the space would take for 0 and 1. The common case costs a
    dtype test and a min/max; the reason for a refusal is worked out only then.

    Raises:
        ValueError: wrong shape, a dtype that is not an integer, or an index outside [0, N).
    """
    try:
        slates = np.asarray(action)
    except ValueError as error:  # ragged nested lists
        raise ValueError(
            f"action must be an array of shape {shape} (candidate positions, best first): "
            f"{error}"
        ) from None
    if slates.shape != shape:
        raise ValueError(
            f"action must have shape {shape} (candidate positions, best first), "
            f"got shape {slates.shape}"
        )
    if slates.dtype.kind not in "iu":  # np.issubdtype(.., np.integer), minus its overhead
        raise ValueError(f"action must hold integer candidate positions, {_dtype_problem(slates)}")
    if slates.min() < 0 or slates.max() >= num_candidates:
        bad = (slates < 0) | (slates >= num_candidates)
        raise ValueError(
            f"action holds candidate positions {slates[bad][:5].tolist()} outside "
            f"[0, {num_candidates - 1}] (num_candidates={num_candidates})"
        )
    return slates.astype(np.int64, copy=False).reshape(-1, shape[-1])


def _dtype_problem(slates: np.ndarray) -> str:
    """What is wrong with an action's dtype, and the fix when there is a safe one."""
    if slates.dtype.kind == "f":
        whole = np.isfinite(slates) & (slates == np.round(slates))
        if whole.all():
            return f"got dtype {slates.dtype}; cast with .astype(np.int64)"
        return f"got values that are not whole numbers: {slates[~whole][:5].tolist()}"
    return f"got dtype {slates.dtype}"
