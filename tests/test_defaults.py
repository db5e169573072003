"""Each default is declared once, in a config dataclass, and that is the value that runs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from ifr_sim.agents.policy.scorer_policy import ScorerFeaturesExtractor, ScorerPolicy
from ifr_sim.agents.training.train_config import (
    DEFAULT_TRAIN_PRESET,
    TRAIN_PRESETS,
    TrainConfig,
    load_train_config,
    train_preset,
)
from ifr_sim.agents.training.trainer import build_ppo
from ifr_sim.core.config import field_help, with_overrides
from ifr_sim.envs.config import DEFAULT_PRESET, load_world_config, preset_config

pytest_plugins = ("scorer_fixtures", "training_fixtures")

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("agents", "ifr_sim/apps", "envs/config.py")
"""Code that builds parts from the configs: none of it may default a config key again."""


def _config_keys() -> set[str]:
    return {key.split(".")[-1] for key in field_help(TrainConfig)}


def _redeclared_defaults() -> list[str]:
    keys, found = _config_keys(), []
    paths = [p for c in CHECKED for p in ([ROOT / c] if c.endswith(".py") else
                                          sorted((ROOT / c).rglob("*.py")))]
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            args = node.args
            positional = args.posonlyargs + args.args
            defaulted = positional[len(positional) - len(args.defaults):]
            pairs = [*zip(defaulted, args.defaults, strict=True),
                     *((a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                       if d)]
            found += [f"{path.relative_to(ROOT)}:{node.lineno} {node.name}({a.arg}="
                      f"{ast.unparse(d)})" for a, d in pairs
                      if a.arg in keys and ast.unparse(d) != "None"]  # None: "not given"
    return found


def test_no_function_defaults_a_config_key_again() -> None:
    assert _redeclared_defaults() == []


def test_the_policy_takes_its_knobs_from_the_training_config(tiny_training: TrainConfig) -> None:
    # The policy once defaulted encoder_lr_scale to 0.1 while the config said 0.05; the
    # config's value is the one training used, and now the only one there is.
    policy = build_ppo(tiny_training).policy
    assert isinstance(policy, ScorerPolicy)
    assert policy.encoder_lr_scale == tiny_training.ppo.encoder_lr_scale == 0.05
    changed = with_overrides(tiny_training, {"ppo.encoder_lr_scale": 0.2,
                                             "ppo.shown_penalty": 3.0,
                                             "ppo.clicked_penalty": 7.0})
    policy = build_ppo(changed).policy
    extractor = policy.features_extractor
    assert isinstance(extractor, ScorerFeaturesExtractor)
    assert policy.encoder_lr_scale == 0.2
    assert (extractor.shown_penalty.item(), extractor.clicked_penalty.item()) == (3.0, 7.0)


def test_a_file_without_a_preset_starts_from_the_default_ones(tmp_path: Path) -> None:
    train_file, world_file = tmp_path / "train.toml", tmp_path / "world.toml"
    train_file.write_text("seed = 3\n")
    world_file.write_text("slate_size = 5\n")
    assert load_train_config(train_file) == with_overrides(
        train_preset(DEFAULT_TRAIN_PRESET), {"seed": 3})
    assert load_world_config(world_file) == with_overrides(
        preset_config(DEFAULT_PRESET), {"slate_size": 5})


def test_train_help_names_the_default_preset_and_every_preset() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "ifr_sim.apps.cli", "train", "--help"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert f"{DEFAULT_TRAIN_PRESET} (default)" in " ".join(help_text.split())
    assert all(name in help_text for name in TRAIN_PRESETS)
