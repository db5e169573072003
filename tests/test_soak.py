"""No user state leaks between episodes; the soak benchmark runs and reports.

The soak's figures (memory over millions of user-steps) are a benchmark, printed by
`ifr-sim bench soak`; here only its plumbing and the leak check run, on small sizes.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from ifr_sim import ENV_ID
from ifr_sim.apps.cli import main
from ifr_sim.envs.benchmark import random_slates
from ifr_sim.envs.sessions import replace_rows
from ifr_sim.envs.soak import rss_mib, run_soak
from ifr_sim.envs.vector_env import InstructionRecVectorEnv

USERS, N, K = 16, 30, 5


def make_vec() -> InstructionRecVectorEnv:
    env = gym.make_vec(ENV_ID, num_envs=USERS, vectorization_mode="vector_entry_point",
                       num_candidates=N, slate_size=K, max_episode_steps=8).unwrapped
    assert isinstance(env, InstructionRecVectorEnv)
    return env


def test_restarted_users_start_fresh_sessions() -> None:
    """After a session ends, its user's row holds a fresh session in every field."""
    env = make_vec()
    env.reset(seed=0)
    assert env._sessions is not None
    assert env.simulator.fresh_problems(env._sessions, np.arange(USERS)) == []
    restarts = 0
    for slates in random_slates(60, USERS, N, K, seed=1):
        _, _, terminated, truncated, _ = env.step(slates)
        ended = np.flatnonzero(terminated | truncated)
        restarts += len(ended)
        assert env.simulator.fresh_problems(env._sessions, ended) == []
    assert restarts >= USERS  # every slot restarted at least once on average


def test_the_leak_check_sees_each_kind_of_carried_over_state() -> None:
    """Write an ended session's state into a fresh row: each field is named."""
    env = make_vec()
    env.reset(seed=0)
    for slates in random_slates(6, USERS, N, K, seed=2):  # sessions with history
        env.step(slates)
    s = env._sessions
    assert s is not None
    fresh = env.simulator.start(np.random.default_rng(5), 1)
    row = np.array([0])
    cases = {
        "turns played (fatigue carried over)": ("turn", np.array([3])),
        "history beyond the warm start": ("history", np.arange(10)[None] + 1),
        "clicked items outside the warm history": ("clicked", ~fresh.clicked),
    }
    for problem, (name, stale) in cases.items():
        replace_rows(s, row, fresh)
        assert env.simulator.fresh_problems(s, row) == []
        getattr(s, name)[row] = stale
        assert problem in env.simulator.fresh_problems(s, row)
    replace_rows(s, row, fresh)
    s.user.taste[row] = s.user.taste[row][:, ::-1]  # another taste, its logit terms not redone
    assert "taste terms that are not the taste's (a drift carried over)" in (
        env.simulator.fresh_problems(s, row))


def test_single_env_reset_starts_a_fresh_session() -> None:
    env = gym.make(ENV_ID, num_candidates=N, slate_size=K).unwrapped
    env.reset(seed=3)
    for slate in random_slates(80, 1, N, K, seed=4)[:, 0]:
        _, _, terminated, _, _ = env.step(slate)
        if terminated:
            env.reset()
            assert env.simulator.fresh_problems(env._sessions, np.array([0])) == []


def test_soak_samples_memory_and_checks_every_restart() -> None:
    result = run_soak(users=64, user_steps=6_400, sample_every=1_280, warmup=0.5,
                      num_candidates=N, slate_size=K)
    done = [steps for steps, _ in result.samples]
    assert done == [0, 1_280, 2_560, 3_840, 5_120, 6_400]
    assert all(rss > 0 for _, rss in result.samples) and result.peak_mib >= rss_mib() * 0.5
    assert result.baseline_user_steps == 3_840
    assert result.drift_mib == pytest.approx(result.samples[-1][1] - result.samples[3][1])
    assert result.restarts > 64 and result.leaks == []


def test_bench_soak_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "soak", "--users", "32", "--steps", "3200"]) == 0
    out = capsys.readouterr().out
    assert "RSS MiB" in out and "3,200" in out and "RSS drift" in out
    assert "each checked: no state carried over" in out
