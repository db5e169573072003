"""ScorerConfig: defaults, help strings, and validation errors that say how to fix."""

from __future__ import annotations

import dataclasses

import pytest

from ifr_sim.core.config import ConfigError, field_help, from_dict
from ifr_sim.core.scorer import ScorerConfig


def test_defaults_are_the_zero_shot_minilm_bi_encoder() -> None:
    config = ScorerConfig()
    assert (config.backend, config.model_path, config.trainable) == ("bi-encoder", None, "head")


def test_every_field_has_help() -> None:
    helps = field_help(ScorerConfig)
    assert set(helps) == {f.name for f in dataclasses.fields(ScorerConfig)}
    assert all(helps.values())


def test_loads_from_plain_data() -> None:
    config = from_dict(ScorerConfig, {"backend": "cross-encoder", "lora_alpha": 32})
    assert config.backend == "cross-encoder" and config.lora_alpha == 32.0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"backend": "t5"}, r"scorer\.backend='t5' is invalid: use one of"),
        ({"trainable": "all"}, r"scorer\.trainable='all' is invalid: use one of"),
        ({"backend": "causal-lm"}, r"scorer\.model_path=None.*needs the directory of a decoder"),
        ({"lora_rank": 0}, r"scorer\.lora_rank=0 is invalid: use 1\.\.1024"),
        ({"lora_alpha": 0.0}, r"scorer\.lora_alpha=0\.0 is invalid: use a number > 0"),
        ({"history_weight": 1.5}, r"scorer\.history_weight=1\.5 is invalid: use a share in"),
        ({"lexical_buckets": 8}, r"scorer\.lexical_buckets=8 is invalid: use 0 \(off\) or 16"),
        ({"max_length": 4}, r"scorer\.max_length=4 is invalid: use 8\.\.8192"),
        ({"batch_size": 0}, r"scorer\.batch_size=0 is invalid: use 1 or more"),
        ({"device": "tpu"}, r"scorer\.device='tpu' is invalid: use 'auto', 'cpu' or 'cuda'"),
    ],
)
def test_invalid_values_say_how_to_fix(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ScorerConfig(**overrides)  # type: ignore[arg-type]
