"""The scorer's typed configuration: every scorer default is declared here, once.

Scorers take this object whole (`Scorer(catalog, model, tokenizer, config)`), so a value
defaulted here cannot drift from a second default in a constructor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ifr_sim.core.config import check

Backend = Literal["bi-encoder", "cross-encoder", "causal-lm"]
BACKENDS: tuple[Backend, ...] = ("bi-encoder", "cross-encoder", "causal-lm")
Trainable = Literal["head", "lora", "query-lora", "full"]
TRAINABLE: tuple[Trainable, ...] = ("head", "lora", "query-lora", "full")
DeviceChoice = Literal["auto", "cpu", "cuda"]
Precision = Literal["auto", "bf16", "fp32"]
PRECISIONS: tuple[Precision, ...] = ("auto", "bf16", "fp32")


@dataclass(frozen=True)
class ScorerConfig:
    """Which language model scores items, and which of its parameters train."""

    backend: Backend = field(
        default="bi-encoder",
        metadata={
            "help": "'bi-encoder' (instruction and items embedded apart; fast, items cached), "
            "'cross-encoder' (each instruction-item pair encoded jointly; slower, stronger) "
            "or 'causal-lm' (a decoder LLM's log-likelihood of the item text)"
        },
    )
    model_path: str | None = field(
        default=None,
        metadata={
            "help": "local Hugging Face model directory; unset: the bundled all-MiniLM-L6-v2 "
            "(an encoder, so backend='causal-lm' needs a decoder directory here)"
        },
    )
    trainable: Trainable = field(
        default="head",
        metadata={
            "help": "'head' (only the small heads train; encoder frozen), 'lora' (LoRA "
            "adapters on the encoder plus the heads), 'query-lora' (the adapters encode "
            "instructions only; item embeddings come from the frozen encoder and stay "
            "cached, so an update re-encodes no item) or 'full' (every weight)"
        },
    )
    lora_rank: int = field(
        default=8,
        metadata={"help": "LoRA rank r, used with trainable='lora' or 'query-lora' (1..1024)"},
    )
    lora_alpha: float = field(
        default=16.0,
        metadata={"help": "LoRA scaling alpha, used with 'lora' or 'query-lora' (> 0)"},
    )
    history_weight: float = field(
        default=0.1,
        metadata={"help": "share of the clicked items' mean embedding in the query, in [0, 1]"},
    )
    lexical_buckets: int = field(
        default=16384,
        metadata={
            "help": "hash buckets of the instruction's word and word-pair features the head "
            "learns beside the language model (0 = off, else 16..4,194,304)"
        },
    )
    reference_features: bool = field(
        default=True,
        metadata={
            "help": "the head also reads how each candidate relates to the catalog item the "
            "instruction most resembles (for 'something like Toy Story')"
        },
    )
    number_features: bool = field(
        default=True,
        metadata={
            "help": "the head also reads where each candidate's year or price stands against "
            "the numbers the instruction states ('from the 80s', 'under $50'); no effect on "
            "a catalog without a numeric range attribute"
        },
    )
    max_length: int = field(
        default=128,
        metadata={"help": "token limit per encoded text or instruction-item pair (8..8192)"},
    )
    batch_size: int = field(
        default=64, metadata={"help": "texts or pairs per encoder forward pass (>= 1)"}
    )
    device: DeviceChoice = field(
        default="auto",
        metadata={"help": "'auto' (CUDA when available, else CPU), 'cpu' or 'cuda'"},
    )
    precision: Precision = field(
        default="auto",
        metadata={
            "help": "encoder arithmetic: 'bf16' (frozen weights stored in bf16, trainable ones "
            "under bf16 autocast; heads stay float32), 'fp32', or 'auto': bf16 on CUDA and on "
            "CPUs with native bf16 (AVX512-BF16, AMX), for all but tiny models"
        },
    )
    cpu_threads: int = field(
        default=1,
        metadata={
            "help": "torch threads of the process when the scorer runs on CPU (0 = torch's "
            "default, one per core); 1 is fastest for a scorer's small batches on a machine "
            "whose cores are shared"
        },
    )

    def __post_init__(self) -> None:
        check(self.backend in BACKENDS, "scorer.backend", self.backend, f"use one of {BACKENDS}")
        check(
            self.trainable in TRAINABLE,
            "scorer.trainable",
            self.trainable,
            f"use one of {TRAINABLE}",
        )
        check(
            self.backend != "causal-lm" or self.model_path is not None,
            "scorer.model_path",
            self.model_path,
            "backend 'causal-lm' needs the directory of a decoder LLM; the "
            "default MiniLM is an encoder (use backend='bi-encoder' to run without a path)",
        )
        check(1 <= self.lora_rank <= 1024, "scorer.lora_rank", self.lora_rank, "use 1..1024")
        check(self.lora_alpha > 0, "scorer.lora_alpha", self.lora_alpha, "use a number > 0")
        check(
            0.0 <= self.history_weight <= 1.0,
            "scorer.history_weight",
            self.history_weight,
            "use a share in [0, 1] (0 ignores the history)",
        )
        check(
            self.lexical_buckets == 0 or 16 <= self.lexical_buckets <= 4_194_304,
            "scorer.lexical_buckets",
            self.lexical_buckets,
            "use 0 (off) or 16..4,194,304",
        )
        check(8 <= self.max_length <= 8192, "scorer.max_length", self.max_length, "use 8..8192")
        check(self.batch_size >= 1, "scorer.batch_size", self.batch_size, "use 1 or more")
        check(
            self.device in ("auto", "cpu", "cuda"),
            "scorer.device",
            self.device,
            "use 'auto', 'cpu' or 'cuda'",
        )
        check(
            self.precision in PRECISIONS,
            "scorer.precision",
            self.precision,
            f"use one of {PRECISIONS}",
        )
        check(
            self.cpu_threads >= 0,
            "scorer.cpu_threads",
            self.cpu_threads,
            "use 0 (torch's default) or a number of threads",
        )
