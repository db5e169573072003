"""The scorer interface: an `nn.Module` that ranks catalog items for an instruction.

A scorer does two things, kept apart so that PPO's value head and actor can share them:
`encode_query` turns instructions (plus each user's clicked items) into one vector per
user, and `score` turns that vector, the instructions and candidate item indices into one
logit per candidate. `forward` chains the two.

The backends differ only in how text becomes relevance; what they share lives here: the
trainable mode (frozen encoder, LoRA, LoRA for instructions only, or everything), device
and precision, the caches
of item and instruction embeddings, history blending, and the parameter groups a trainer
needs to give the encoder and the heads separate learning rates.

Caches. What the encoder computes (item and instruction embeddings, reference features)
lives in an `EncodingCache` that stays valid until any encoder weight changes
(`encoding_cache.py`). Instruction embeddings are only served from it when no gradient
to the encoder is wanted (a frozen encoder, or `torch.no_grad()`); a trainable encoder in
grad mode always recomputes them. Item embeddings are always served detached: with a
trainable encoder the gradient reaches the encoder through the query side only, and the
item side follows after each step, a re-encoding of the whole catalog. The asymmetric
mode "query-lora" avoids that: items are encoded without the LoRA adapters, by the frozen
encoder, so their embeddings never go stale and an update re-encodes only instructions.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F
from transformers import BatchEncoding, PreTrainedModel, PreTrainedTokenizerBase

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer.config import DeviceChoice, ScorerConfig
from ifr_sim.core.scorer.embedding_store import load_embeddings, save_embeddings
from ifr_sim.core.scorer.encoding_cache import EncodingCache, WeightsKey
from ifr_sim.core.scorer.heads import FeatureHead, descriptive_columns, item_features
from ifr_sim.core.scorer.layout import passes
from ifr_sim.core.scorer.lexical import HashedNgramBag
from ifr_sim.core.scorer.lora import add_lora
from ifr_sim.core.scorer.numbers import SIZE as NUMBER_FEATURES
from ifr_sim.core.scorer.numbers import NumberFeatures
from ifr_sim.core.scorer.pooling import masked_mean
from ifr_sim.core.scorer.precision import autocast, uses_bf16
from ifr_sim.core.scorer.reference import ReferenceFeatures

LEXICAL_DIM = 32
"""Size of each hash bucket's learned vector in the instruction's lexical features."""


def resolve_device(device: DeviceChoice | torch.device) -> torch.device:
    """CUDA when asked for or, with "auto", when available; CPU otherwise."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but torch sees no GPU; use 'auto' or 'cpu'")
    return resolved


