"""`ifr-sim config` lists every world and training key; wrong combinations are refused."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ifr_sim.agents.training.train_config import (
    DEFAULT_TRAIN_PRESET,
    TrainConfig,
    load_train_config,
    train_preset,
)
from ifr_sim.apps.cli import main
from ifr_sim.apps.config_keys import toml_value
from ifr_sim.core.config import ConfigError, field_help, leaf_values, with_overrides
from ifr_sim.envs.config import DEFAULT_PRESET, WorldConfig, preset_config

ROOT = Path(__file__).resolve().parents[1]


def _sections(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """Key → the rest of its row, for the world and the training section."""
    world, training = text.split("\nTraining keys")
    def rows(section: str) -> dict[str, str]:
        return {line.split()[0]: line.strip() for line in section.splitlines()
                if line.startswith("  ")}
    return rows(world), rows(training)


def _check_rows(rows: dict[str, str], config: object, helps: dict[str, str],
                skip: str = "") -> None:
    values = {k: v for k, v in leaf_values(config).items() if not (skip and k.startswith(skip))}
    assert set(rows) == set(values)
    for key, value in values.items():
        assert rows[key].split(None, 1)[1].startswith(toml_value(value)), key
        assert rows[key].endswith(helps[key]), key


def test_config_lists_every_world_and_training_key_with_its_default(capsys) -> None:
    assert main(["config"]) == 0
    world, training = _sections(capsys.readouterr().out)
    _check_rows(world, preset_config(DEFAULT_PRESET), field_help(WorldConfig))
    _check_rows(training, train_preset(DEFAULT_TRAIN_PRESET), field_help(TrainConfig),
                skip="world.")
    assert world["clicks.model"].split()[1] == "'dcm'"
    assert training["ppo.encoder_lr_scale"].split()[1] == "0.05"  # the config's, the live one
    assert training["total_steps"].split()[1] == "8000"  # the default (quick) preset's


def test_config_shows_the_values_of_the_presets_asked_for() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ifr_sim.apps.cli", "config", "--world-preset",
         "synthetic-shop", "--train-preset", "standard"],
        capture_output=True, text=True, cwd=ROOT, check=True)
    world, training = _sections(done.stdout)
    assert world["catalog.source"].split()[1] == "'synthetic'"
    assert training["total_steps"].split()[1] == "150000"
    assert training["ppo.final_learning_rate"].split()[1] == "0.0005"
    assert training["tensorboard_log"].split()[1] == "(unset)"


@pytest.mark.parametrize(("overrides", "message"), [
    ({"world.clicks.model": "mnl"}, "per-position credit is biased under "
                                    "world.clicks.model='mnl'"),
    ({"world.split": "heldout"}, "training always learns from the train split"),
    ({"ppo.batch_size": 100}, "use a divisor of n_envs * n_steps (256), e.g. 32, 64, 128"),
])
def test_wrong_combinations_are_refused_with_the_fix(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        with_overrides(train_preset(DEFAULT_TRAIN_PRESET), overrides)


def test_the_fixed_combination_is_accepted() -> None:
    config = with_overrides(train_preset(DEFAULT_TRAIN_PRESET),
                            {"world.clicks.model": "mnl", "ppo.credit": "slate"})
    assert (config.world.clicks.model, config.ppo.credit) == ("mnl", "slate")


def test_train_refuses_position_credit_with_mnl_clicks_before_training(
    tmp_path: Path, capsys
) -> None:
    path = tmp_path / "mnl.toml"
    path.write_text("[world.clicks]\nmodel = 'mnl'\n")
    with pytest.raises(ConfigError, match=re.escape("set ppo.credit='slate'")):
        load_train_config(path)
    code = main(["train", "--config", str(path), "--run-dir", str(tmp_path / "run"),
                 "--runs", str(tmp_path / "runs")])
    assert code == 2
    assert "set ppo.credit='slate'" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
