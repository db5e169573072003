"""Option values reach the config the way a user means them, whoever spells them how.

`NaN` and `nan` are one value with one message; numpy integers are whole numbers; flags
and `--set` overrides are checked together, as the one world they describe; scorer
settings go to an agent with a scorer, or are refused.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from ifr_sim import ENV_ID
from ifr_sim.core.run_store import RunStore


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


def test_flags_and_overrides_are_checked_together(tmp_path: Path) -> None:
    """`--num-candidates 5` alone breaks the default slate of 10; with `--set slate_size=3`
    the world is valid, and is what runs."""
    result = ifr_sim("evaluate", "--agent", "popularity", "--episodes", "2",
                     "--num-candidates", "5", "--set", "slate_size=3",
                     "--runs", str(tmp_path), "--json", str(tmp_path / "out.json"))
    assert result.returncode == 0, result.stderr
    (run,) = RunStore(tmp_path).runs(kind="evaluate")
    assert (run.config["world"]["num_candidates"], run.config["world"]["slate_size"]) == (5, 3)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evaluate", "--agent", "bm25", "--set", "scorer.model_path=/models/x"],
         "agent 'bm25' has no language-model scorer"),
        (["simulate", "--set", "scorer.model_path=/models/x"],
         "`ifr-sim evaluate --agent zero-shot` (or --checkpoint) does"),
        (["evaluate", "--agent", "zero-shot", "--set", "scorer.modle_path=/models/x"],
         "unknown config key 'scorer.modle_path'"),
    ],
)
def test_scorer_settings_where_no_scorer_takes_them_are_errors(
    argv: list[str], message: str
) -> None:
    result = ifr_sim(*argv, "--episodes", "2")
    assert result.returncode == 2 and message in result.stderr
