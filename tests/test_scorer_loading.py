"""Loading model directories: dropout off, and a clear ModelLoadError for each misfit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ifr_sim.core.scorer import ModelLoadError, default_model_path, load_model

pytest_plugins = ("scorer_fixtures",)


def copy_dir(source: Path, target: Path, skip: tuple[str, ...] = ()) -> Path:
    return Path(shutil.copytree(source, target, ignore=shutil.ignore_patterns(*skip)))


def test_default_model_path_holds_minilm() -> None:
    path = default_model_path()
    assert (path / "config.json").is_file() and (path / "model.safetensors").is_file()


def test_loaded_configs_have_no_dropout(tiny_bert_dir: Path, tiny_causal_dir: Path) -> None:
    bert = load_model(tiny_bert_dir, "bi-encoder").model.config
    assert bert.hidden_dropout_prob == 0.0 and bert.attention_probs_dropout_prob == 0.0
    llama = load_model(tiny_causal_dir, "causal-lm").model.config
    assert llama.attention_dropout == 0.0


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"does not exist; set model_path"):
        load_model(tmp_path / "nowhere", "bi-encoder")


def test_directory_without_config(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ModelLoadError, match=r"has no config\.json.*model\.safetensors"):
        load_model(tmp_path, "bi-encoder")


def test_directory_without_tokenizer(tiny_bert_dir: Path, tmp_path: Path) -> None:
    skip = ("vocab.txt", "tokenizer*", "special_tokens_map.json")
    bare = copy_dir(tiny_bert_dir, tmp_path / "bare", skip=skip)
    with pytest.raises(ModelLoadError, match=r"has no tokenizer.*save_pretrained"):
        load_model(bare, "bi-encoder")


def test_tokenizer_of_another_model(tiny_causal_dir: Path, tiny_bert_dir: Path, tmp_path: Path):
    mixed = copy_dir(tiny_causal_dir, tmp_path / "mixed", skip=("tokenizer*",))
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tiny_bert_dir / name, mixed / name)
    with pytest.raises(ModelLoadError, match=r"30522 tokens but the model embeds only"):
        load_model(mixed, "causal-lm")


def test_encoder_given_to_causal_lm_backend(tiny_bert_dir: Path) -> None:
    with pytest.raises(
        ModelLoadError, match=r"'causal-lm' expects a decoder.*BertModel.*backend='bi-encoder'"
    ):
        load_model(tiny_bert_dir, "causal-lm")


def test_decoder_given_to_encoder_backend(tiny_causal_dir: Path) -> None:
    with pytest.raises(
        ModelLoadError, match=r"expects an encoder.*LlamaForCausalLM.*backend='causal-lm'"
    ):
        load_model(tiny_causal_dir, "bi-encoder")


def test_multi_label_classifier_given_to_cross_encoder(
    tiny_classifier_dir: Path, tmp_path: Path
) -> None:
    two_labels = copy_dir(tiny_classifier_dir, tmp_path / "two-labels")
    config = json.loads((two_labels / "config.json").read_text())
    config["id2label"] = {"0": "no", "1": "yes"}
    config["label2id"] = {"no": 0, "yes": 1}
    (two_labels / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match=r"2 labels.*num_labels=1"):
        load_model(two_labels, "cross-encoder")


def test_missing_weights(tiny_bert_dir: Path, tmp_path: Path) -> None:
    no_weights = copy_dir(tiny_bert_dir, tmp_path / "no-weights", skip=("*.safetensors",))
    with pytest.raises(ModelLoadError, match=r"could not load the weights"):
        load_model(no_weights, "bi-encoder")
