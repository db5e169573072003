"""The native vector env: many simulated users stepped at once with numpy.

`gymnasium.make_vec("ifr_sim/InstructionRec-v1", num_envs=1024,
vectorization_mode="vector_entry_point")` builds it. It runs the same `SessionSimulator`
as the single env (a batch of one there), so each user here is distributed exactly like
an episode of the single env. Sessions that end are restarted in the same step
(`AutoresetMode.SAME_STEP`, as SB3's `VecEnv` does): the returned observation is the new
session's, and the last observation of the ended one is in `info["final_obs"]`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ifr_sim.envs.config import DEFAULT_PRESET, WorldConfig, world_config_from_kwargs
from ifr_sim.envs.instruction_rec import check_reset_options
from ifr_sim.envs.registration import ENV_ID
from ifr_sim.envs.sessions import Sessions, SessionSimulator, replace_rows
from ifr_sim.envs.spaces import action_space, check_slates, observation_space
from ifr_sim.envs.world import build_world

Observation = dict[str, np.ndarray]


class InstructionRecVectorEnv(VectorEnv[Observation, np.ndarray, np.ndarray]):
    """`num_envs` concurrent user sessions of one world.

    Observations are the single env's, stacked on axis 0. `info` holds arrays over users:
    `relevance` (B, N), `satisfies` (B, N), `oracle_slate` (B, K), `intent_id` (B,),
    `profile` (B,), and after a step `clicks` (B, K), `position_rewards` (B, K),
    `slate_items` (B, K), `refined` (B,),
    `total_clicks` (B,). For users whose session ended this step, `final_obs` (object array
    of observation dicts) and `final_info` (`total_clicks`, `turns`) are set under the
    masks `_final_obs` / `_final_info`.

    Args:
        num_envs: number of concurrent users.
        preset, config, **kwargs: as for the single env.
        max_episode_steps: truncate sessions after this many turns (None = never), the
            vector counterpart of the single env's `TimeLimit`.
    """

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.SAME_STEP}  # noqa: RUF012

    def __init__(
        self,
        num_envs: int = 1,
        preset: str = DEFAULT_PRESET,
        config: WorldConfig | str | Path | None = None,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs={num_envs} is invalid: use at least 1")
        if render_mode is not None:
            raise ValueError(
                f"render_mode={render_mode!r}: the native vector env does not render; "
                f"render users one by one with gymnasium.make_vec({ENV_ID!r}, num_envs, "
                f"vectorization_mode='sync', render_mode={render_mode!r}) or "
                f"gymnasium.make({ENV_ID!r}, render_mode={render_mode!r})"
            )
        self.config = world_config_from_kwargs(preset, config, **kwargs)
        self.world = build_world(self.config)
        self.simulator = SessionSimulator(self.world)
        self.num_envs = num_envs
        self.max_episode_steps = max_episode_steps
        self.single_observation_space = observation_space(self.config, len(self.world.catalog))
        self.single_action_space = action_space(self.config)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._sessions: Sessions | None = None

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        if isinstance(seed, list):
            raise ValueError("pass one int seed: the users share one generator")
        check_reset_options(options)
        super().reset(seed=seed)
        self._sessions = self.simulator.start(self.np_random, self.num_envs)
        return self._observation(), self._info()

    def step(
        self, actions: np.ndarray
    ) -> tuple[Observation, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        s = self._sessions
        if s is None:
            raise RuntimeError("call reset() before step()")
        shape = (self.num_envs, self.config.slate_size)
        slates = check_slates(actions, shape, self.config.num_candidates)
        outcome = self.simulator.play(s, slates, self.np_random)
        truncated = (
            np.zeros(self.num_envs, bool)
            if self.max_episode_steps is None
            else s.turn >= self.max_episode_steps
        )
        done = outcome.terminated | truncated
        step_info = {
            "clicks": outcome.clicks,
            "position_rewards": outcome.position_rewards,
            "slate_items": outcome.slate_items,
            "refined": outcome.refined,
            "total_clicks": s.total_clicks.copy(),
        }
        ended = np.flatnonzero(done)
        final: dict[str, Any] = {}
        if len(ended):
            final = self._final(s, ended, done)
            replace_rows(s, ended, self.simulator.start(self.np_random, len(ended)))
        info = {**self._info(), **step_info, **final}
        return self._observation(), outcome.reward, outcome.terminated, truncated, info

    def _observation(self) -> Observation:
        assert self._sessions is not None
        return self.simulator.observe(self._sessions)

    def _info(self) -> dict[str, Any]:
        s = self._sessions
        assert s is not None
        relevance = s.relevance
        return {
            "relevance": relevance,
            "satisfies": s.hard.copy(),
            "oracle_slate": self.simulator.oracle_slate(relevance),
            "intent_id": s.intent_id.copy(),
            "profile": s.profile.copy(),
        }

    def _final(self, s: Sessions, ended: np.ndarray, done: np.ndarray) -> dict[str, Any]:
        """The last observation and stats of the sessions in `ended`, before they restart."""
        obs = self.simulator.observe(s, ended)
        final_obs = np.full(self.num_envs, None, dtype=object)
        for row, values in zip(ended.tolist(), zip(*obs.values(), strict=True), strict=True):
            final_obs[row] = dict(zip(obs, values, strict=True))
        final_info = {
            "total_clicks": s.total_clicks.copy(),
            "_total_clicks": done,
            "turns": s.turn.copy(),
            "_turns": done,
        }
        return {"final_obs": final_obs, "_final_obs": done, "final_info": final_info,
                "_final_info": done}

