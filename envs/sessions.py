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

How it is computed, so that a batch of one rarely pays numpy's per-call overhead:
- sessions start in blocks of at least `START_BLOCK` and are served in order (they are
  i.i.d. and independent of play, so drawing them ahead changes no distribution);
- the logistic model is evaluated only when a user's intent or taste changes
  (`_rescore`), with its intent and taste terms kept apart so that each change
  recomputes one of them;
- a turn only changes the K shown candidates of a user, so it updates those K entries
  of the attractiveness before fatigue (`Sessions.appeal`) and scales that by the
  turn's fatigue: no turn re-evaluates all N candidates.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields

import numpy as np

from ifr_sim.core.config import ConfigError
from ifr_sim.core.instructions import IntentBatch, intent_match
from ifr_sim.envs.intent_bank import utf8_prefix
from ifr_sim.envs.reward import position_rewards
from ifr_sim.envs.spaces import MAX_TURN
from ifr_sim.envs.world import World

_INTENT_FIELDS = tuple(f.name for f in fields(IntentBatch))

START_BLOCK = 32
"""Fewest sessions started at a time; later requests are served from the block."""


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
    taste_logit: np.ndarray  # (B, N) float32 taste term of the logit (weight x z-score)
    hard: np.ndarray  # (B, N) candidate satisfies the intent's hard constraints
    intent_logit: np.ndarray  # (B, N) float32 logit terms but taste and novelty (`_match`)
    logit: np.ndarray  # (B, N) float32 logit of the appeal, without the novelty bonus
    appeal: np.ndarray  # (B, N) appeal before fatigue: novelty if unseen, 0 once clicked
    relevance: np.ndarray  # (B, N) current attractiveness, the ground-truth relevance
    seen: np.ndarray  # (B, N) shown earlier this session
    clicked: np.ndarray  # (B, N) clicked earlier (this session or in the warm history)
    history: np.ndarray  # (B, H) most recent clicked items first, -1 padded
    patience: np.ndarray  # (B,)
    turn: np.ndarray  # (B,) turns played
    refinements: np.ndarray  # (B,)
    total_clicks: np.ndarray  # (B,) satisfaction so far


_SESSION_FIELDS = tuple(f.name for f in fields(Sessions))


