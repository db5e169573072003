"""Batched sessions: B users of one world, started and played one turn at a time.

The single env is a batch of one and the vector env a batch of many, so both run this
code and are equal in distribution by construction. Every array has the users on axis 0;
a turn is a handful of numpy operations over (B, N) or (B, K) arrays, never a Python loop
over users.

The simulator owns the session and composes the world's parts (RecSim's separation):
- start: a profile per user (from the split), the user model's `initial_state`, an
  intent chosen by the profile's category affinity, with one of its renderings, the
  candidate generator's candidates, a warm click history for some users, and the user
  model's `start`;
- turn: the user model's attractiveness of the K shown candidates goes through the click
  model; the slate is recorded (a repeated index in the slate is an empty slot: nothing
  is shown there and it is never clicked); the reward is a plain function of the clicks;
  the user model updates its state, says who leaves and who refines, and the instruction
  language rewords the refined intents. The order is in `UserModel`'s docstring.

Sessions start in blocks of at least `START_BLOCK` and are served in order (they are
i.i.d. and independent of play, so drawing them ahead changes no distribution), so that
a batch of one rarely pays numpy's per-call overhead.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ifr_sim.core.config import ConfigError
from ifr_sim.core.instructions import intent_match
from ifr_sim.envs.freshness import session_problems
from ifr_sim.envs.intent_bank import utf8_prefix
from ifr_sim.envs.reward import position_rewards
from ifr_sim.envs.session_state import Sessions, in_history, put_rows, take_rows
from ifr_sim.envs.spaces import MAX_TURN
from ifr_sim.envs.user_model import Response
from ifr_sim.envs.world import World

START_BLOCK = 32
"""Fewest sessions started at a time; later requests are served from the block."""


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
        self.user_model = world.user_model
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
        # Depends on the profile only: tabulated once.
        self._category_cdf = world.bank.category_cdf(
            world.users.affinity, config.users.intent_temperature
        )
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
        return take_rows(block, rows)

    def _start(self, rng: np.random.Generator, batch: int) -> Sessions:
        """`batch` fresh sessions, drawn now."""
        world, bank = self.world, self.world.bank
        profile = self.profiles[rng.integers(0, len(self.profiles), batch)]
        user = self.user_model.initial_state(profile, rng)
        intent_id, rendering = bank.choose(rng, self._category_cdf[profile])
        candidates = world.candidates.sample(
            rng, bank.pools[intent_id], bank.pool_counts[intent_id]
        )
        if candidates.shape != (batch, world.config.num_candidates):
            raise ValueError(
                f"{type(world.candidates).__name__}.sample returned candidates of shape "
                f"{candidates.shape}; return num_candidates item indices per session, shape "
                f"{(batch, world.config.num_candidates)}"
            )
        intent = take_rows(bank.batch, intent_id)
        history = self._warm_history(rng, profile)
        match = intent_match(world.catalog, intent, candidates)
        s = Sessions(
            profile=profile,
            intent_id=intent_id,
            intent=intent,
            instruction=bank.text_bytes[intent_id, rendering],
            instruction_length=bank.text_lengths[intent_id, rendering],
            candidates=candidates,
            hard=match.hard,
            graded=match.graded,
            relevance=np.zeros(candidates.shape, np.float32),
            seen=np.zeros(candidates.shape, bool),
            clicked=in_history(candidates, history[:, : self._warm_count]),
            history=history,
            turn=np.zeros(batch, np.int64),
            refinements=np.zeros(batch, np.int64),
            total_clicks=np.zeros(batch, np.int64),
            user=user,
        )
        self.user_model.start(user, s, rng)
        s.relevance = self._attractiveness(s)
        return s

    def _attractiveness(self, s: Sessions) -> np.ndarray:
        """The user model's attractiveness, checked for its shape."""
        relevance = self.user_model.attractiveness(s.user, s)
        if relevance.shape != s.candidates.shape:
            raise ValueError(
                f"{type(self.user_model).__name__}.attractiveness returned shape "
                f"{relevance.shape}; return one value in [0, 1] per user and candidate, shape "
                f"{s.candidates.shape}"
            )
        return relevance

    def oracle_slate(self, relevance: np.ndarray) -> np.ndarray:
        """(B, K) candidate positions of the K most attractive candidates, best first."""
        rows = np.arange(len(relevance))[:, None]
        top = np.argpartition(-relevance, self.slate_size - 1, axis=1)[:, : self.slate_size]
        order = np.argsort(-relevance[rows, top], axis=1, kind="stable")
        return top[rows, order]

    def play(self, s: Sessions, slates: np.ndarray, rng: np.random.Generator) -> TurnOutcome:
        """Show each user a slate (B, K) of candidate positions; update `s` in place."""
        world, model = self.world, self.user_model
        batch, n = s.relevance.shape
        flat = slates + np.arange(0, batch * n, n)[:, None]  # into the raveled (B, N) arrays
        shown = first_occurrences(slates)
        clicks = world.clicks.sample(s.relevance.take(flat) * shown, rng)
        items = np.where(shown, s.candidates.take(flat), -1)
        user_clicks = clicks.sum(axis=1)
        earned = position_rewards(clicks, s.hard.take(flat), world.config.reward)

        s.seen.put(flat, True)
        s.clicked.put(flat[clicks], True)
        any_click = user_clicks > 0
        s.total_clicks += user_clicks
        s.turn += 1
        movers = np.flatnonzero(any_click)
        if len(movers):
            self._push_history(s, movers, np.where(clicks[movers], items[movers], -1))

        response = Response(positions=slates, flat=flat, shown=shown, items=items,
                            clicks=clicks, clicked_any=any_click)
        model.transition(s.user, s, response)
        terminated = _per_user(model.leaves(s.user, s, response), batch, model, "leaves")
        wants_refine = _per_user(
            model.refines(s.user, s, response, terminated, rng), batch, model, "refines"
        )
        refined = np.flatnonzero(wants_refine)
        if len(refined):
            self._refine(s, refined, items[refined], rng)
        s.relevance = self._attractiveness(s)
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
        ended session, in the simulator's part and in the user model's.
        """
        return session_problems(self.world, self.profiles, self._warm_count, s, rows) + (
            self.user_model.fresh_problems(s.user, s, rows)
        )

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

    def _refine(
        self, s: Sessions, rows: np.ndarray, shown_items: np.ndarray, rng: np.random.Generator
    ) -> None:
        """The instruction language rewords the intents of `rows`; the user model learns
        their new match."""
        world = self.world
        new_intent, said = world.language.refine(take_rows(s.intent, rows), shown_items, rng)
        put_rows(s.intent, rows, new_intent)
        match = intent_match(world.catalog, new_intent, s.candidates[rows])
        s.hard[rows], s.graded[rows] = match.hard, match.graded
        s.refinements[rows] += 1
        self.user_model.intent_changed(s.user, s, rows)
        _append_texts(s, rows, [" " + text for text in said])


def replace_rows(s: Sessions, rows: np.ndarray, fresh: Sessions) -> None:
    """Overwrite the sessions in `rows` with `fresh` ones, in place (autoreset)."""
    put_rows(s, rows, fresh)


def _per_user(decisions: np.ndarray, batch: int, model: object, method: str) -> np.ndarray:
    """A user model's per-user decision, checked: one bool per user."""
    if decisions.shape != (batch,) or decisions.dtype != bool:
        raise ValueError(
            f"{type(model).__name__}.{method} returned {decisions.dtype} of shape "
            f"{decisions.shape}; return one bool per user, shape ({batch},)"
        )
    return decisions


def first_occurrences(slates: np.ndarray) -> np.ndarray:
    """(B, K) True where a slate position holds the first occurrence of its index."""
    same = slates[:, :, None] == slates[:, None, :]
    return ~(same & _earlier_positions(slates.shape[1])).any(axis=2)


@functools.cache
def _earlier_positions(slate_size: int) -> np.ndarray:
    """(K, K) mask of the positions j < k, built once per slate size."""
    return np.tri(slate_size, k=-1, dtype=bool)


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
