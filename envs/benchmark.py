"""`ifr-sim bench env`: environment steps per second under a random policy.

Figures, not assertions: the machine is shared, so speed lives here and never in a test.
Slates are drawn before timing so the figures measure the environment alone.
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np

from ifr_sim.registration import ENV_ID

SETTINGS = ((100, 10), (1000, 10))
VECTOR_USERS = 1024


def random_slates(count: int, batch: int, num_candidates: int, slate_size: int,
                  seed: int = 0) -> np.ndarray:
    """(count, batch, K) distinct random candidate positions per slate."""
    rng = np.random.default_rng(seed)
    keys = rng.random((count, batch, num_candidates))
    return np.argpartition(keys, slate_size - 1, axis=2)[:, :, :slate_size]


def single_env_rate(num_candidates: int, slate_size: int, seconds: float) -> float:
    """Steps per second of `gymnasium.make(...)` (with its default wrappers)."""
    env = gym.make(ENV_ID, num_candidates=num_candidates, slate_size=slate_size)
    slates = random_slates(1000, 1, num_candidates, slate_size)[:, 0]
    env.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for slate in slates[:200]:
            _, _, terminated, truncated, _ = env.step(slate)
            if terminated or truncated:
                env.reset()
        steps += 200
        slates = np.roll(slates, 200, axis=0)
    return steps / (time.perf_counter() - start)


def vector_env_rate(num_candidates: int, slate_size: int, users: int, seconds: float) -> float:
    """User-steps per second of the native vector env."""
    env = gym.make_vec(ENV_ID, num_envs=users, vectorization_mode="vector_entry_point",
                       num_candidates=num_candidates, slate_size=slate_size)
    slates = random_slates(20, users, num_candidates, slate_size)
    env.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(slates[steps % len(slates)])
        steps += 1
    return steps * users / (time.perf_counter() - start)


def run_env_benchmark(seconds: float = 3.0) -> dict[str, float]:
    """Print and return the steps/s table."""
    results: dict[str, float] = {}
    print(f"{'setting':<34}{'steps/s':>14}")
    for n, k in SETTINGS:
        for label, rate in (
            (f"single env N={n} K={k}", single_env_rate(n, k, seconds)),
            (f"vector env N={n} K={k} x{VECTOR_USERS}",
             vector_env_rate(n, k, VECTOR_USERS, seconds)),
        ):
            results[label] = rate
            print(f"{label:<34}{rate:>14,.0f}")
    return results
