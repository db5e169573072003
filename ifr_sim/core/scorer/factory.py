"""The factory that builds a scorer from its typed configuration."""

from __future__ import annotations

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer.base import Scorer, resolve_device
from ifr_sim.core.scorer.bi_encoder import BiEncoderScorer
from ifr_sim.core.scorer.causal_lm import CausalLMScorer
from ifr_sim.core.scorer.config import Backend, ScorerConfig
from ifr_sim.core.scorer.cross_encoder import CrossEncoderScorer
from ifr_sim.core.scorer.embedding_store import embedding_file
from ifr_sim.core.scorer.loading import load_model
from ifr_sim.core.scorer.precision import set_cpu_threads, uses_bf16

_SCORERS: dict[Backend, type[Scorer]] = {
    "bi-encoder": BiEncoderScorer,
    "cross-encoder": CrossEncoderScorer,
    "causal-lm": CausalLMScorer,
}


def make_scorer(config: ScorerConfig, catalog: Catalog) -> Scorer:
    """Load `config.model_path` and build the configured backend over `catalog`.

    On CPU this also sets torch's thread count for the process (`config.cpu_threads`,
    see `precision.py`).

    Raises:
        ModelLoadError: the model directory does not fit the backend.
    """
    device = resolve_device(config.device)
    if device.type == "cpu":
        set_cpu_threads(config.cpu_threads)
    loaded = load_model(config.model_path, config.backend)
    bf16 = uses_bf16(config.precision, device, loaded.model.config.hidden_size)
    return _SCORERS[config.backend](
        catalog,
        loaded.model,
        loaded.tokenizer,
        config,
        embedding_file=embedding_file(
            loaded.directory,
            config.backend,
            catalog.texts,
            config.max_length,
            "bf16" if bf16 else "fp32",
        ),
    )
