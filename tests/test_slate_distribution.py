"""Plackett-Luce slate distribution: exact probabilities, sampling, entropy."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from ifr_sim.agents.policy.slate_distribution import PlackettLuceDistribution

LOGITS = torch.tensor([[1.0, 0.0, -0.5, 2.0]])


def all_slates(n: int, k: int) -> torch.Tensor:
    return torch.tensor(list(itertools.permutations(range(n), k)))


def test_log_prob_hand_computed() -> None:
    # p(3, 0) = e^2 / (e^1 + 1 + e^-0.5 + e^2) * e^1 / (e^1 + 1 + e^-0.5)
    e = math.exp
    expected = e(2) / (e(1) + 1 + e(-0.5) + e(2)) * e(1) / (e(1) + 1 + e(-0.5))
    dist = PlackettLuceDistribution(2).proba_distribution(LOGITS)
    assert dist.log_prob(torch.tensor([[3, 0]])).exp().item() == pytest.approx(expected)


@pytest.mark.parametrize(("n", "k"), [(4, 1), (4, 2), (5, 3), (4, 4)])
def test_probabilities_of_all_slates_sum_to_one(n: int, k: int) -> None:
    torch.manual_seed(0)
    logits = torch.randn(1, n)
    slates = all_slates(n, k)
    dist = PlackettLuceDistribution(k).proba_distribution(logits.expand(len(slates), n))
    assert dist.log_prob(slates).exp().sum().item() == pytest.approx(1.0, abs=1e-5)


def test_repeated_index_has_zero_probability() -> None:
    dist = PlackettLuceDistribution(2).proba_distribution(LOGITS)
    assert dist.log_prob(torch.tensor([[1, 1]])).item() == float("-inf")


def test_sampled_slate_frequencies_match_the_analytic_probabilities() -> None:
    torch.manual_seed(0)
    draws = 100_000
    dist = PlackettLuceDistribution(2).proba_distribution(LOGITS.expand(draws, 4))
    samples = dist.sample()
    slates = all_slates(4, 2)
    probs = (
        PlackettLuceDistribution(2)
        .proba_distribution(LOGITS.expand(len(slates), 4))
        .log_prob(slates)
        .exp()
    )
    for slate, p in zip(slates, probs, strict=True):
        freq = (samples == slate).all(dim=1).float().mean().item()
        assert abs(freq - p.item()) < 4 * math.sqrt(p.item() * (1 - p.item()) / draws)
    assert all(len(set(row.tolist())) == 2 for row in samples[:1000])


def test_mode_is_top_k() -> None:
    dist = PlackettLuceDistribution(3).proba_distribution(LOGITS)
    assert dist.mode().tolist() == [[3, 0, 1]]


def test_entropy_exact_for_one_item() -> None:
    dist = PlackettLuceDistribution(1).proba_distribution(LOGITS)
    p = torch.softmax(LOGITS, dim=-1)
    assert dist.entropy().item() == pytest.approx(-(p * p.log()).sum().item(), 1e-6)


def test_entropy_estimate_is_unbiased_for_slates() -> None:
    """Mean of the chain-rule estimate ≈ −Σ p log p over all slates (≈ −E[log p] too)."""
    torch.manual_seed(1)
    logits = torch.randn(1, 5)
    slates = all_slates(5, 3)
    probs = (
        PlackettLuceDistribution(3)
        .proba_distribution(logits.expand(len(slates), 5))
        .log_prob(slates)
        .exp()
    )
    exact = -(probs * probs.log()).sum().item()
    draws = 20_000
    dist = PlackettLuceDistribution(3).proba_distribution(logits.expand(draws, 5))
    estimate = dist.entropy()
    assert estimate.mean().item() == pytest.approx(
        exact, abs=4 * estimate.std().item() / draws**0.5
    )
    monte_carlo = -dist.log_prob(dist.sample()).mean().item()
    assert monte_carlo == pytest.approx(exact, rel=0.02)


def test_gradients_are_finite() -> None:
    logits = torch.randn(3, 6, requires_grad=True)
    dist = PlackettLuceDistribution(4).proba_distribution(logits)
    slates = dist.sample()
    (dist.log_prob(slates).sum() + dist.entropy_along(slates).sum()).backward()
    assert torch.isfinite(logits.grad).all()


def test_non_finite_scores_are_caught_at_the_boundary() -> None:
    with pytest.raises(ValueError, match="NaN or infinite"):
        PlackettLuceDistribution(2).proba_distribution(torch.tensor([[0.0, float("nan"), 1.0]]))
    with pytest.raises(ValueError, match="cannot fill"):
        PlackettLuceDistribution(4).proba_distribution(LOGITS[:, :3])
