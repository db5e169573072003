"""The zero-shot scorer agent: valid slates in the scorer's order, demotion, determinism."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from ifr_sim.agents.base import Observation
from ifr_sim.agents.policy.scorer_agent import ScorerAgent
from ifr_sim.core.catalog.catalog import Catalog
from ifr_sim.core.scorer import ScorerConfig, make_scorer

pytest_plugins = ("scorer_fixtures", "agent_fixtures")
ConfigFor = Callable[..., ScorerConfig]

INSTRUCTIONS = ["a scary film", "something funny for the kids"]
CANDIDATES = np.array([[0, 1, 2, 3, 4, 5, 6, 7], [11, 10, 9, 8, 7, 6, 5, 4]])
HISTORY = np.array([[4, 5, -1], [-1, -1, -1]])


@pytest.fixture
def agent(config_for: ConfigFor, tiny_bert_dir: Path, tiny_catalog: Catalog) -> ScorerAgent:
    scorer = make_scorer(config_for(tiny_bert_dir), tiny_catalog)
    torch.nn.init.normal_(scorer.head.out.weight)  # let the history-aware head matter too
    return ScorerAgent(scorer, slate_size=3)


def test_slate_is_the_scorers_top_k(
    agent: ScorerAgent, observe: Callable[..., Observation]
) -> None:
    observation = observe(INSTRUCTIONS, CANDIDATES, history=HISTORY)
    slates = agent.act(observation, {}, np.random.default_rng(0))
    with torch.no_grad():
        scores = agent.scorer(INSTRUCTIONS, torch.from_numpy(CANDIDATES), torch.from_numpy(HISTORY))
    assert agent.name == "zero-shot"
    assert slates.shape == (2, 3)
    assert all(len(set(row)) == 3 for row in slates.tolist())
    order = torch.argsort(scores, dim=1, descending=True, stable=True)
    np.testing.assert_array_equal(slates, order[:, :3])


def test_non_finite_scores_fail_instead_of_ranking(
    agent: ScorerAgent, observe: Callable[..., Observation]
) -> None:
    with torch.no_grad():
        agent.scorer.head.out.bias.fill_(float("nan"))  # a damaged weights file
    with pytest.raises(ValueError, match="NaN or infinite"):
        agent.act(observe(INSTRUCTIONS, CANDIDATES, history=HISTORY), {},
                  np.random.default_rng(0))


def test_shown_candidates_are_demoted(
    agent: ScorerAgent, observe: Callable[..., Observation]
) -> None:
    rng = np.random.default_rng(0)
    first = agent.act(observe(INSTRUCTIONS, CANDIDATES, history=HISTORY), {}, rng)
    shown = np.zeros_like(CANDIDATES)
    np.put_along_axis(shown, first, 1, axis=1)
    second = agent.act(observe(INSTRUCTIONS, CANDIDATES, shown, HISTORY), {}, rng)
    assert not np.take_along_axis(shown, second, axis=1).any()


def test_deterministic_and_reads_sb3_float_observations(
    agent: ScorerAgent,
    observe: Callable[..., Observation],
    config_for: ConfigFor,
    tiny_bert_dir: Path,
    tiny_catalog: Catalog,
) -> None:
    observation = observe(INSTRUCTIONS, CANDIDATES, history=HISTORY)
    slates = agent.act(observation, {}, np.random.default_rng(0))
    again = agent.act(observation, {}, np.random.default_rng(1))  # served from the caches
    as_floats = {k: v.astype(np.float32) for k, v in observation.items()}
    from_floats = agent.act(as_floats, {}, np.random.default_rng(2))
    np.testing.assert_array_equal(again, slates)
    np.testing.assert_array_equal(from_floats, slates)
    fresh = ScorerAgent(make_scorer(config_for(tiny_bert_dir), tiny_catalog), 3)
    fresh.scorer.load_state_dict(agent.scorer.state_dict())  # the head and its word features
    np.testing.assert_array_equal(fresh.act(observation, {}, np.random.default_rng(0)), slates)
