"""The plain MiniLM reference: bare cosine over "Title (year). Genres: ..." texts."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from instructions_fixtures import CASABLANCA, TOY_STORY, movie_catalog, shop_catalog

from ifr_sim.agents.base import Observation
from ifr_sim.agents.baselines.plain_minilm import PlainMiniLMAgent, plain_text
from ifr_sim.agents.registry import AGENTS

pytest_plugins = ("agent_fixtures",)


def test_plain_texts_hold_title_year_and_categories_only() -> None:
    assert plain_text(movie_catalog(), TOY_STORY) == (
        "Toy Story (1995). Genres: comedy, animation, children's.")  # in catalog order
    assert plain_text(movie_catalog(), 15) == "Lost Reel. Genres: drama."  # year unknown
    assert plain_text(shop_catalog(), 0) == "Aurora Phone S. Category: phones."


@pytest.fixture(scope="module")
def agent() -> PlainMiniLMAgent:
    return PlainMiniLMAgent(movie_catalog(), slate_size=3)


def test_the_slate_is_ranked_by_cosine_alone(
    agent: PlainMiniLMAgent, observe: Callable[..., Observation]
) -> None:
    candidates = np.arange(len(movie_catalog()))[None]
    instructions = ["Casablanca (1942), the old romance", "Toy Story"]
    slates = agent.act(observe(instructions, np.repeat(candidates, 2, axis=0)), {},
                       np.random.default_rng(0))
    assert agent.name == "plain-minilm" and "plain-minilm" in AGENTS
    assert slates[:, 0].tolist() == [CASABLANCA, TOY_STORY]
    texts = [plain_text(movie_catalog(), i) for i in range(len(movie_catalog()))]
    with torch.no_grad():
        items = agent.scorer.embed_texts(texts)
        query = agent.scorer.embed_texts(instructions[:1])
    order = torch.argsort((items @ query[0]), descending=True, stable=True)[:3]
    assert slates[0].tolist() == order.tolist()


def test_shown_candidates_go_last(
    agent: PlainMiniLMAgent, observe: Callable[..., Observation]
) -> None:
    candidates = np.arange(len(movie_catalog()))[None]
    shown = np.zeros_like(candidates, np.int8)
    shown[0, CASABLANCA] = 1
    slate = agent.act(observe(["Casablanca (1942)"], candidates, shown=shown), {},
                      np.random.default_rng(0))
    assert CASABLANCA not in slate[0].tolist()
