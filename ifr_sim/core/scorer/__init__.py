"""The language-model scorer: instruction + candidates -> a score per candidate."""

from ifr_sim.core.scorer.base import Scorer
from ifr_sim.core.scorer.bi_encoder import BiEncoderScorer
from ifr_sim.core.scorer.causal_lm import CausalLMScorer
from ifr_sim.core.scorer.config import ScorerConfig, Trainable
from ifr_sim.core.scorer.cross_encoder import CrossEncoderScorer
from ifr_sim.core.scorer.factory import make_scorer
from ifr_sim.core.scorer.loading import Backend, ModelLoadError, default_model_path, load_model

__all__ = [
    "Backend",
    "BiEncoderScorer",
    "CausalLMScorer",
    "CrossEncoderScorer",
    "ModelLoadError",
    "Scorer",
    "ScorerConfig",
    "Trainable",
    "default_model_path",
    "load_model",
    "make_scorer",
]
