"""`ifr-sim bench soak`: the native vector env under a long random-policy load.

A benchmark, not a test: it prints figures and times nothing that a test asserts. Many
users step for many user-steps while the resident memory (RSS) of the process is sampled;
after a warm-up (allocator pools, caches, the first autoresets), RSS should stay flat,
since a step allocates only arrays it drops. Every user whose session ends is checked to
restart with fresh state (`SessionSimulator.fresh_problems`), so nothing of an ended
session (history, clicked set, fatigue, refined intent, drifted taste) leaks into the next.
"""

from __future__ import annotations

import math
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ifr_sim.envs.benchmark import random_slates
from ifr_sim.envs.registration import ENV_ID
from ifr_sim.envs.vector_env import InstructionRecVectorEnv

STATM = Path("/proc/self/statm")
MAX_REPORTED_LEAKS = 10


@dataclass(frozen=True)
class SoakResult:
    """What a soak run measured.

    Attributes:
        samples: (user-steps played, RSS in MiB) pairs, the first right after `reset`.
        baseline_user_steps: the first sample after the warm-up, which the drift starts at.
        drift_mib: RSS of the last sample minus the baseline sample's.
        peak_mib: the process's peak RSS.
        restarts: sessions that ended and restarted, each one checked.
        leaks: up to `MAX_REPORTED_LEAKS` "user-steps N: what carried over" lines.
        seconds: wall time of the stepping (leak checks included).
    """

    samples: list[tuple[int, float]]
    baseline_user_steps: int
    drift_mib: float
    peak_mib: float
    restarts: int
    leaks: list[str]
    seconds: float


def rss_mib() -> float:
    """Resident memory of this process now, in MiB (Linux's /proc/self/statm)."""
    if not STATM.is_file():
        raise RuntimeError(f"{STATM} is missing: the soak benchmark reads RSS on Linux only")
    resident_pages = int(STATM.read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    """Peak resident memory of this process, in MiB (`ru_maxrss` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_soak(
    users: int = 10_000,
    user_steps: int = 1_000_000,
    sample_every: int = 50_000,
    warmup: float = 0.1,
    seed: int = 0,
    **make_kwargs: Any,
) -> SoakResult:
    """Step `users` users for at least `user_steps` user-steps with random slates.

    Args:
        users: concurrent users of the vector env.
        user_steps: total user-steps (rounded up to whole vector steps).
        sample_every: user-steps between RSS samples (rounded to whole vector steps).
        warmup: share of the run before the drift's baseline sample.
        seed: seed of the env and of the random slates.
        **make_kwargs: world keywords of `gymnasium.make_vec` (`num_candidates`, ...).
    """
    if users < 1 or user_steps < 1 or sample_every < 1 or not 0 <= warmup < 1:
        raise ValueError(
            f"users={users}, user_steps={user_steps}, sample_every={sample_every} must be "
            f">= 1 and warmup={warmup} in [0, 1)"
        )
    env = gym.make_vec(
        ENV_ID, num_envs=users, vectorization_mode="vector_entry_point", **make_kwargs
    ).unwrapped
    assert isinstance(env, InstructionRecVectorEnv)
    n, k = env.config.num_candidates, env.config.slate_size
    steps = math.ceil(user_steps / users)
    every = max(1, round(sample_every / users))
    env.reset(seed=seed)
    samples = [(0, rss_mib())]
    restarts = 0
    leaks: list[str] = []
    start = time.perf_counter()
    for step in range(1, steps + 1):
        slates = random_slates(1, users, n, k, seed=[seed, step])[0]
        _, _, terminated, truncated, _ = env.step(slates)
        ended = np.flatnonzero(terminated | truncated)
        restarts += len(ended)
        assert env._sessions is not None
        for problem in env.simulator.fresh_problems(env._sessions, ended):
            if len(leaks) < MAX_REPORTED_LEAKS:
                leaks.append(f"user-steps {step * users:,}: a restarted session had {problem}")
        if step % every == 0 or step == steps:
            samples.append((step * users, rss_mib()))
    seconds = time.perf_counter() - start
    baseline = next(sample for sample in samples if sample[0] >= warmup * steps * users)
    return SoakResult(
        samples=samples,
        baseline_user_steps=baseline[0],
        drift_mib=samples[-1][1] - baseline[1],
        peak_mib=peak_rss_mib(),
        restarts=restarts,
        leaks=leaks,
        seconds=seconds,
    )


def report(result: SoakResult, users: int) -> None:
    """Print the RSS table, the drift after the warm-up, and the leak check's verdict."""
    played = result.samples[-1][0]
    print(f"soak: {users:,} users, {played:,} user-steps, random policy")
    print(f"{'user-steps':>12}{'RSS MiB':>10}")
    for done, rss in result.samples:
        note = "  (after reset)" if done == 0 else ""
        note += "  (baseline: after the warm-up)" if done == result.baseline_user_steps else ""
        print(f"{done:>12,}{rss:>10.1f}{note}")
    print(f"RSS drift from the baseline to the end: {result.drift_mib:+.1f} MiB; "
          f"peak RSS {result.peak_mib:.1f} MiB")
    print(f"{played / result.seconds:,.0f} user-steps/s over {result.seconds:.1f} s "
          "(leak checks included)")
    if result.leaks:
        print(f"state leaked between episodes ({result.restarts:,} restarts checked):")
        for line in result.leaks:
            print(f"  {line}")
    else:
        print(f"{result.restarts:,} sessions restarted, each checked: no state carried over")
