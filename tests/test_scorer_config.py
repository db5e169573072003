"""ScorerConfig: defaults, help strings, validation errors that say how to fix, and
scorers that take it whole."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from pathlib import Path

import pytest

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.config import ConfigError, field_help, from_dict
from ifr_sim.core.scorer import (
    BiEncoderScorer,
    CausalLMScorer,
    CrossEncoderScorer,
    Scorer,
    ScorerConfig,
    make_scorer,
)

pytest_plugins = ("scorer_fixtures",)


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
        ({"precision": "fp16"}, r"scorer\.precision='fp16' is invalid: use one of"),
        ({"cpu_threads": -1}, r"scorer\.cpu_threads=-1 is invalid: use 0 \(torch's default\)"),
    ],
)
def test_invalid_values_say_how_to_fix(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ScorerConfig(**overrides)  # type: ignore[arg-type]


def test_scorers_take_the_config_whole_and_declare_no_default_of_their_own() -> None:
    parameters = inspect.signature(Scorer.__init__).parameters
    defaulted = [name for name, p in parameters.items() if p.default is not p.empty]
    assert defaulted == ["embedding_file"]  # a path, not a setting: nothing to drift
    for backend in (BiEncoderScorer, CrossEncoderScorer, CausalLMScorer):
        assert backend.__init__ is Scorer.__init__


def test_a_built_scorer_uses_the_values_of_its_config(
    config_for: Callable[..., ScorerConfig], tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    config = config_for(tiny_bert_dir, history_weight=0.3, max_length=16, lexical_buckets=0)
    scorer = make_scorer(config, tiny_catalog)
    assert scorer.config is config
    assert (scorer.history_weight, scorer.max_length, scorer.lexical) == (0.3, 16, None)
    assert scorer.tokenize(["word " * 40])["input_ids"].shape[1] == 16
