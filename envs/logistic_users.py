"""The default user model ("logistic"): logistic attractiveness, fatigue, drift, patience.

How a user of this model behaves (weights in `AttractivenessConfig`, dynamics in
`UserConfig`):

- **Arrival.** The user's taste is their profile's, plus noise scaled to its norm.
- **Attractiveness.** A logistic function of the graded intent match, a penalty for
  breaking a hard constraint of the intent, the user's z-scored taste, item quality,
  familiarity (how likely the user is to have come across the item) and novelty (not yet
  shown this session), shrunk by `fatigue` per turn played; zero for items the user
  already clicked (no re-clicks).
- **Transition.** Tastes drift toward what was clicked; patience drops by 1 per turn and
  is refunded by `click_refund` on a turn with a click.
- **Leaving.** When patience runs out (it starts uniform in `patience`).
- **Refining.** A user who clicked nothing and stays rewords the instruction with
  probability `refine_probability`, at most `max_refinements` times a session.

How it is computed, so that a batch of one rarely pays numpy's per-call overhead: the
logistic function is evaluated only when a user's intent or taste changes (`_rescore`),
with its intent and taste terms kept apart so that each change recomputes one of them;
a turn only changes the K shown candidates of a user, so `transition` updates those K
entries of the attractiveness before fatigue (`appeal`), and `attractiveness` scales
that by the turn's fatigue: no turn re-evaluates all N candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ifr_sim.core.catalog import Catalog
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.freshness import failing
from ifr_sim.envs.session_state import Sessions, UserState
from ifr_sim.envs.user_model import Response, UserModel
from ifr_sim.envs.users import UserPopulation


@dataclass
class LogisticUserState(UserState):
    """The logistic model's users: taste, patience and the cached terms of the logit."""

    taste: np.ndarray  # (B, d) current taste (drifts)
    taste_logit: np.ndarray  # (B, N) float32 taste term of the logit (weight x z-score)
    intent_logit: np.ndarray  # (B, N) float32 logit terms but taste and novelty
    logit: np.ndarray  # (B, N) float32 logit of the appeal, without the novelty bonus
    appeal: np.ndarray  # (B, N) appeal before fatigue: novelty if unseen, 0 once clicked


