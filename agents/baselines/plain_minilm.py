"""Plain MiniLM cosine: the reference a scorer that reads instructions has to beat.

The bundled sentence encoder as it comes, no head, no lexical or reference features, over
item texts of title, year and genres only ("Toy Story (1995). Genres: animation,
children's, comedy."), ranked by the cosine of the instruction with each item. It is what
anyone would get from an off-the-shelf encoder and a catalog dump, so it says how much of
the simulator scorer's ranking comes from its item texts and training rather than from
the encoder itself.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import torch

from ifr_sim.agents.base import Agent, Observation
from ifr_sim.agents.ranking import candidate_items, instructions_of, rank_candidates
from ifr_sim.core.catalog import Catalog
from ifr_sim.core.scorer import Scorer, ScorerConfig, make_scorer


def plain_text(catalog: Catalog, index: int) -> str:
    """An item as a bare catalog dump shows it: "Title (year). Genres: a, b." for movies,
    "Title. Category: a." otherwise (no ratings, no price, no descriptive words).

    >>> from ifr_sim.core.catalog import make_synthetic_catalog
    >>> plain_text(make_synthetic_catalog(10), 0)
    'Lumen G23 Speaker. Category: speakers.'
    """
    title = catalog.titles[index]
    year = catalog.attributes.get("year") if catalog.domain == "movies" else None
    if year is not None and year.dtype.kind == "f" and not math.isnan(year[index]):
        title = f"{title} ({year[index]:.0f})"
    names = [name for name, member in zip(catalog.category_names, catalog.categories[index],
                                          strict=True) if member]
    label = "Genres" if catalog.domain == "movies" else "Category"
    return f"{title}. {label}: {', '.join(names)}." if names else f"{title}."


class PlainMiniLMAgent(Agent):
    """The K candidates whose plain text (`plain_text`) is nearest the instruction.

    Args:
        catalog: the world's catalog (only its titles, years and categories are read).
        slate_size: K.
    """

    name = "plain-minilm"

    def __init__(self, catalog: Catalog, slate_size: int) -> None:
        texts = tuple(plain_text(catalog, i) for i in range(len(catalog)))
        plain = dataclasses.replace(catalog, texts=texts)
        # The bare encoder: no lexical, reference or number features, no history.
        config = ScorerConfig(
            lexical_buckets=0, reference_features=False, number_features=False, history_weight=0.0
        )
        self.scorer: Scorer = make_scorer(config, plain)
        self.slate_size = slate_size

    def act(
        self, observation: Observation, info: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        candidates = torch.from_numpy(candidate_items(observation)).to(self.scorer.device)
        with torch.no_grad():
            queries = self.scorer.encode_query(instructions_of(observation))
            items = self.scorer.item_embeddings()[candidates]
            cosine = torch.einsum("bd,bnd->bn", queries, items)
        return rank_candidates(cosine.float().cpu().numpy(), observation["shown"],
                               self.slate_size)
