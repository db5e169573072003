"""BM25: hand-computed scores on a toy corpus, and the agent on real observations."""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np
import pytest

import ifr_sim
from ifr_sim.agents.base import Observation
from ifr_sim.agents.baselines.bm25 import BM25Agent, BM25Index, tokenize
from ifr_sim.core.catalog.catalog import Catalog

pytest_plugins = ("agent_fixtures",)

# Tokens: d0 [horror, horror, film] (|d| 3), d1 [comedy, film] (2; "a" is a stop word),
# d2 [scary, comedy, film] (3); n = 3, avgdl = 8/3.
TEXTS = ("Horror, horror film.", "A comedy film.", "Scary comedy film")


def test_tokenizer_lower_cases_and_drops_stop_words_and_possessives() -> None:
    assert tokenize("A Children's film, for the 'KIDS' of 1995!") == [
        "children", "film", "kids", "1995"
    ]


def test_scores_match_the_hand_computed_okapi_bm25() -> None:
    index = BM25Index(TEXTS, k1=1.5, b=0.75)
    scores = index.score(["scary horror", "film"], np.array([[0, 1, 2], [0, 1, 2]]))
    # idf(horror) = idf(scary) = ln(1 + (3 - 1 + .5)/(1 + .5)) = ln(8/3) = 0.980829
    # k1(1 - b + b|d|/avgdl): |d| = 3 -> 1.5(.25 + .75·9/8) = 1.640625; |d| = 2 -> 1.21875
    # d0: horror tf 2 -> 0.980829 · 2·2.5/(2 + 1.640625) = 1.347062 ("scary" not in d0)
    # d1: neither word -> 0
    # d2: scary tf 1 -> 0.980829 · 2.5/(1 + 1.640625) = 0.928596
    # film is in all three: idf = ln(1 + .5/3.5) = ln(8/7) = 0.133531
    # d0, d2: 0.133531 · 2.5/2.640625 = 0.126420; d1 (shorter): 0.133531 · 2.5/2.21875 = 0.150458
    expected = [[1.347062, 0.0, 0.928596], [0.126420, 0.150458, 0.126420]]
    np.testing.assert_allclose(scores, expected, atol=1e-6)


def test_unknown_words_and_empty_queries_score_zero() -> None:
    index = BM25Index(TEXTS)
    scores = index.score(["zombie musical", ""], np.array([[0, 1, 2], [2, 1, 0]]))
    np.testing.assert_array_equal(scores, np.zeros((2, 3)))


@pytest.fixture
def corpus(toy_catalog: Callable[..., Catalog]) -> Catalog:
    n = len(TEXTS)
    return toy_catalog(TEXTS, np.zeros((n, 1)), np.full(n, 0.5), np.full(n, 0.5))


def test_agent_puts_the_horror_text_first(
    corpus: Catalog, observe: Callable[..., Observation]
) -> None:
    agent = BM25Agent(corpus, slate_size=2)
    slates = agent.act(observe(["scary horror"], [[2, 1, 0]]), {}, np.random.default_rng(0))
    np.testing.assert_array_equal(slates, [[2, 0]])  # positions of d0 (1.35), d2 (0.93)


def test_agent_demotes_shown_candidates(
    corpus: Catalog, observe: Callable[..., Observation]
) -> None:
    agent = BM25Agent(corpus, slate_size=2)
    observation = observe(["scary horror"], [[2, 1, 0]], shown=np.array([[0, 0, 1]]))
    slates = agent.act(observation, {}, np.random.default_rng(0))
    np.testing.assert_array_equal(slates, [[0, 1]])  # d2 (0.93), then d1 (0) before shown d0


def test_agent_plays_the_real_environment() -> None:
    env = gym.make(ifr_sim.ENV_ID)
    world = env.unwrapped.world  # type: ignore[attr-defined]
    agent = BM25Agent(world.catalog, world.config.slate_size)
    obs, _ = env.reset(seed=3)
    for _ in range(3):
        slate = agent.act({k: v[None] for k, v in obs.items()}, {}, np.random.default_rng(0))[0]
        assert len(set(slate.tolist())) == world.config.slate_size
        assert not obs["shown"][slate].any()  # 100 candidates: fresh ones never run out
        obs, _, terminated, _, _ = env.step(slate)
        if terminated:
            break