class LogisticUserModel(UserModel[LogisticUserState]):
    """Today's users of ifr-sim (see the module docstring for their behaviour).

    Args:
        config: the world; its `users` and `attractiveness` sections set the behaviour.
        catalog: the items (their quality enters the attractiveness).
        population: the user profiles (tastes) and item factors.
    """

    def __init__(self, config: WorldConfig, catalog: Catalog, population: UserPopulation) -> None:
        self.users = config.users
        self.weights = config.attractiveness
        self.population = population
        self.num_candidates = config.num_candidates
        self._quality_logit = (
            self.weights.quality * (2.0 * catalog.quality - 1.0)
        ).astype(np.float32)

    def initial_state(
        self, profile: np.ndarray, rng: np.random.Generator
    ) -> LogisticUserState:
        """Profile tastes plus noise; the rest is filled in by `start`."""
        batch = len(profile)
        base = self.population.taste[profile]
        noise = rng.normal(0.0, self.users.taste_noise, (batch, base.shape[1]))
        shape = (batch, self.num_candidates)
        return LogisticUserState(
            patience=np.empty(batch),
            taste=(base + noise * _row_norm(base)).astype(np.float32),
            taste_logit=np.empty(shape, np.float32),
            intent_logit=np.empty(shape, np.float32),
            logit=np.empty(shape, np.float32),
            appeal=np.empty(shape, np.float32),
        )

    def start(
        self, state: LogisticUserState, session: Sessions, rng: np.random.Generator
    ) -> None:
        """Draw the patience; compute the logit's terms for the session's candidates."""
        low, high = self.users.patience
        state.patience[:] = rng.uniform(low, high, len(state.patience))
        state.taste_logit[:] = self._taste_terms(state.taste, session.candidates)
        state.intent_logit[:] = self._intent_terms(session, slice(None))
        self._rescore(state, session, slice(None))

    def attractiveness(self, state: LogisticUserState, session: Sessions) -> np.ndarray:
        """The appeal shrunk by fatigue: a new array every turn, so the relevance an env
        put in `info` never changes."""
        decay = ((1.0 - self.users.fatigue) ** session.turn).astype(np.float32)
        return state.appeal * decay[:, None]

    def preference(self, state: LogisticUserState, session: Sessions) -> np.ndarray:
        """The logit without novelty and familiarity: what the user thinks of an item,
        not how likely they are to have come across it."""
        return state.logit - self._familiarity_terms(session, slice(None))

    def transition(
        self, state: LogisticUserState, session: Sessions, response: Response
    ) -> None:
        """Shown items lose their novelty, clicked ones their appeal; patience is spent
        and refunded; tastes drift toward the clicks."""
        flat = response.flat
        appeal = np.where(session.clicked.take(flat), 0.0, _sigmoid(state.logit.take(flat)))
        state.appeal.put(flat, appeal)
        state.patience += self.users.click_refund * response.clicked_any - 1.0
        movers = np.flatnonzero(response.clicked_any)
        if len(movers):
            self._drift(state, session, movers, response.clicks[movers], response.items[movers])

    def leaves(
        self, state: LogisticUserState, session: Sessions, response: Response
    ) -> np.ndarray:
        return state.patience <= 0

    def refines(
        self,
        state: LogisticUserState,
        session: Sessions,
        response: Response,
        leaving: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        return (
            ~response.clicked_any
            & ~leaving
            & (session.refinements < self.users.max_refinements)
            & (rng.random(len(leaving)) < self.users.refine_probability)
        )

    def intent_changed(
        self, state: LogisticUserState, session: Sessions, rows: np.ndarray
    ) -> None:
        state.intent_logit[rows] = self._intent_terms(session, rows)
        self._rescore(state, session, rows)

    def fresh_problems(
        self, state: LogisticUserState, session: Sessions, rows: np.ndarray
    ) -> list[str]:
        """Patience in its initial range; terms, appeal and attractiveness those of the
        session's intent and of an undrifted taste, without fatigue."""
        low, high = self.users.patience
        taste_logit = self._taste_terms(state.taste[rows], session.candidates[rows])
        intent_logit = self._intent_terms(session, rows)
        novel = _sigmoid(intent_logit + taste_logit + self.weights.novelty)
        appeal = np.where(session.clicked[rows], 0.0, novel)
        return failing({
            "patience outside its initial range":
                (state.patience[rows] >= low) & (state.patience[rows] <= high),
            "intent terms that are not the intent's":
                np.isclose(state.intent_logit[rows], intent_logit, atol=1e-5),
            "taste terms that are not the taste's (a drift carried over)":
                np.isclose(state.taste_logit[rows], taste_logit, atol=1e-4),
            "an appeal that is not the fresh one":
                np.isclose(state.appeal[rows], appeal, atol=1e-5),
            "fatigue in the attractiveness": session.relevance[rows] == state.appeal[rows],
        })

    def _taste_terms(self, taste: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        return self.population.item_taste_scores(taste, candidates, self.weights.taste)

    def _intent_terms(self, session: Sessions, rows: slice | np.ndarray) -> np.ndarray:
        """The logit terms that only change with the intent (bias, graded match,
        mismatch penalty) or never within a session (item quality, familiarity)."""
        w = self.weights
        bias = np.float32(w.bias)
        logit = np.where(session.hard[rows], bias, bias - np.float32(w.mismatch))
        logit += w.intent * session.graded[rows]
        logit += self._quality_logit[session.candidates[rows]]
        logit += self._familiarity_terms(session, rows)
        return logit

    def _familiarity_terms(self, session: Sessions, rows: slice | np.ndarray) -> np.ndarray:
        if not self.weights.familiarity:
            return np.zeros((), np.float32)
        return self.population.familiarity.scores(
            session.profile[rows], session.candidates[rows], self.weights.familiarity)

    def _rescore(
        self, state: LogisticUserState, session: Sessions, rows: slice | np.ndarray
    ) -> None:
        """Recompute the appeal of `rows` after their intent or taste changed.

        The logistic function is evaluated here, not every turn: a turn only changes which
        candidates were seen or clicked, and `transition` applies that to the K shown ones.
        """
        logit = state.intent_logit[rows] + state.taste_logit[rows]
        state.logit[rows] = logit
        novel = np.where(session.seen[rows], logit, logit + self.weights.novelty)
        state.appeal[rows] = np.where(session.clicked[rows], 0.0, _sigmoid(novel))

    def _drift(
        self,
        state: LogisticUserState,
        session: Sessions,
        rows: np.ndarray,
        clicks: np.ndarray,
        items: np.ndarray,
    ) -> None:
        """Move the taste of `rows`, who clicked, toward what they clicked."""
        rate = self.users.drift
        if rate == 0:
            return
        weights = clicks.astype(np.float32)
        factors = np.take(self.population.item_factors, np.maximum(items, 0), axis=0)
        target = np.matmul(weights[:, None, :], factors)[:, 0]
        target /= weights.sum(axis=1, keepdims=True)
        taste = state.taste[rows]
        target *= _row_norm(taste) / _row_norm(target)
        taste = (1.0 - rate) * taste + rate * target
        state.taste[rows] = taste
        state.taste_logit[rows] = self._taste_terms(taste, session.candidates[rows])
        self._rescore(state, session, rows)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _row_norm(x: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row (plus 1e-8); what `np.linalg.norm` computes, sans overhead."""
    return np.sqrt((x * x).sum(axis=1, keepdims=True)) + 1e-8
