"""A plain Python API: ask for recommendations in words, get ranked catalog items back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from ifr_sim.agents.policy.slate_distribution import check_finite_scores
from ifr_sim.core.catalog.catalog import Catalog, Item
from ifr_sim.core.scorer import Scorer, ScorerConfig, make_scorer


@dataclass(frozen=True)
class Recommendation:
    """One recommended item, its scorer logit and its 1-based rank."""

    item: Item
    score: float
    rank: int


class Recommender:
    """Ranks a catalog's items for a natural-language request with a `Scorer`.

    >>> recommender = Recommender.zero_shot()  # doctest: +SKIP
    >>> [r.item.title for r in recommender.recommend("a scary horror film", k=3)]  # doctest: +SKIP
    """

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.catalog = scorer.catalog

    @classmethod
    def zero_shot(
        cls, catalog: Catalog | None = None, config: ScorerConfig | None = None
    ) -> Recommender:
        """An untrained scorer (default: MiniLM bi-encoder) over `catalog` (default: MovieLens)."""
        if catalog is None:
            # Imported here: reading MovieLens is only needed when no catalog is given.
            from ifr_sim.core.catalog import load_movielens

            catalog = load_movielens()
        return cls(make_scorer(config or ScorerConfig(), catalog))

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, catalog: str | Path | None = None
    ) -> Recommender:
        """The scorer of a policy trained with `ifr-sim train`.

        Args:
            path: its checkpoint directory, or the run directory (its newest checkpoint).
            catalog: the catalog file's new path if it has moved since training (its
                content must be what the policy was trained on).
        """
        from ifr_sim.agents.training.checkpoint import load_checkpoint

        policy, _ = load_checkpoint(Path(path), catalog)
        return cls(policy.scorer)

    def recommend(
        self,
        instruction: str,
        k: int = 10,
        candidates: Sequence[str] | None = None,
        history: Sequence[str] | None = None,
    ) -> list[Recommendation]:
        """The `k` best items for `instruction`, best first.

        Args:
            instruction: what the user asks for, in words.
            k: how many items to return (fewer if there are fewer candidates).
            candidates: external ids of the items to rank; None ranks the whole catalog.
            history: external ids of items the user clicked before, oldest first.

        Raises:
            ValueError: the scorer gave NaN or infinite scores (damaged or diverged
                weights), which would rank the items arbitrarily.
        """
        if k < 1:
            raise ValueError(f"k={k}: ask for at least one recommendation")
        pool = torch.arange(len(self.catalog))
        if candidates is not None:
            pool = torch.as_tensor(self.catalog.index_of(candidates))
        clicked = torch.as_tensor(self.catalog.index_of(history))[None] if history else None
        with torch.no_grad():
            scores = self.scorer([instruction], pool[None], clicked)[0].cpu()
        check_finite_scores(scores)
        top = torch.topk(scores, min(k, len(pool)))
        return [
            Recommendation(item=self.catalog.item(int(pool[index])), score=score, rank=rank)
            for rank, (score, index) in enumerate(
                zip(top.values.tolist(), top.indices.tolist(), strict=True), start=1
            )
        ]
