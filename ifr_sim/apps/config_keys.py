"""`ifr-sim config`: every world and training key, with its value in a preset and its help.

The values come from the config dataclasses and the presets themselves (their one
declaration), written as `--set KEY=VALUE` and config files take them (TOML values).
"""

from __future__ import annotations

from typing import Any

from ifr_sim.core.config import field_help, leaf_values
from ifr_sim.envs.config import preset_config


def config_lines(world_preset: str, train_preset_name: str) -> list[str]:
    """The listing: world keys in `world_preset`, then training keys in `train_preset_name`."""
    # Imported here: the training config pulls in the scorer (torch, transformers).
    from ifr_sim.agents.training.train_config import TrainConfig, train_preset

    world = preset_config(world_preset)
    training = train_preset(train_preset_name)
    return [
        f"World keys, with their values in the {world_preset!r} world preset "
        "(--set KEY=VALUE on simulate, evaluate and demo; a world config file):",
        *_rows(leaf_values(world), field_help(type(world))),
        "",
        f"Training keys, with their values in the {train_preset_name!r} training preset "
        "(ifr-sim train --set KEY=VALUE; a training config file). world.KEY sets any world "
        "key above:",
        *_rows(leaf_values(training), field_help(TrainConfig), skip="world."),
    ]


def _rows(values: dict[str, Any], helps: dict[str, str], skip: str = "") -> list[str]:
    return [f"  {key:<32} {toml_value(value):<14} {helps[key]}"
            for key, value in values.items() if not (skip and key.startswith(skip))]


def toml_value(value: Any) -> str:
    """A value as `--set` and TOML files write it; an unset one as `(unset)`.

    >>> toml_value("dcm"), toml_value(True), toml_value((2.0, 5.0)), toml_value(None)
    ("'dcm'", 'true', '[2.0, 5.0]', '(unset)')
    """
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return repr(value)
