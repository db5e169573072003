"""Every backend: output shapes, batch independence, and the zero-shot score formulas."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer import (
    BiEncoderScorer,
    CausalLMScorer,
    CrossEncoderScorer,
    Scorer,
    ScorerConfig,
    make_scorer,
)

pytest_plugins = ("scorer_fixtures",)
ConfigFor = Callable[..., ScorerConfig]

SCORER_CLASSES = {
    "bi-encoder": BiEncoderScorer,
    "cross-encoder": CrossEncoderScorer,
    "causal-lm": CausalLMScorer,
}
# (backend, fixture of its tiny model directory)
BACKENDS = [
    ("bi-encoder", "tiny_bert_dir"),
    ("cross-encoder", "tiny_bert_dir"),
    ("cross-encoder", "tiny_classifier_dir"),
    ("causal-lm", "tiny_causal_dir"),
]
IDS = ["bi-encoder", "cross-encoder", "cross-encoder-classifier", "causal-lm"]


def build(request: pytest.FixtureRequest, backend: str, fixture: str, catalog: Catalog) -> Scorer:
    """The scorer of `backend` over the tiny model held by fixture `fixture`."""
    config_for = request.getfixturevalue("config_for")
    return make_scorer(config_for(request.getfixturevalue(fixture), backend=backend), catalog)


@pytest.mark.parametrize(("backend", "fixture"), BACKENDS, ids=IDS)
def test_shapes_and_finiteness(
    request: pytest.FixtureRequest, tiny_catalog: Catalog, backend: str, fixture: str
) -> None:
    scorer = build(request, backend, fixture, tiny_catalog)
    assert isinstance(scorer, SCORER_CLASSES[backend])
    candidates = torch.tensor([[0, 1, 2, 3], [11, 10, 9, 8]])
    history = torch.tensor([[4, 5], [-1, -1]])
    with torch.no_grad():
        query = scorer.encode_query(["a scary film", "something funny"], history)
        scores = scorer.score(query, ["a scary film", "something funny"], candidates)
    assert query.shape == (2, scorer.query_dim)
    torch.testing.assert_close(query.norm(dim=-1), torch.ones(2))
    assert scores.shape == (2, 4)
    assert scores.dtype == torch.float32
    assert torch.isfinite(scores).all()


@pytest.mark.parametrize(("backend", "fixture"), BACKENDS, ids=IDS)
def test_pair_score_does_not_depend_on_its_batch(
    request: pytest.FixtureRequest, tiny_catalog: Catalog, backend: str, fixture: str
) -> None:
    scorer = build(request, backend, fixture, tiny_catalog)
    torch.nn.init.normal_(scorer.head.out.weight)  # let the head contribute too
    long = "a very long request about a film with many words that pads every shorter row"
    with torch.no_grad():
        alone = scorer(["ghosts"], torch.tensor([[1]]))
        crowded = scorer([long, "ghosts"], torch.tensor([[0, 4, 9], [5, 1, 11]]))
    torch.testing.assert_close(crowded[1, 1], alone[0, 0], atol=1e-5, rtol=1e-5)


def test_untrained_bi_encoder_is_scaled_cosine(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_bert_dir), tiny_catalog)
    with torch.no_grad():
        scores = scorer(["ghosts in a hotel"], torch.tensor([[1, 3]]))
        query = scorer.embed_texts(["ghosts in a hotel"])[0]
        items = scorer.embed_texts([tiny_catalog.texts[1], tiny_catalog.texts[3]])
    expected = 20.0 * items @ query  # init scale 20, head output exactly 0
    torch.testing.assert_close(scores[0], expected, atol=1e-5, rtol=1e-5)


def test_classifier_cross_encoder_scores_with_its_logit(
    config_for: ConfigFor, tiny_classifier_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_classifier_dir, backend="cross-encoder"), tiny_catalog)
    assert isinstance(scorer, CrossEncoderScorer) and scorer.uses_classifier
    batch = scorer.tokenize(["ghosts"], [tiny_catalog.texts[1]])
    with torch.no_grad():
        logit = scorer.encoder(**batch).logits[0, 0]
        score = scorer(["ghosts"], torch.tensor([[1]]))[0, 0]
    torch.testing.assert_close(score, logit)  # scale 1, head 0


def test_causal_lm_score_is_mean_log_prob_of_item_tokens(
    config_for: ConfigFor, tiny_causal_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_causal_dir, backend="causal-lm"), tiny_catalog)
    tokenizer = scorer.tokenizer
    prompt = "User request: a scary film\nRecommended item:"
    prompt_ids = tokenizer(prompt)["input_ids"]
    full_ids = tokenizer(prompt + " Scream")["input_ids"]  # item 11's whole text
    item_ids = full_ids[len(prompt_ids) :]
    assert full_ids[: len(prompt_ids)] == prompt_ids and len(item_ids) >= 2
    with torch.no_grad():
        logits = scorer.encoder(input_ids=torch.tensor([full_ids])).logits[0]
        score = scorer(["a scary film"], torch.tensor([[11]]))[0, 0]
    log_probs = torch.log_softmax(logits, dim=-1)
    # Token j of the item sits at position len(prompt) + j and is predicted one step earlier.
    expected = torch.stack(
        [log_probs[len(prompt_ids) + j - 1, token] for j, token in enumerate(item_ids)]
    ).mean()
    torch.testing.assert_close(score, expected)  # scale 1, head 0


def test_history_blends_clicked_items_into_query(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_bert_dir, history_weight=0.25), tiny_catalog)
    with torch.no_grad():
        plain = scorer.encode_query(["ghosts"])
        padded_only = scorer.encode_query(["ghosts"], torch.tensor([[-1, -1]]))
        blended = scorer.encode_query(["ghosts"], torch.tensor([[1, -1, 2]]))
        items = scorer.item_embeddings()[[1, 2]].mean(0)
    torch.testing.assert_close(padded_only, plain)
    expected = torch.nn.functional.normalize(0.75 * plain[0] + 0.25 * items, dim=-1)
    torch.testing.assert_close(blended[0], expected)


def test_train_mode_is_deterministic(
    config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog
) -> None:
    scorer = make_scorer(config_for(tiny_bert_dir, trainable="full"), tiny_catalog)
    scorer.train()
    assert scorer.training and not scorer.encoder.training  # the encoder stays in eval mode
    scorer.encoder.train()  # and even in train mode it is deterministic: its dropout is 0
    candidates = torch.tensor([[0, 1, 2]])
    first = scorer(["ghosts"], candidates)  # grad mode: the query is encoded afresh each time
    second = scorer(["ghosts"], candidates)
    assert torch.equal(first, second)
