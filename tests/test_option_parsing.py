"""Option values reach the config the way a user means them, whoever spells them how.

`NaN` and `nan` are one value with one message; numpy integers are whole numbers; flags
and `--set` overrides are checked together, as the one world they describe.
"""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

from ifr_sim import ENV_ID


def ifr_sim(*argv: str) -> subprocess.CompletedProcess[str]:
    """The `ifr-sim` command line in a fresh process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "ifr_sim.apps.cli", *argv],
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("spelling", ["nan", "NaN", "NAN", "+nan"])
def test_every_spelling_of_nan_gets_the_same_message(spelling: str) -> None:
    result = ifr_sim("simulate", "--episodes", "1", "--set", f"clicks.pbm_eta={spelling}")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("clicks.pbm_eta must be a finite number, got nan")


@pytest.mark.parametrize("spelling", ["inf", "Inf", "Infinity", "-INF"])
def test_every_spelling_of_infinity_is_refused_as_not_finite(spelling: str) -> None:
    result = ifr_sim("simulate", "--episodes", "1", "--set", f"reward.click={spelling}")
    assert result.returncode == 2 and "reward.click must be a finite number" in result.stderr


def test_numpy_integers_are_whole_numbers_to_gymnasium_make() -> None:
    env = gym.make(ENV_ID, num_candidates=np.int64(50), slate_size=np.int32(5))
    observation, _ = env.reset(seed=0)
    assert observation["candidates"].shape == (50,)
    assert env.action_space.shape == (5,)


def test_numpy_floats_are_numbers_and_numpy_booleans_are_not_whole_numbers() -> None:
    from ifr_sim.core.config import ConfigError, with_overrides
    from ifr_sim.envs.config import WorldConfig

    config = with_overrides(WorldConfig(), {"clicks.pbm_eta": np.float32(0.5)})
    assert config.clicks.pbm_eta == 0.5 and type(config.clicks.pbm_eta) is float
    with pytest.raises(ConfigError, match="num_candidates must be a whole number"):
        with_overrides(WorldConfig(), {"num_candidates": np.bool_(True)})
