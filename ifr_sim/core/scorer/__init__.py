"""The language-model scorer: instruction + candidates -> a score per candidate.

Names are imported from their modules on first use (PEP 562): `ScorerConfig`, and what
only needs it (a training config, the command line checking its options), then loads
without torch and transformers, which take seconds to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ifr_sim.core.scorer.base import Scorer
    from ifr_sim.core.scorer.bi_encoder import BiEncoderScorer
    from ifr_sim.core.scorer.causal_lm import CausalLMScorer
    from ifr_sim.core.scorer.config import Backend, ScorerConfig, Trainable
    from ifr_sim.core.scorer.cross_encoder import CrossEncoderScorer
    from ifr_sim.core.scorer.factory import make_scorer
    from ifr_sim.core.scorer.loading import ModelLoadError, default_model_path, load_model

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

_MODULES = {
    "Backend": "config",
    "BiEncoderScorer": "bi_encoder",
    "CausalLMScorer": "causal_lm",
    "CrossEncoderScorer": "cross_encoder",
    "ModelLoadError": "loading",
    "Scorer": "base",
    "ScorerConfig": "config",
    "Trainable": "config",
    "default_model_path": "loading",
    "load_model": "loading",
    "make_scorer": "factory",
}
"""The module of this package each exported name lives in."""


def __getattr__(name: str) -> Any:
    """Import an exported name's module on first access, and keep the name here."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
