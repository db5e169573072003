"""Batched user sessions: the state of B users and one turn of their dynamics.

The single env is a batch of one and the vector env a batch of many, so both run this
code and are equal in distribution by construction. Every array has the users on axis 0;
a turn is a handful of numpy operations over (B, N) or (B, K) arrays, never a Python loop
over users.

Dynamics of one turn (user b, slate of K candidate positions):
1. Attractiveness of every candidate: a logistic function of the graded intent match,
   a penalty for breaking a hard constraint, the user's z-scored taste, item quality and
   novelty (not yet shown this session), shrunk by fatigue per turn played; zero for
   items the user already clicked (no re-clicks).
2. The click model turns the slate's attractiveness into clicks. A repeated index in
   the slate is an empty slot: nothing is shown there and it is never clicked.
3. Patience drops by 1 and is refunded by `click_refund` on a turn with a click; the
   session ends when it runs out. Clicked items join the history, tastes drift toward
   them, and a user who clicked nothing may refine the instruction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from ifr_sim.envs.world import World
from ifr_sim.instructions import IntentBatch, intent_match


@dataclass
class Sessions:
    """Mutable per-user state of B concurrent sessions (one row per user)."""

    profile: np.ndarray  # (B,) profile index
    taste: np.ndarray  # (B, d) current taste (drifts)
    intent_id: np.ndarray  # (B,) index into the world's intent bank
    intent: IntentBatch  # current (possibly refined) intent, B rows
    instruction: np.ndarray  # (B, L) uint8 UTF-8 bytes
    instruction_length: np.ndarray  # (B,)
    candidates: np.ndarray  # (B, N) item indices
    factors: np.ndarray  # (B, N, d) taste factors of the candidates
    taste_score: np.ndarray  # (B, N) z-scored taste for the candidates
    hard: np.ndarray  # (B, N) candidate satisfies the intent's hard constraints
    graded: np.ndarray  # (B, N) graded intent match in [0, 1]
    appeal_unseen: np.ndarray  # (B, N) appeal before fatigue, if not shown yet
    appeal_seen: np.ndarray  # (B, N) the same once shown (no novelty bonus)
    relevance: np.ndarray  # (B, N) current attractiveness, the ground-truth relevance
    seen: np.ndarray  # (B, N) shown earlier this session
    clicked: np.ndarray  # (B, N) clicked earlier (this session or in the warm history)
    history: np.ndarray  # (B, H) most recent clicked items first, -1 padded
    patience: np.ndarray  # (B,)
    turn: np.ndarray  # (B,) turns played
    refinements: np.ndarray  # (B,)
    total_clicks: np.ndarray  # (B,) satisfaction so far


@dataclass(frozen=True)
class TurnOutcome:
    """What happened in one turn, per user."""

    clicks: np.ndarray  # (B, K) bool
    reward: np.ndarray  # (B,) float
    terminated: np.ndarray  # (B,) bool: the user left
    shown: np.ndarray  # (B, K) bool: slot shows an item (False for a repeated index)
    slate_items: np.ndarray  # (B, K) item indices shown (-1 for empty slots)
    refined: np.ndarray  # (B,) bool: the user refined the instruction for the next turn


class SessionSimulator:
    """Starts sessions and plays turns for a batch of users of one `World`."""

    def __init__(self, world: World) -> None:
        self.world = world
        config = world.config
        self.num_candidates = config.num_candidates
        self.slate_size = config.slate_size
        self.history_length = config.history_length
        self.profiles = world.users.profiles(config.split)

    def start(self, rng: np.random.Generator, batch: int) -> Sessions:
        """Fresh sessions for `batch` users."""
        world, cfg = self.world, self.world.config.users
        bank, users = world.bank, world.users
        profile = self.profiles[rng.integers(0, len(self.profiles), batch)]
        noise = rng.normal(0.0, cfg.taste_noise, (batch, users.taste.shape[1]))
        taste = (users.taste[profile] + noise * _row_norm(users.taste[profile])).astype(np.float32)
        intent_id, rendering = bank.choose(rng, users.affinity[profile], cfg.intent_temperature)
        candidates = world.candidates.sample(
            rng, bank.pools[intent_id], bank.pool_counts[intent_id]
        )
        intent = _take(bank.batch, intent_id)
        match = intent_match(world.catalog, intent, candidates)
        history = self._warm_history(rng, profile)
        clicked = (candidates[:, :, None] == history[:, None, :]).any(axis=2)
        factors = users.item_factors[candidates]
        empty = np.zeros(candidates.shape, np.float32)
        s = Sessions(
            profile=profile,
            taste=taste,
            intent_id=intent_id,
            intent=intent,
            instruction=bank.text_bytes[intent_id, rendering].copy(),
            instruction_length=bank.text_lengths[intent_id, rendering].copy(),
            candidates=candidates,
            factors=factors,
            taste_score=users.taste_scores(taste, factors),
            hard=match.hard,
            graded=match.graded,
            appeal_unseen=empty,
            appeal_seen=empty.copy(),
            relevance=empty.copy(),
            seen=np.zeros_like(candidates, dtype=bool),
            clicked=clicked,
            history=history,
            patience=rng.uniform(*cfg.patience, batch),
            turn=np.zeros(batch, np.int64),
            refinements=np.zeros(batch, np.int64),
            total_clicks=np.zeros(batch, np.int64),
        )
        self._rescore(s, slice(None))
        self._refresh(s)
        return s

    def _rescore(self, s: Sessions, rows: slice | np.ndarray) -> None:
        """Recompute the appeal of `rows` after their intent or taste changed.

        The logistic model is evaluated here, not every turn: a turn only changes which
        candidates were seen or clicked, and `_refresh` applies that without an exp.
        """
        w = self.world.config.attractiveness
        quality = self.world.catalog.quality[s.candidates[rows]]
        logit = (
            w.bias
            + w.intent * s.graded[rows]
            - w.mismatch * ~s.hard[rows]
            + w.taste * s.taste_score[rows]
            + w.quality * (2.0 * quality - 1.0)
        ).astype(np.float32)
        s.appeal_seen[rows] = 1.0 / (1.0 + np.exp(-logit))
        s.appeal_unseen[rows] = 1.0 / (1.0 + np.exp(-(logit + w.novelty)))

    def _refresh(self, s: Sessions) -> None:
        """Current attractiveness: novelty, fatigue and no re-clicks applied."""
        decay = ((1.0 - self.world.config.users.fatigue) ** s.turn).astype(np.float32)
        appeal = np.where(s.seen, s.appeal_seen, s.appeal_unseen)
        appeal *= decay[:, None]
        appeal[s.clicked] = 0.0
        s.relevance = appeal

    def oracle_slate(self, relevance: np.ndarray) -> np.ndarray:
        """(B, K) candidate positions of the K most attractive candidates, best first."""
        top = np.argpartition(-relevance, self.slate_size - 1, axis=1)[:, : self.slate_size]
        order = np.argsort(-np.take_along_axis(relevance, top, axis=1), axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1)

    def play(self, s: Sessions, slates: np.ndarray, rng: np.random.Generator) -> TurnOutcome:
        """Show each user a slate (B, K) of candidate positions; update `s` in place."""
        world, cfg = self.world, self.world.config
        rows = np.arange(len(slates))[:, None]
        shown = first_occurrences(slates)
        appeal = s.relevance[rows, slates] * shown
        clicks = world.clicks.sample(appeal, rng)
        items = np.where(shown, s.candidates[rows, slates], -1)
        satisfied = s.hard[rows, slates] & clicks
        reward = cfg.reward.click * clicks.sum(axis=1) + cfg.reward.intent_bonus * satisfied.sum(1)

        s.seen[rows, slates] = True
        s.clicked[rows, slates] |= clicks
        any_click = clicks.any(axis=1)
        s.total_clicks += clicks.sum(axis=1)
        s.turn += 1
        s.patience += cfg.users.click_refund * any_click - 1.0
        terminated = s.patience <= 0
        self._push_history(s, np.where(clicks, items, -1))
        self._drift(s, clicks, items)

        wants_refine = (
            ~any_click
            & ~terminated
            & (s.refinements < cfg.users.max_refinements)
            & (rng.random(len(slates)) < cfg.users.refine_probability)
        )
        refined = np.flatnonzero(wants_refine)
        if len(refined):
            self._refine(s, refined, items[refined], rng)
        self._refresh(s)
        return TurnOutcome(
            clicks=clicks,
            reward=reward.astype(np.float32),
            terminated=terminated,
            shown=shown,
            slate_items=items,
            refined=wants_refine,
        )

    def observe(self, s: Sessions) -> dict[str, np.ndarray]:
        """The agent's view: instruction bytes, candidates, what was shown, history, turn."""
        return {
            "instruction": s.instruction.copy(),
            "candidates": s.candidates.copy(),
            "history": s.history.copy(),
            "shown": s.seen.astype(np.int8),
            "turn": s.turn[:, None].copy(),
        }

    def _warm_history(self, rng: np.random.Generator, profile: np.ndarray) -> np.ndarray:
        cfg = self.world.config.users
        history = np.full((len(profile), self.history_length), -1, np.int64)
        count = min(cfg.warm_history, self.history_length)
        warm = np.flatnonzero(rng.random(len(profile)) < cfg.warm_share)
        if count and len(warm):
            liked = self.world.users.liked[profile[warm]]
            keys = np.where(liked >= 0, rng.random(liked.shape), np.inf)
            picks = np.argsort(keys, axis=1)[:, :count]
            history[warm, :count] = np.take_along_axis(liked, picks, axis=1)
        return history

    def _push_history(self, s: Sessions, clicked_items: np.ndarray) -> None:
        """Prepend this turn's clicks (in slate order) to the history, newest first."""
        combined = np.concatenate([clicked_items, s.history], axis=1)
        keep = np.argsort(combined < 0, axis=1, kind="stable")[:, : self.history_length]
        s.history = np.take_along_axis(combined, keep, axis=1)

    def _drift(self, s: Sessions, clicks: np.ndarray, items: np.ndarray) -> None:
        """Move the taste of users who clicked toward what they clicked."""
        rate = self.world.config.users.drift
        movers = np.flatnonzero(clicks.any(axis=1))
        if rate == 0 or not len(movers):
            return
        factors = self.world.users.item_factors[np.maximum(items[movers], 0)]
        weights = clicks[movers, :, None].astype(np.float32)
        target = (factors * weights).sum(axis=1) / weights.sum(axis=1)
        taste = s.taste[movers]
        target *= _row_norm(taste) / _row_norm(target)
        s.taste[movers] = (1.0 - rate) * taste + rate * target
        s.taste_score[movers] = self.world.users.taste_scores(s.taste[movers], s.factors[movers])
        self._rescore(s, movers)

    def _refine(
        self, s: Sessions, rows: np.ndarray, shown_items: np.ndarray, rng: np.random.Generator
    ) -> None:
        language = self.world.language
        new_intent, said = language.refine(_take(s.intent, rows), shown_items, rng)
        _put(s.intent, rows, new_intent)
        match = intent_match(self.world.catalog, new_intent, s.candidates[rows])
        s.hard[rows], s.graded[rows] = match.hard, match.graded
        s.refinements[rows] += 1
        self._rescore(s, rows)
        for row, text in zip(rows, said, strict=True):
            _append_text(s, row, (" " + text).encode("utf-8"))


def first_occurrences(slates: np.ndarray) -> np.ndarray:
    """(B, K) True where a slate position holds the first occurrence of its index."""
    earlier = slates[:, :, None] == slates[:, None, :]
    return ~np.tril(earlier, k=-1).any(axis=2)


def _row_norm(x: np.ndarray) -> np.ndarray:
    return np.linalg.norm(x, axis=1, keepdims=True) + 1e-8


def _take(batch: IntentBatch, rows: np.ndarray) -> IntentBatch:
    return replace(batch, **{f.name: getattr(batch, f.name)[rows].copy() for f in fields(batch)})


def _put(batch: IntentBatch, rows: np.ndarray, values: IntentBatch) -> None:
    for f in fields(batch):
        getattr(batch, f.name)[rows] = getattr(values, f.name)


def _append_text(s: Sessions, row: int, text: bytes) -> None:
    """Append a refinement utterance to the instruction, cut to the byte budget."""
    start = int(s.instruction_length[row])
    room = s.instruction.shape[1] - start
    data = text[:room].decode("utf-8", errors="ignore").encode("utf-8")
    s.instruction[row, start : start + len(data)] = np.frombuffer(data, np.uint8)
    s.instruction_length[row] = start + len(data)
