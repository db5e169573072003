"""No duplicate encoder work: the KL reference shares the policy's frozen encoder and its
caches, and a training run encodes no text twice (checkpoints and evaluations included)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
import torch

from ifr_sim.agents.policy.kl_penalty import frozen_copy
from ifr_sim.agents.policy.scorer_policy import ScorerPolicy
from ifr_sim.agents.policy.slate_distribution import PlackettLuceDistribution
from ifr_sim.agents.training.checkpoint import build_policy
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.agents.training.trainer import train
from ifr_sim.core.config import with_overrides
from ifr_sim.core.scorer import Scorer
from ifr_sim.core.scorer.embedding_store import CACHE_ENV
from ifr_sim.envs.sb3_vec_env import make_sb3_vec_env

pytest_plugins = ("scorer_fixtures", "training_fixtures")


def observation(config: TrainConfig, policy: ScorerPolicy) -> dict[str, torch.Tensor]:
    env = make_sb3_vec_env(4, config=config.world)
    env.seed(0)
    obs, _ = policy.obs_to_tensor(env.reset())
    assert isinstance(obs, dict)
    return obs


def test_reference_of_a_frozen_encoder_encodes_nothing_of_its_own(
    tiny_training: TrainConfig,
) -> None:
    policy = build_policy(tiny_training)
    reference = frozen_copy(policy)
    assert reference.scorer.encoder is policy.scorer.encoder  # shared, not copied
    assert reference.scorer.head is not policy.scorer.head  # the heads train: copied
    obs = observation(tiny_training, policy)
    with torch.no_grad():
        actions, _, log_probs = policy(obs)
    calls: list[int] = []
    policy.scorer.encoder.register_forward_hook(lambda *_: calls.append(1))
    with torch.no_grad():
        reference_log_prob = reference.slate_log_prob(obs, actions)
    assert calls == []  # items and instructions both came from the policy's cache
    assert torch.equal(reference_log_prob, log_probs.sum(dim=-1))


def test_reference_of_lora_shares_the_frozen_base_weights_and_copies_the_adapters(
    tiny_training: TrainConfig,
) -> None:
    policy = build_policy(with_overrides(tiny_training, {"scorer.trainable": "lora"}))
    reference = frozen_copy(policy)
    ours = dict(policy.scorer.encoder.named_parameters())
    for name, tensor in reference.scorer.encoder.named_parameters():
        assert (tensor is ours[name]) == ("lora_" not in name), name
        assert torch.equal(tensor, ours[name]) and not tensor.requires_grad


def test_the_kl_estimate_computes_no_entropy(
    tiny_training: TrainConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = build_policy(tiny_training)
    obs = observation(tiny_training, policy)
    with torch.no_grad():
        actions, _, _ = policy(obs)

    def no_entropy(*_: object) -> torch.Tensor:
        raise AssertionError("the KL estimate does not read an entropy")

    monkeypatch.setattr(PlackettLuceDistribution, "entropy_along", no_entropy)
    with torch.no_grad():
        assert policy.slate_log_prob(obs, actions).shape == (4,)


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each text is encoded from now on (no disk cache)."""
    monkeypatch.setenv(CACHE_ENV, "off")
    counts: Counter[str] = Counter()
    original = Scorer.embed_texts

    def counting(self: Scorer, texts: Sequence[str]) -> torch.Tensor:
        counts.update(texts)
        return original(self, texts)

    monkeypatch.setattr(Scorer, "embed_texts", counting)
    return counts


def test_training_encodes_no_text_twice(
    tiny_training: TrainConfig, tmp_path: Path, encoded: Counter[str]
) -> None:
    config = with_overrides(
        tiny_training, {"total_steps": 96, "checkpoint_every": 16, "eval_every": 32}
    )
    train(config, tmp_path / "run")  # 6 checkpoints, 4 evaluations, a KL reference
    assert encoded and max(encoded.values()) == 1, encoded.most_common(3)


def test_query_lora_training_encodes_the_catalog_once_per_policy(
    tiny_training: TrainConfig, tmp_path: Path, encoded: Counter[str]
) -> None:
    config = with_overrides(tiny_training, {"scorer.trainable": "query-lora",
                                            "total_steps": 48, "checkpoint_every": 16})
    summary = train(config, tmp_path / "run")  # 3 updates; the KL reference has adapters too
    assert summary["steps"] == 48
    catalog = build_policy(config).scorer.item_texts
    assert max(encoded[text] for text in catalog) == 2  # the policy's and the reference's
    assert max(encoded.values()) > 2  # instructions are re-encoded after each update
