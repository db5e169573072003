"""Same seed, same episodes: rollouts recorded before a refactor replay bit for bit.

`tests/fixtures/episodes.npz` was recorded with `tests/episode_recording.py` when the
env id became `InstructionRec-v1` (users who weigh familiarity; taste weight 0.05); the
default user model must reproduce every observation, reward, end flag and info of it.
A deliberate change of the dynamics bumps the env id's version and re-records.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from episode_recording import record_rollouts

from ifr_sim.envs.registration import ENV_ID

FIXTURE = Path(__file__).parent / "fixtures" / "episodes.npz"


@pytest.fixture(scope="module")
def replayed() -> dict[str, np.ndarray]:
    return record_rollouts()


def test_the_replay_records_the_same_quantities(replayed: dict[str, np.ndarray]) -> None:
    with np.load(FIXTURE) as recorded:
        assert sorted(replayed) == sorted(recorded.files)


def test_every_recorded_quantity_is_replayed_exactly(replayed: dict[str, np.ndarray]) -> None:
    with np.load(FIXTURE) as recorded:
        for key in recorded.files:
            np.testing.assert_array_equal(replayed[key], recorded[key], err_msg=key)


@pytest.mark.filterwarnings("ignore:.*out of date:DeprecationWarning")
def test_the_previous_env_id_points_to_the_current_one() -> None:
    """Dynamics that changed under a new version: asking for the old one says which."""
    with pytest.raises(gym.error.DeprecatedEnv, match="InstructionRec-v1"):
        gym.make(ENV_ID.replace("-v1", "-v0"))
