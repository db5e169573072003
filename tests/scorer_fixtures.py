"""Tiny models and a tiny catalog for the scorer tests.

The models are randomly initialised and saved with `save_pretrained` to a session temp
directory, so every test runs the real loading path in well under a second. Test modules
load these fixtures with `pytest_plugins = ("scorer_fixtures",)` and import nothing from
here (an imported module could not be assertion-rewritten as a plugin).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerFast,
)

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer import ScorerConfig, default_model_path

MINILM_TOKENIZER_FILES = (
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)

# (title, text, categories, quality, popularity)
ITEMS = [
    (
        "Toy Story",
        "Toy Story: an animated children's film about toys that come alive.",
        ("Animation", "Children"),
        0.9,
        1.0,
    ),
    (
        "The Shining",
        "The Shining: a horror film about a haunted hotel in the snow.",
        ("Horror",),
        0.85,
        0.8,
    ),
    (
        "Alien",
        "Alien: a science fiction horror film in deep space.",
        ("Horror", "Sci-Fi"),
        0.9,
        0.7,
    ),
    ("Airplane!", "Airplane!: a slapstick comedy on a doomed flight.", ("Comedy",), 0.7, 0.6),
    (
        "Casablanca",
        "Casablanca: a wartime romance and drama in Morocco.",
        ("Drama", "Romance"),
        0.95,
        0.5,
    ),
    (
        "Shrek",
        "Shrek: an animated comedy about an ogre and a donkey.",
        ("Animation", "Children", "Comedy"),
        0.75,
        0.9,
    ),
    ("Halloween", "Halloween: a slasher horror film set in a small town.", ("Horror",), 0.6, 0.4),
    (
        "Blade Runner",
        "Blade Runner: a science fiction noir about replicants.",
        ("Sci-Fi", "Drama"),
        0.88,
        0.55,
    ),
    (
        "Notting Hill",
        "Notting Hill: a romantic comedy in London.",
        ("Comedy", "Romance"),
        0.65,
        0.45,
    ),
    (
        "The Lion King",
        "The Lion King: an animated musical drama for children.",
        ("Animation", "Children", "Drama"),
        0.9,
        0.95,
    ),
    ("Heat", "Heat: a crime drama about a detective and a thief.", ("Drama",), 0.8, 0.35),
    ("Scream", "Scream", ("Horror", "Comedy"), 0.55, 0.3),
]
CATEGORIES = ("Animation", "Children", "Horror", "Comedy", "Drama", "Romance", "Sci-Fi")


def make_catalog() -> Catalog:
    """Twelve movies; the last has a one-word text (a short item for the causal-LM test)."""
    return Catalog(
        name="tiny-movies",
        domain="movies",
        ids=np.array([str(i) for i in range(len(ITEMS))]),
        titles=tuple(title for title, *_ in ITEMS),
        texts=tuple(text for _, text, *_ in ITEMS),
        category_names=CATEGORIES,
        categories=np.array([[c in cats for c in CATEGORIES] for _, _, cats, *_ in ITEMS]),
        quality=np.array([q for *_, q, _ in ITEMS], dtype=np.float32),
        popularity=np.array([p for *_, p in ITEMS], dtype=np.float32),
    )


def _config_for(path: Path, **overrides: object) -> ScorerConfig:
    options: dict[str, object] = {"model_path": str(path), "device": "cpu", "batch_size": 5}
    return ScorerConfig(**{**options, **overrides})  # type: ignore[arg-type]


def _tiny_bert_config() -> BertConfig:
    # Default dropout (0.1) on purpose: the loader must switch it off.
    return BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )


def _save_with_minilm_tokenizer(model: PreTrainedModel, directory: Path) -> Path:
    model.save_pretrained(directory)
    for name in MINILM_TOKENIZER_FILES:
        shutil.copy(default_model_path() / name, directory / name)
    return directory


@pytest.fixture(scope="session")
def tiny_catalog() -> Catalog:
    return make_catalog()


@pytest.fixture(scope="session")
def config_for() -> Callable[..., ScorerConfig]:
    """`config_for(model_dir, **overrides)`: a CPU ScorerConfig; batches of 5 mix lengths."""
    return _config_for


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    return _save_with_minilm_tokenizer(
        BertModel(_tiny_bert_config()), tmp_path_factory.mktemp("tiny-bert")
    )


@pytest.fixture(scope="session")
def tiny_classifier_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(1)
    config = _tiny_bert_config()
    config.num_labels = 1
    return _save_with_minilm_tokenizer(
        BertForSequenceClassification(config), tmp_path_factory.mktemp("tiny-cross-encoder")
    )


@pytest.fixture(scope="session")
def tiny_causal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama with a byte-level BPE tokenizer trained on the catalog texts."""
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<pad>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    corpus = [text for _, text, *_ in ITEMS] + ["User request: Recommended item:"]
    bpe.train_from_iterator(corpus, trainer)
    bpe.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", bpe.token_to_id("<s>"))]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    torch.manual_seed(2)
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            num_key_value_heads=2,
            intermediate_size=64,
            max_position_embeddings=256,
            bos_token_id=1,
            eos_token_id=2,
            pad_token_id=0,
        )
    )
    directory = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