@dataclass(frozen=True)
class TurnOutcome:
    """What happened in one turn, per user."""

    clicks: np.ndarray  # (B, K) bool
    position_rewards: np.ndarray  # (B, K) reward earned at each slate position
    reward: np.ndarray  # (B,) float: their sum
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
        self._warm_count = min(config.users.warm_history, config.history_length)
        self.profiles = world.users.profiles(config.split)
        if not len(self.profiles):
            total = len(world.users.taste)
            raise ConfigError(
                f"users.heldout_share={config.users.heldout_share} leaves no {config.split!r} "
                f"users among the {total} profiles; use a share in [{1 / total:.3g}, "
                f"{1 - 1 / total:.3g}]"
            )
        # Tabulate what depends on the profile or the item only, once.
        self._category_cdf = world.bank.category_cdf(
            world.users.affinity, config.users.intent_temperature
        )
        w = config.attractiveness
        self._quality_logit = (w.quality * (2.0 * world.catalog.quality - 1.0)).astype(np.float32)
        self._taste_weight = w.taste
        self._block: Sessions | None = None  # sessions started ahead, served in order
        self._block_rng: np.random.Generator | None = None
        self._served = 0

    def start(self, rng: np.random.Generator, batch: int) -> Sessions:
        """Fresh sessions for `batch` users, the next ones of a block drawn from `rng`.

        A block too short for the request is replaced by a new one of at least
        `START_BLOCK` sessions; so is a block drawn from another generator (a reseed), so
        that one seed always gives one sequence of sessions.
        """
        block = self._block
        if block is None or rng is not self._block_rng or len(block.profile) - self._served < batch:
            block = self._start(rng, max(batch, START_BLOCK))
            self._block, self._block_rng, self._served = block, rng, 0
        rows = slice(self._served, self._served + batch)
        self._served += batch
        return _rows(block, rows)

    def _start(self, rng: np.random.Generator, batch: int) -> Sessions:
        """`batch` fresh sessions, drawn now."""
        world, cfg = self.world, self.world.config.users
        bank, users = world.bank, world.users
        profile = self.profiles[rng.integers(0, len(self.profiles), batch)]
        base = users.taste[profile]
        noise = rng.normal(0.0, cfg.taste_noise, (batch, base.shape[1]))
        taste = (base + noise * _row_norm(base)).astype(np.float32)
        intent_id, rendering = bank.choose(rng, self._category_cdf[profile])
        candidates = world.candidates.sample(
            rng, bank.pools[intent_id], bank.pool_counts[intent_id]
        )
        intent = _take(bank.batch, intent_id)
        history = self._warm_history(rng, profile)
        hard, intent_logit = self._match(intent, candidates)
        s = Sessions(
            profile=profile,
            taste=taste,
            intent_id=intent_id,
            intent=intent,
            instruction=bank.text_bytes[intent_id, rendering],
            instruction_length=bank.text_lengths[intent_id, rendering],
            candidates=candidates,
            taste_logit=users.item_taste_scores(taste, candidates, self._taste_weight),
            hard=hard,
            intent_logit=intent_logit,
            logit=np.empty(candidates.shape, np.float32),
            appeal=np.empty(candidates.shape, np.float32),
            relevance=np.empty(candidates.shape, np.float32),
            seen=np.zeros(candidates.shape, bool),
            clicked=_in_history(candidates, history[:, : self._warm_count]),
            history=history,
            patience=rng.uniform(cfg.patience[0], cfg.patience[1], batch),
            turn=np.zeros(batch, np.int64),
            refinements=np.zeros(batch, np.int64),
            total_clicks=np.zeros(batch, np.int64),
        )
        self._rescore(s, slice(None))
        self._refresh(s)
        return s

    def _match(self, intent: IntentBatch, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hard match of the candidates to the intent, and the logit terms that only
        change with the intent: bias, graded match, mismatch penalty and item quality."""
        w = self.world.config.attractiveness
        match = intent_match(self.world.catalog, intent, candidates)
        bias = np.float32(w.bias)
        logit = np.where(match.hard, bias, bias - np.float32(w.mismatch))
        logit += w.intent * match.graded
        logit += self._quality_logit[candidates]
        return match.hard, logit

    def _rescore(self, s: Sessions, rows: slice | np.ndarray) -> None:
        """Recompute the appeal of `rows` after their intent or taste changed.

        The logistic model is evaluated here, not every turn: a turn only changes which
        candidates were seen or clicked, and `play` applies that to the K shown ones.
        """
        w = self.world.config.attractiveness
        logit = s.intent_logit[rows] + s.taste_logit[rows]
        s.logit[rows] = logit
        novel = np.where(s.seen[rows], logit, logit + w.novelty)
        s.appeal[rows] = np.where(s.clicked[rows], 0.0, _sigmoid(novel))

    def _refresh(self, s: Sessions) -> None:
        """Current attractiveness: fatigue applied to the appeal.

        A new array every turn, so the relevance an env put in `info` never changes.
        """
        decay = ((1.0 - self.world.config.users.fatigue) ** s.turn).astype(np.float32)
        s.relevance = s.appeal * decay[:, None]

    def oracle_slate(self, relevance: np.ndarray) -> np.ndarray:
        """(B, K) candidate positions of the K most attractive candidates, best first."""
        rows = np.arange(len(relevance))[:, None]
        top = np.argpartition(-relevance, self.slate_size - 1, axis=1)[:, : self.slate_size]
        order = np.argsort(-relevance[rows, top], axis=1, kind="stable")
        return top[rows, order]

    def play(self, s: Sessions, slates: np.ndarray, rng: np.random.Generator) -> TurnOutcome:
        """Show each user a slate (B, K) of candidate positions; update `s` in place."""
        world, cfg = self.world, self.world.config
        batch, n = s.relevance.shape
        flat = slates + np.arange(0, batch * n, n)[:, None]  # into the raveled (B, N) arrays
        shown = first_occurrences(slates)
        clicks = world.clicks.sample(s.relevance.take(flat) * shown, rng)
        items = np.where(shown, s.candidates.take(flat), -1)
        user_clicks = clicks.sum(axis=1)
        earned = position_rewards(clicks, s.hard.take(flat), cfg.reward)

        s.seen.put(flat, True)
        s.clicked.put(flat[clicks], True)
        s.appeal.put(flat, np.where(s.clicked.take(flat), 0.0, _sigmoid(s.logit.take(flat))))
        any_click = user_clicks > 0
        s.total_clicks += user_clicks
        s.turn += 1
        s.patience += cfg.users.click_refund * any_click - 1.0
        terminated = s.patience <= 0
        movers = np.flatnonzero(any_click)
        if len(movers):
            self._push_history(s, movers, np.where(clicks[movers], items[movers], -1))
            self._drift(s, movers, clicks[movers], items[movers])

        wants_refine = (
            ~any_click
            & ~terminated
            & (s.refinements < cfg.users.max_refinements)
            & (rng.random(batch) < cfg.users.refine_probability)
        )
        refined = np.flatnonzero(wants_refine)
        if len(refined):
            self._refine(s, refined, items[refined], rng)
        self._refresh(s)
        return TurnOutcome(
            clicks=clicks,
            position_rewards=earned,
            reward=earned.sum(axis=1),
            terminated=terminated,
            shown=shown,
            slate_items=items,
            refined=wants_refine,
        )

    def fresh_problems(self, s: Sessions, rows: np.ndarray) -> list[str]:
        """How the sessions in `rows` differ from sessions just started ([] if they do not).

        Run on users whose session restarted, it catches state carried over from the
        ended session: turns (hence fatigue), clicks, shown items, history beyond the warm
        start, a refined intent or instruction, a drifted taste, a stale attractiveness.
        """
        users, bank = self.world.users, self.world.bank
        low, high = self.world.config.users.patience
        warm = self._warm_count
        intent = _take(s.intent, rows)
        candidates, taste, clicked = s.candidates[rows], s.taste[rows], s.clicked[rows]
        started = _take(bank.batch, s.intent_id[rows])
        hard, intent_logit = self._match(started, candidates)
        taste_logit = users.item_taste_scores(taste, candidates, self._taste_weight)
        novelty = self.world.config.attractiveness.novelty
        appeal = np.where(clicked, 0.0, _sigmoid(intent_logit + taste_logit + novelty))
        renderings = bank.text_bytes[s.intent_id[rows]]  # (B, RENDERINGS, L)
        checks = {
            "turns played (fatigue carried over)": s.turn[rows] == 0,
            "clicks counted": s.total_clicks[rows] == 0,
            "refinements counted": s.refinements[rows] == 0,
            "candidates marked as shown": ~s.seen[rows],
            "history beyond the warm start": s.history[rows, warm:] == -1,
            "clicked items outside the warm history":
                clicked == _in_history(candidates, s.history[rows, :warm]),
            "patience outside its initial range":
                (s.patience[rows] >= low) & (s.patience[rows] <= high),
            "a profile outside the split": np.isin(s.profile[rows], self.profiles),
            "an intent other than the bank's (a refinement carried over)": [
                np.array_equal(getattr(intent, name), getattr(started, name))
                for name in _INTENT_FIELDS
            ],
            "an instruction that is not one of the intent's renderings":
                (renderings == s.instruction[rows][:, None]).all(axis=2).any(axis=1),
            "a hard match that is not the intent's": s.hard[rows] == hard,
            "intent terms that are not the intent's":
                np.isclose(s.intent_logit[rows], intent_logit, atol=1e-5),
            "taste terms that are not the taste's (a drift carried over)":
                np.isclose(s.taste_logit[rows], taste_logit, atol=1e-4),
            "an appeal that is not the fresh one": np.isclose(s.appeal[rows], appeal, atol=1e-5),
            "fatigue in the attractiveness": s.relevance[rows] == s.appeal[rows],
        }
        return [what for what, ok in checks.items() if not np.all(ok)]

    def observe(self, s: Sessions, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The agent's view of every user (or of `rows`), as fresh arrays.

        Instruction bytes, candidates, what was shown, history, and turns played (capped
        at `MAX_TURN`, the bound of the observation space).
        """
        if rows is None:
            rows = np.arange(len(s.turn))
        return {  # indexing with an array copies
            "instruction": s.instruction[rows],
            "candidates": s.candidates[rows],
            "history": s.history[rows],
            "shown": s.seen[rows].view(np.int8),
            "turn": np.minimum(s.turn[rows], MAX_TURN)[:, None],
        }

    def _warm_history(self, rng: np.random.Generator, profile: np.ndarray) -> np.ndarray:
        cfg = self.world.config.users
        history = np.full((len(profile), self.history_length), -1, np.int64)
        count = self._warm_count
        warm = np.flatnonzero(rng.random(len(profile)) < cfg.warm_share)
        if count and len(warm):
            liked = self.world.users.liked[profile[warm]]
            keys = np.where(liked >= 0, rng.random(liked.shape), np.inf)
            picks = np.argsort(keys, axis=1)[:, :count]
            history[warm, :count] = liked[np.arange(len(warm))[:, None], picks]
        return history

    def _push_history(self, s: Sessions, rows: np.ndarray, clicked_items: np.ndarray) -> None:
        """Prepend the clicks of `rows` (in slate order, -1 if none) to their history."""
        combined = np.concatenate([clicked_items, s.history[rows]], axis=1)
        keep = np.argsort(combined < 0, axis=1, kind="stable")[:, : self.history_length]
        s.history[rows] = combined[np.arange(len(rows))[:, None], keep]

    def _drift(self, s: Sessions, rows: np.ndarray, clicks: np.ndarray, items: np.ndarray) -> None:
        """Move the taste of `rows`, who clicked, toward what they clicked."""
        rate = self.world.config.users.drift
        if rate == 0:
            return
        users = self.world.users
        weights = clicks.astype(np.float32)
        factors = np.take(users.item_factors, np.maximum(items, 0), axis=0)
        target = np.matmul(weights[:, None, :], factors)[:, 0]
        target /= weights.sum(axis=1, keepdims=True)
        taste = s.taste[rows]
        target *= _row_norm(taste) / _row_norm(target)
        taste = (1.0 - rate) * taste + rate * target
        s.taste[rows] = taste
        s.taste_logit[rows] = users.item_taste_scores(
            taste, s.candidates[rows], self._taste_weight
        )
        self._rescore(s, rows)

    def _refine(
        self, s: Sessions, rows: np.ndarray, shown_items: np.ndarray, rng: np.random.Generator
    ) -> None:
        language = self.world.language
        new_intent, said = language.refine(_take(s.intent, rows), shown_items, rng)
        _put(s.intent, rows, new_intent)
        s.hard[rows], s.intent_logit[rows] = self._match(new_intent, s.candidates[rows])
        s.refinements[rows] += 1
        self._rescore(s, rows)
        _append_texts(s, rows, [" " + text for text in said])


def first_occurrences(slates: np.ndarray) -> np.ndarray:
    """(B, K) True where a slate position holds the first occurrence of its index."""
    same = slates[:, :, None] == slates[:, None, :]
    return ~(same & _earlier_positions(slates.shape[1])).any(axis=2)


@functools.cache
def _earlier_positions(slate_size: int) -> np.ndarray:
    """(K, K) mask of the positions j < k, built once per slate size."""
    return np.tri(slate_size, k=-1, dtype=bool)


def _in_history(candidates: np.ndarray, history: np.ndarray) -> np.ndarray:
    """(B, N): each candidate is among its user's `history` items (-1 matches none).

    A loop over the few history columns: cheaper than one (B, N, H) comparison.
    """
    found = np.zeros(candidates.shape, bool)
    for column in history.T:
        found |= candidates == column[:, None]
    return found


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _row_norm(x: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row (plus 1e-8); what `np.linalg.norm` computes, sans overhead."""
    return np.sqrt((x * x).sum(axis=1, keepdims=True)) + 1e-8


def _rows(s: Sessions, rows: slice) -> Sessions:
    """Rows `rows` of `s` (views)."""
    values = {name: getattr(s, name)[rows] for name in _SESSION_FIELDS if name != "intent"}
    return Sessions(intent=_take(s.intent, rows), **values)


def _take(batch: IntentBatch, rows: np.ndarray | slice) -> IntentBatch:
    """Rows `rows` of `batch`, as a new batch (of copies for an index array)."""
    return IntentBatch(**{name: getattr(batch, name)[rows] for name in _INTENT_FIELDS})


def replace_rows(s: Sessions, rows: np.ndarray, fresh: Sessions) -> None:
    """Overwrite the sessions in `rows` with `fresh` ones, in place (autoreset)."""
    for name in _SESSION_FIELDS:
        if name == "intent":
            _put(s.intent, rows, fresh.intent)
        else:
            getattr(s, name)[rows] = getattr(fresh, name)


def _put(batch: IntentBatch, rows: np.ndarray, values: IntentBatch) -> None:
    for name in _INTENT_FIELDS:
        getattr(batch, name)[rows] = getattr(values, name)


def _append_texts(s: Sessions, rows: np.ndarray, texts: list[str]) -> None:
    """Append a refinement utterance to the instruction of each of `rows`, cut to the
    byte budget.

    The bytes go through a flat memoryview of the (C-contiguous) instruction array: a
    numpy slice assignment per row would cost several times the copy itself.
    """
    budget = s.instruction.shape[1]
    flat = s.instruction.data.cast("B")
    lengths = []
    starts = s.instruction_length[rows].tolist()
    for row, start, text in zip(rows.tolist(), starts, texts, strict=True):
        data = utf8_prefix(text, budget - start)
        begin = row * budget + start
        flat[begin : begin + len(data)] = data
        lengths.append(start + len(data))
    s.instruction_length[rows] = lengths
