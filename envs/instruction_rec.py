"""`ifr_sim/InstructionRec-v1`: one simulated user session per episode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ifr_sim.core.instructions import Intent
from ifr_sim.envs.config import DEFAULT_PRESET, WorldConfig, world_config_from_kwargs
from ifr_sim.envs.render import render_image, render_text, turn_view
from ifr_sim.envs.sessions import Sessions, SessionSimulator, TurnOutcome
from ifr_sim.envs.spaces import action_space, check_slates, decode_instruction, observation_space
from ifr_sim.envs.world import build_world

Observation = dict[str, np.ndarray]


class InstructionRecEnv(gym.Env[Observation, np.ndarray]):
    """A user tells the recommender what they want in words, then clicks or skips slates.

    ## Description
    Each episode is one session of a simulated user. The user forms an intent consistent
    with their taste (favourite categories are likelier), says it as a natural-language
    instruction, and is shown `num_candidates` (N) candidate items. Every turn the agent
    recommends a slate of `slate_size` (K) of them; the user clicks according to the click
    model, grows tired, may refine the instruction ("No, not horror."), and leaves when
    out of patience.

    ## Action Space
    `MultiDiscrete([N] * K)`: K positions into the candidate list, best first. A position
    repeated within a slate is an *empty slot*: the item is shown once (at its first
    position) and the later slots show nothing and are never clicked, so duplicates only
    waste room. `step` raises a `ValueError` that says what is wrong for an action of
    another shape, of a dtype that is not an integer (floats, booleans, text) or with a
    position outside [0, N).

    ## Observation Space
    A `Dict` that stable-baselines3 accepts (no `Text` space, no nesting):
    - `instruction`: `Box(0, 255, (L,), uint8)`, the instruction's UTF-8 bytes, zero padded
      (cut at a character boundary if longer; `decode_instruction` turns it back to text).
      The env holds no tokenizer: the agent chooses how to read text.
    - `candidates`: `Box(0, n_items - 1, (N,), int64)`, catalog indices of the candidates.
    - `history`: `Box(-1, n_items - 1, (H,), int64)`, the user's clicked items, newest
      first, -1 padded (warm users start with some).
    - `shown`: `MultiBinary(N)`, 1 for candidates shown in an earlier turn of the session
      (the recommender knows what it showed; users find those less novel).
    - `turn`: `Box(0, 10000, (1,), int64)`, turns already played this session.
    Item indices stay below 2**24, so SB3's float32 cast of observations is exact.

    ## Rewards
    `reward.click` per click plus `reward.intent_bonus` per clicked item that satisfies the
    intent's hard constraints (defaults 1 and 0: the reward is the number of clicks).

    ## Episode End
    Terminated when the user runs out of patience. Truncation is left to the `TimeLimit`
    wrapper (`max_episode_steps=20` in the registration). A `step` after termination
    warns (call `reset()`): the user has left, so nothing is shown and the reward is 0.

    ## Rendering
    `render_mode="ansi"` returns the session as text, `"rgb_array"` as an RGB uint8 image
    of shape `FRAME_SHAPE` (480, 640, 3) (what SB3's `make_vec_env` asks for, and what
    Gymnasium's `RecordVideo` records): the turn, the last reward, patience, clicks so
    far, the instruction and the last slate's titles, clicked positions in green.

    ## Info
    Ground truth for evaluation, never in the observation. `reset` and `step` describe the
    observation they return: `relevance` (N,) attractiveness of each candidate now,
    `satisfies` (N,) hard-constraint match, `oracle_slate` (K,) the positions an oracle
    would recommend, `instruction` (text), `intent`, `profile`. `step` also returns what
    happened in the turn just played: `clicks` (K,), `position_rewards` (K,, the reward
    earned at each position; they sum to the reward), `slate_items` (K,, -1 for empty
    slots), `refined`, `total_clicks`.

    ## Arguments
    `gymnasium.make("ifr_sim/InstructionRec-v1", preset="movielens", config=None,
    num_candidates=..., slate_size=..., catalog_size=..., catalog=..., click_model=...,
    split=..., history_length=..., render_mode=None | "ansi" | "rgb_array")`. `config` is
    a `WorldConfig` or a TOML/YAML path; plain keywords override it. `reset` takes no
    options: a non-empty `options` dict is an error naming the known keys (none yet).

    ## Version History
    - v0: initial version.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 1}  # noqa: RUF012

    def __init__(
        self,
        preset: str = DEFAULT_PRESET,
        config: WorldConfig | str | Path | None = None,
        render_mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            modes = ", ".join(repr(mode) for mode in self.metadata["render_modes"])
            raise ValueError(f"render_mode={render_mode!r} is invalid: use None, {modes}")
        self.config = world_config_from_kwargs(preset, config, **kwargs)
        self.world = build_world(self.config)
        self.simulator = SessionSimulator(self.world)
        self.render_mode = render_mode
        self.observation_space = observation_space(self.config, len(self.world.catalog))
        self.action_space = action_space(self.config)
        self._sessions: Sessions | None = None
        self._last: TurnOutcome | None = None  # the last turn played, for rendering
        self._ended = False  # the session terminated; `step` warns until `reset`
        self._intent: Intent | None = None  # the session's intent and instruction, read
        self._instruction = ""  # back from the arrays only when they change

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        check_reset_options(options)
        super().reset(seed=seed)
        self._sessions = self.simulator.start(self.np_random, 1)
        self._last = None
        self._ended = False
        self._read_intent()
        return self._observation(), self._info()

    def step(self, action: np.ndarray) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        if self._sessions is None:
            raise RuntimeError("call reset() before step()")
        slates = check_slates(action, (self.config.slate_size,), self.config.num_candidates)
        if self._ended:
            gym.logger.warn(
                "step() was called after the session terminated: the user has left, so "
                "the slate is not shown and the reward is 0; call reset() once "
                "terminated=True to start a new session"
            )
            outcome = _nobody_there(self.config.slate_size)
        else:
            outcome = self.simulator.play(self._sessions, slates, self.np_random)
            self._last = outcome
        self._ended = bool(outcome.terminated[0])
        if outcome.refined[0]:
            self._read_intent()
        info = self._info()
        info.update(
            clicks=outcome.clicks[0],
            position_rewards=outcome.position_rewards[0],
            slate_items=outcome.slate_items[0],
            refined=bool(outcome.refined[0]),
            total_clicks=int(self._sessions.total_clicks[0]),
        )
        return (
            self._observation(),
            float(outcome.reward[0]),
            self._ended,
            False,
            info,
        )

    def render(self) -> str | np.ndarray | None:
        """The session as text (`"ansi"`) or an RGB image (`"rgb_array"`); None before
        `reset` and without a render mode (which warns, as Gymnasium's envs do)."""
        if self.render_mode is None:
            gym.logger.warn(
                "render() was called without a render mode; make the env with "
                f"render_mode set to one of {self.metadata['render_modes']}"
            )
            return None
        if self._sessions is None:
            return None
        view = turn_view(self.world.catalog, self._sessions, self._last)
        return render_text(view) if self.render_mode == "ansi" else render_image(view)

    def _read_intent(self) -> None:
        assert self._sessions is not None
        self._intent = self._sessions.intent.intent(0, self.world.language.vocabulary)
        self._instruction = decode_instruction(self._sessions.instruction[0])

    def _observation(self) -> Observation:
        assert self._sessions is not None
        return {key: value[0] for key, value in self.simulator.observe(self._sessions).items()}

    def _info(self) -> dict[str, Any]:
        s = self._sessions
        assert s is not None
        relevance = s.relevance
        return {
            "relevance": relevance[0],
            "satisfies": s.hard[0].copy(),
            "oracle_slate": self.simulator.oracle_slate(relevance)[0],
            "instruction": self._instruction,
            "intent": self._intent,
            "profile": int(s.profile[0]),
        }


RESET_OPTIONS: frozenset[str] = frozenset()
"""Keys `reset(options=...)` understands (none yet): any other is refused, not ignored."""


def check_reset_options(options: dict[str, Any] | None) -> None:
    """Refuse reset options the env would otherwise silently ignore.

    Raises:
        ValueError: `options` has a key outside `RESET_OPTIONS`.
    """
    unknown = sorted(set(options or {}) - RESET_OPTIONS, key=str)
    if unknown:
        known = ", ".join(sorted(RESET_OPTIONS)) or "none"
        raise ValueError(
            f"reset(options=...) got unknown keys {unknown}; known keys: {known} (pass "
            "options=None, or configure the session through gymnasium.make's keywords)"
        )


def _nobody_there(slate_size: int) -> TurnOutcome:
    """The turn of a user who has left: nothing shown, no clicks, still terminated."""
    return TurnOutcome(
        clicks=np.zeros((1, slate_size), bool),
        position_rewards=np.zeros((1, slate_size), np.float32),
        reward=np.zeros(1, np.float32),
        terminated=np.ones(1, bool),
        shown=np.zeros((1, slate_size), bool),
        slate_items=np.full((1, slate_size), -1, np.int64),
        refined=np.zeros(1, bool),
    )