class Scorer(nn.Module, abc.ABC):
    """Scores catalog items for natural-language instructions.

    Args:
        catalog: the items; `catalog.texts` is what the encoder reads.
        model: the loaded transformer (see `ifr_sim.core.scorer.loading.load_model`).
        tokenizer: its tokenizer, right-padding.
        config: trainable mode, LoRA shape, history weight, features, lengths, device,
            precision (see `ScorerConfig`; its `backend` and `model_path` were used to
            load `model`, in float32). In bf16 (`precision.py`) a frozen encoder is
            converted to bf16 here; heads stay float32.
        embedding_file: where item embeddings of the weights as loaded are cached on
            disk (`embedding_store.embedding_file`), or None for no disk cache.

    Backends differ in two constants: `initial_scale`, the starting multiplier of their
    relevance (20, the temperature sentence-transformers trains cosine similarities
    with, for cosines; 1 for logits and log-probabilities), and `pair_dim`, the size of
    the per-(instruction, item) encoding their head reads (0 for none).
    """

    item_features: torch.Tensor  # (n, C + 2) buffer, see `heads.item_features`
    # Extra keyword arguments of the encoder call that embeds a text (see CausalLMScorer).
    embed_kwargs: ClassVar[Mapping[str, Any]] = {}

    def __init__(
        self,
        catalog: Catalog,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        config: ScorerConfig,
        embedding_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.catalog = catalog
        self.item_texts: tuple[str, ...] = catalog.texts
        self.tokenizer = tokenizer
        self.trainable = config.trainable
        self.history_weight = config.history_weight
        self.max_length = config.max_length
        self.batch_size = config.batch_size
        self.device = resolve_device(config.device)
        self.query_dim: int = model.config.hidden_size
        self.bf16 = uses_bf16(config.precision, self.device, self.query_dim)
        if self.bf16 and config.trainable == "head":
            nn.Module.to(model, torch.bfloat16)  # nothing trains it: stored as it computes
        model.requires_grad_(config.trainable == "full")
        self.encoder: nn.Module = (
            add_lora(model, config.lora_rank, config.lora_alpha)
            if config.trainable in ("lora", "query-lora")
            else model
        )
        self.log_scale = nn.Parameter(torch.tensor(math.log(self.initial_scale(model))))
        features = item_features(catalog)
        buckets = config.lexical_buckets
        self.lexical = (
            HashedNgramBag(tokenizer, buckets, LEXICAL_DIM, config.max_length) if buckets else None
        )
        self.reference_features = config.reference_features
        self.numbers = (
            NumberFeatures(catalog)
            if config.number_features and NumberFeatures.applies(catalog)
            else None
        )
        self.head = FeatureHead(
            self.query_dim,
            features.shape[1],
            self.pair_dim(model),
            lexical_dim=LEXICAL_DIM if buckets else 0,
            relation_dim=(
                ReferenceFeatures.size(descriptive_columns(catalog))
                if config.reference_features
                else 0
            )
            + (NUMBER_FEATURES if self.numbers is not None else 0),
        )
        self.register_buffer("item_features", features, persistent=False)
        self._encoder_weights: list[nn.Parameter] | None = None
        self._item_weights: list[nn.Parameter] | None = None
        self._cache = EncodingCache(self.query_dim)
        self.to(self.device)
        self.encoder.eval()
        self._embedding_file = embedding_file
        self._pristine_key = self._item_weights_key()

    @staticmethod
    def initial_scale(model: PreTrainedModel) -> float:
        """The relevance multiplier's starting value for `model` (see the class docstring)."""
        return 20.0

    @staticmethod
    def pair_dim(model: PreTrainedModel) -> int:
        """Size of the per-(instruction, item) encoding the head reads; 0 for none."""
        return 0

    @property
    def scale(self) -> torch.Tensor:
        """The learned positive multiplier of the backend's relevance."""
        return self.log_scale.exp()

    @abc.abstractmethod
    def score(
        self, query: torch.Tensor, instructions: Sequence[str], candidates: torch.Tensor
    ) -> torch.Tensor:
        """Logits (B, N) for candidate item indices (B, N), given `encode_query`'s output."""

    def head_scores(
        self,
        query: torch.Tensor,
        instructions: Sequence[str],
        candidates: torch.Tensor,
        pair: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The learned head's logits (B, N): what every backend adds to its text relevance."""
        lexical = self.lexical(instructions) if self.lexical is not None else None
        relation = self._relation_features(instructions, candidates)
        return self.head(query, self.item_features, candidates, pair, lexical, relation)

    def _relation_features(
        self, instructions: Sequence[str], candidates: torch.Tensor
    ) -> torch.Tensor | None:
        """Each candidate against the item the instruction names and the numbers it states."""
        parts = [self._reference_features(instructions, candidates)]
        if self.numbers is not None:
            parts.append(self.numbers(instructions, candidates.to(self.device)))
        present = [part for part in parts if part is not None]
        return torch.cat(present, dim=-1) if present else None

    def _reference_features(
        self, instructions: Sequence[str], candidates: torch.Tensor
    ) -> torch.Tensor | None:
        """How each candidate relates to the item the instruction names (`reference.py`)."""
        if not self.reference_features:
            return None
        embeddings = self.item_embeddings()  # syncs the cache first
        if self._cache.reference is None:
            descriptive = self.item_features[:, : descriptive_columns(self.catalog)]
            self._cache.reference = ReferenceFeatures(embeddings, descriptive)
        return self._cache.reference(
            instructions, candidates.to(self.device), self._instruction_vectors
        )

    def _instruction_vectors(self, instructions: list[str]) -> torch.Tensor:
        """Embeddings (B, D) of instructions alone (no history), without gradient."""
        with torch.no_grad():
            return self._embed_instructions([self.query_text(text) for text in instructions])

    def query_text(self, instruction: str) -> str:
        """The text the encoder reads for an instruction (a prompt, for decoders)."""
        return instruction

    def forward(
        self,
        instructions: Sequence[str],
        candidates: torch.Tensor,
        history: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits (B, N) for candidates (B, N); history (B, H) of item indices, -1 = none."""
        return self.score(self.encode_query(instructions, history), instructions, candidates)

    def encode_query(
        self, instructions: Sequence[str], history: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Unit vectors (B, D) for instructions and, optionally, the users' clicked items.

        With a history (B, H) of item indices (-1 = padding), the query becomes
        `normalize((1 - w) * instruction + w * mean(clicked items))`, `w = history_weight`;
        rows without clicks keep the instruction vector unchanged.
        """
        query = self._embed_instructions([self.query_text(text) for text in instructions])
        if history is None or self.history_weight == 0.0:
            return query
        history = history.to(self.device)
        valid = history >= 0
        clicked = masked_mean(self.item_embeddings()[history.clamp_min(0)], valid)
        blended = F.normalize(
            (1.0 - self.history_weight) * query + self.history_weight * clicked, dim=-1
        )
        return torch.where(valid.any(-1, keepdim=True), blended, query)

    def item_embeddings(self) -> torch.Tensor:
        """Unit vectors (n, D) of every catalog item; cached until encoder weights change.

        While the weights are as loaded, the embeddings also come from (and go to) the
        disk cache in `embedding_file`, if the scorer was given one.
        """
        cache = self._synced_cache()
        if cache.items is None:
            stored = self._embedding_file if cache.item_key == self._pristine_key else None
            cached = load_embeddings(stored) if stored is not None else None
            if cached is not None and cached.shape[0] == len(self.item_texts):
                cache.items = cached.to(self.device)
            else:
                with self._cacheable(), self._item_encoder():
                    cache.items = self.embed_texts(self.item_texts)
                if stored is not None:
                    save_embeddings(stored, cache.items)
        return cache.items

    def embed_texts(self, texts: Sequence[str]) -> torch.Tensor:
        """Unit-norm mean-pooled last hidden states (len(texts), D), each a function of its
        text alone.

        Texts are encoded in a layout where a text's padding depends on its own length
        only (`layout.py`), so its embedding is the same to the last bit whatever it was
        encoded with: one at a time, with the whole catalog, or with whichever
        instructions a cache happened to miss. Cached and fresh embeddings therefore
        agree exactly, and a run's numbers do not depend on what its caches held (a
        resumed run, a disk cache another process filled).
        """
        encoded = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)
        lengths = [len(ids) for ids in encoded["input_ids"]]
        limit = getattr(self.encoder.config, "max_position_embeddings", None)
        chunks, order = [], []
        for width, rows in passes(lengths, self.batch_size, limit):
            batch = self.tokenizer.pad(
                {key: [values[i] for i in rows] for key, values in encoded.items()},
                padding="max_length",
                max_length=width,
                return_tensors="pt",
            ).to(self.device)
            chunks.append(self._embed_batch(batch))
            order += rows
        return torch.cat(chunks)[torch.argsort(torch.tensor(order, device=self.device))]

    def trainable_parameters(self) -> list[nn.Parameter]:
        """Everything the optimizer should update in this trainable mode."""
        return [p for p in self.parameters() if p.requires_grad]

    def encoder_parameters(self) -> list[nn.Parameter]:
        """The encoder's trainable parameters: none, the LoRA adapters, or all its weights."""
        return [p for p in self.encoder.parameters() if p.requires_grad]

    def head_parameters(self) -> list[nn.Parameter]:
        """The small heads and the relevance scale, trainable in every mode."""
        encoder = {id(p) for p in self.encoder.parameters()}
        return [p for p in self.parameters() if p.requires_grad and id(p) not in encoder]

    def train(self, mode: bool = True) -> Scorer:
        """Set the heads' mode; the encoder stays in eval mode so that it is deterministic."""
        super().train(mode)
        self.encoder.eval()
        return self

    def run_encoder(self, inputs: Mapping[str, torch.Tensor], **kwargs: Any) -> Any:
        """The encoder's `ModelOutput`, run in `encoder_context`."""
        with self.encoder_context():
            return self.encoder(**inputs, **kwargs)

    def encoder_context(self) -> AbstractContextManager[Any]:
        """How the encoder runs: with gradient only if it trains and grad mode is on, and
        in the scorer's precision."""
        stack = ExitStack()
        stack.enter_context(torch.set_grad_enabled(
            torch.is_grad_enabled() and self.trainable != "head"
        ))
        stack.enter_context(autocast(self.device, self.bf16))
        return stack

    def tokenize(self, texts: Sequence[str], pairs: Sequence[str] | None = None) -> BatchEncoding:
        """Padded, truncated tensors on the scorer's device (a `BatchEncoding`)."""
        return self.tokenizer(
            list(texts),
            None if pairs is None else list(pairs),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        ).to(self.device)

    def _embed_batch(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        output = self.run_encoder(batch, output_hidden_states=True, **self.embed_kwargs)
        pooled = masked_mean(output.hidden_states[-1], batch["attention_mask"])
        return F.normalize(pooled, dim=-1)

    def _embed_instructions(self, texts: list[str]) -> torch.Tensor:
        if torch.is_grad_enabled() and self.encoder_parameters():
            return self.embed_texts(texts)
        return self._synced_cache().instructions(texts, self._embed_without_gradient)

    def _embed_without_gradient(self, texts: list[str]) -> torch.Tensor:
        with self._cacheable():
            return self.embed_texts(texts)

    def _weights_key(self) -> WeightsKey:
        """Storage pointer and write counter of every encoder weight: changes on any write.

        The parameter list is gathered once (walking the module tree on every call cost
        about a tenth of a training step); `.to()` and `load_state_dict` keep the same
        parameter objects and change their storage or counter, which the key sees.
        """
        if self._encoder_weights is None:
            self._encoder_weights = list(self.encoder.parameters())
        return tuple((p.data_ptr(), p._version) for p in self._encoder_weights)

    def _item_weights_key(self) -> WeightsKey:
        """As `_weights_key`, for the weights that encode items: all of them, but only the
        frozen ones for "query-lora", whose items are encoded without the adapters."""
        if self.trainable != "query-lora":
            return self._weights_key()
        if self._item_weights is None:
            self._item_weights = [p for p in self.encoder.parameters() if not p.requires_grad]
        return tuple((p.data_ptr(), p._version) for p in self._item_weights)

    def _item_encoder(self) -> AbstractContextManager[Any]:
        """The encoder as it encodes items: without the adapters for "query-lora"."""
        if self.trainable == "query-lora":
            adapted: Any = self.encoder  # a peft model: `add_lora` wrapped it
            return adapted.disable_adapter()
        return nullcontext()

    def _synced_cache(self) -> EncodingCache:
        """The encoding cache, emptied first of what changed encoder weights made stale."""
        self._cache.sync(self._weights_key(), self._item_weights_key())
        return self._cache

    def frozen_copy_memo(self) -> dict[int, object]:
        """A `copy.deepcopy` memo with which a frozen copy shares all that does not train.

        The copy shares the catalog, the tokenizer and every encoder tensor that does not
        train (no second copy of frozen weights); when nothing in the encoder trains, it
        also shares the encoder and the encoding cache, so neither ever encodes a text the
        other has (`EncodingCache`). Otherwise the copy starts with an empty cache of its
        own, since its weights will differ from this scorer's after the first update.
        """
        encoder_tensors = [*self.encoder.parameters(), *self.encoder.buffers()]
        shared: list[object] = [
            self.config,
            self.catalog,
            self.tokenizer,
            *(tensor for tensor in encoder_tensors if not tensor.requires_grad),
        ]
        memo: dict[int, object] = {id(thing): thing for thing in shared}
        if self.encoder_parameters():
            memo[id(self._cache)] = EncodingCache(self.query_dim)
        else:
            memo[id(self.encoder)] = self.encoder
            memo[id(self._cache)] = self._cache
        return memo

    @staticmethod
    def _cacheable() -> AbstractContextManager[Any]:
        """No gradient, and ordinary tensors even inside `torch.inference_mode()`.

        An inference tensor in a cache would break the next training step that reads it.
        """
        stack = ExitStack()
        stack.enter_context(torch.inference_mode(False))
        stack.enter_context(torch.no_grad())
        return stack

