"""The factory that builds a scorer from its typed configuration."""

from __future__ import annotations

import torch

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer.base import Scorer, resolve_device
from ifr_sim.core.scorer.bi_encoder import BiEncoderScorer
from ifr_sim.core.scorer.causal_lm import CausalLMScorer
from ifr_sim.core.scorer.config import ScorerConfig
from ifr_sim.core.scorer.cross_encoder import CrossEncoderScorer
from ifr_sim.core.scorer.embedding_store import embedding_file
from ifr_sim.core.scorer.loading import Backend, load_model

_SCORERS: dict[Backend, type[Scorer]] = {
    "bi-encoder": BiEncoderScorer,
    "cross-encoder": CrossEncoderScorer,
    "causal-lm": CausalLMScorer,
}


def make_scorer(config: ScorerConfig, catalog: Catalog) -> Scorer:
    """Load `config.model_path` and build the configured backend over `catalog`.

    A frozen encoder on a GPU is loaded in bf16 (nothing trains it, so nothing is lost);
    trainable encoders keep float32 weights and run under bf16 autocast.

    Raises:
        ModelLoadError: the model directory does not fit the backend.
    """
    frozen_on_gpu = resolve_device(config.device).type == "cuda" and config.trainable == "head"
    loaded = load_model(
        config.model_path,
        config.backend,
        dtype=torch.bfloat16 if frozen_on_gpu else torch.float32,
    )
    return _SCORERS[config.backend](
        catalog,
        loaded.model,
        loaded.tokenizer,
        config,
        embedding_file=embedding_file(
            loaded.directory, config.backend, catalog.texts, config.max_length
        ),
    )
