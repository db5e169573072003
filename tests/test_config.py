"""Typed world config: files, overrides, and errors that say how to fix the value."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest

import ifr_sim
from ifr_sim.core.config import ConfigError, field_help, with_overrides
from ifr_sim.envs.config import (
    WorldConfig,
    load_world_config,
    preset_config,
    world_config_from_kwargs,
)


def test_presets() -> None:
    assert preset_config("movielens").catalog.source == "movielens"
    shop = preset_config("synthetic-shop")
    assert shop.catalog.source == "synthetic" and shop.catalog.size == 10_000
    with pytest.raises(ConfigError, match="choose one of"):
        preset_config("nope")


def test_toml_and_yaml_files(tmp_path: Path) -> None:
    toml = tmp_path / "world.toml"
    toml.write_text('preset = "synthetic-shop"\nslate_size = 5\n[clicks]\nmodel = "pbm"\n')
    yaml = tmp_path / "world.yaml"
    yaml.write_text("slate_size: 5\nclicks:\n  model: pbm\nusers:\n  patience: [1.0, 2.0]\n")
    from_toml, from_yaml = load_world_config(toml), load_world_config(yaml)
    assert from_toml.catalog.source == "synthetic" and from_toml.clicks.model == "pbm"
    assert from_yaml.slate_size == 5 and from_yaml.users.patience == (1.0, 2.0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slate_sise": 3}, "unknown config key 'slate_sise'"),
        ({"clicks.modle": "pbm"}, "unknown config key 'clicks.modle'"),
        ({"slate_size": "ten"}, "slate_size must be a whole number"),
        ({"slate_size": 200}, r"slate_size=200 is invalid: use 1..num_candidates \(100\)"),
        ({"num_candidates": -5}, "num_candidates=-5 is invalid"),
        (
            {"users.refine_probability": 1.5},
            r"users.refine_probability=1.5 is invalid: use a probability in \[0, 1\]",
        ),
        ({"clicks.model": "ubm"}, r"choose one of \['cascade', 'pbm', 'dcm', 'mnl'\]"),
        ({"users.patience": [3.0, 1.0]}, "low <= high"),
    ],
)
def test_bad_values_name_key_value_and_what_is_allowed(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        with_overrides(WorldConfig(), overrides)


def test_cli_style_overrides_parse_values() -> None:
    config = with_overrides(WorldConfig(), ["clicks.model=pbm", "slate_size=4", "users.drift=0.0"])
    assert (config.clicks.model, config.slate_size, config.users.drift) == ("pbm", 4, 0.0)
    with pytest.raises(ConfigError, match=r"section\.key=value"):
        with_overrides(WorldConfig(), ["slate_size"])


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_world_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("slate_size = = 3")
    with pytest.raises(ConfigError, match="not valid"):
        load_world_config(broken)
    wrong = tmp_path / "world.json"
    wrong.write_text("{}")
    with pytest.raises(ConfigError, match="toml"):
        load_world_config(wrong)


def test_make_kwargs_precedence() -> None:
    config = world_config_from_kwargs("synthetic-shop", None, slate_size=3, click_model="cascade")
    assert (config.catalog.source, config.slate_size, config.clicks.model) == (
        "synthetic", 3, "cascade")
    assert world_config_from_kwargs(catalog="synthetic", catalog_size=500).catalog.size == 500


def test_every_field_has_help() -> None:
    helps = field_help(WorldConfig)
    assert "clicks.model" in helps and "users.patience" in helps
    assert all(helps.values()), [k for k, v in helps.items() if not v]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"attractiveness.bias": float("nan")}, "attractiveness.bias must be a finite number"),
        ({"reward.click": float("inf")}, "reward.click must be a finite number"),
        ({"users.patience": [1.0, float("inf")]}, r"users.patience\[1\] must be a finite"),
        ({"history_length": 5000}, r"history_length=5000 is invalid: use 1..1000"),
        ({"instruction_bytes": 10**6}, r"use 16..4096"),
        ({"intent_bank_size": 10**9}, r"use 1..100,000"),
        ({"users.taste_dim": 1000}, r"use 1..256"),
        ({"catalog.source": "items.xlsx"}, r"catalog.source='items.xlsx'.*\.csv, \.jsonl"),
        ({"catalog.source": ""}, "catalog.source=''"),
    ],
)
def test_non_finite_numbers_and_sizes_beyond_the_bounds_are_refused(
    overrides: dict, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        with_overrides(WorldConfig(), overrides)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("list.yaml", "world: [1, 2]\n", "'world' must be a table of keys"),
        ("number-keys.yaml", "1: 2\nfoo: 3\n", "unknown config key '1'"),
        ("preset.toml", "preset = [1]\n", r"unknown preset \[1\]"),
    ],
)
def test_oddly_shaped_files_are_config_errors(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_world_config(path)


def test_config_argument_of_another_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="pass a WorldConfig, a TOML/YAML file path or None"):
        world_config_from_kwargs(config=123)  # type: ignore[arg-type]


@pytest.mark.parametrize(("share", "split"), [(0.0002, "heldout"), (0.9998, "train")])
def test_a_split_without_users_is_a_config_error(share: float, split: str) -> None:
    config = with_overrides(WorldConfig(), {"users.heldout_share": share, "split": split,
                                            "users.taste_dim": 4})
    with pytest.raises(ConfigError, match=f"leaves no '{split}' users among the 943 profiles"):
        gym.make(ifr_sim.ENV_ID, config=config)
