"""`ifr-sim bench env`: environment steps per second under a random policy.

Figures, not assertions: the machine is shared, so speed lives here and never in a test.
Slates are drawn before timing so the figures measure the environment alone. Each figure
is printed next to the reference it is judged against (RecSim's and SARDINE's single-env
rates on the same work, the vector env's target) and their ratio. The single env is
measured both as `gymnasium.make` returns it (default wrappers, `TimeLimit` included) and
unwrapped, alternately so that both see the same machine load: the gap is what the
wrappers cost.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

import gymnasium as gym
import numpy as np

from ifr_sim.envs.registration import ENV_ID

SLATE_SIZE = 10
VECTOR_USERS = 1024
CHUNK = 200
"""Single-env steps timed at a stretch."""


class Reference(NamedTuple):
    """A published or targeted rate to judge a figure against."""

    name: str
    steps_per_second: float


RECSIM = Reference("RecSim", 2_700)
SARDINE = Reference("SARDINE", 14_000)
VECTOR_TARGET = Reference("target", 200_000)


def random_slates(count: int, batch: int, num_candidates: int, slate_size: int,
                  seed: int | Sequence[int] = 0) -> np.ndarray:
    """(count, batch, K) distinct random candidate positions per slate."""
    rng = np.random.default_rng(seed)
    keys = rng.random((count, batch, num_candidates))
    return np.argpartition(keys, slate_size - 1, axis=2)[:, :, :slate_size]


def single_env_steps(
    num_candidates: int, slate_size: int, unwrapped: bool = False
) -> Callable[[], None]:
    """A function that plays `CHUNK` steps of one single env (resetting ended sessions)."""
    env = gym.make(ENV_ID, num_candidates=num_candidates, slate_size=slate_size)
    target = env.unwrapped if unwrapped else env
    slates = random_slates(5 * CHUNK, 1, num_candidates, slate_size)[:, 0]
    target.reset(seed=0)
    chunks = itertools.count()

    def play() -> None:
        start = (next(chunks) % 5) * CHUNK
        for slate in slates[start : start + CHUNK]:
            _, _, terminated, truncated, _ = target.step(slate)
            if terminated or truncated:
                target.reset()

    return play


def vector_env_step(num_candidates: int, slate_size: int, users: int) -> Callable[[], None]:
    """A function that plays one step of the native vector env with `users` users."""
    env = gym.make_vec(ENV_ID, num_envs=users, vectorization_mode="vector_entry_point",
                       num_candidates=num_candidates, slate_size=slate_size)
    slates = random_slates(20, users, num_candidates, slate_size)
    env.reset(seed=0)
    steps = itertools.count()

    def step() -> None:
        env.step(slates[next(steps) % len(slates)])

    return step


def _paired_rates(
    jobs: tuple[Callable[[], None], ...], units: int, seconds: float
) -> list[float]:
    """Units per second of each job, the jobs run in turns for about `seconds` in all."""
    for work in jobs:  # warm-up
        work()
    spent = [0.0] * len(jobs)
    rounds = 0
    while sum(spent) < seconds or rounds == 0:
        for index, work in enumerate(jobs):
            start = time.perf_counter()
            work()
            spent[index] += time.perf_counter() - start
        rounds += 1
    return [rounds * units / time_spent for time_spent in spent]


def run_env_benchmark(seconds: float = 3.0) -> dict[str, float]:
    """Print and return the steps/s figures, and their ratios to the references.

    Returns:
        `{setting: steps/s}` for every setting, and `{"setting / reference": ratio}`.
    """
    figures: list[tuple[str, float, Reference | None]] = []
    for n, reference in ((100, RECSIM), (1000, SARDINE)):
        label = f"single env N={n} K={SLATE_SIZE}"
        wrapped, unwrapped = _paired_rates(
            (single_env_steps(n, SLATE_SIZE), single_env_steps(n, SLATE_SIZE, unwrapped=True)),
            CHUNK, 2 * seconds,
        )
        figures.append((label, wrapped, reference))
        figures.append((f"{label} (unwrapped)", unwrapped, reference))
        (vector,) = _paired_rates((vector_env_step(n, SLATE_SIZE, VECTOR_USERS),), VECTOR_USERS,
                                  seconds)
        figures.append((f"vector env N={n} K={SLATE_SIZE} x{VECTOR_USERS}", vector,
                        VECTOR_TARGET if n == 100 else None))
    return _report(figures)


def _report(figures: list[tuple[str, float, Reference | None]]) -> dict[str, float]:
    print(f"{'setting':<38}{'steps/s':>12}   {'reference':<16}{'steps/s':>10}{'ratio':>9}")
    results: dict[str, float] = {}
    for label, rate, reference in figures:
        results[label] = rate
        line = f"{label:<38}{rate:>12,.0f}"
        if reference is not None:
            ratio = rate / reference.steps_per_second
            results[f"{label} / {reference.name}"] = ratio
            line += f"   {reference.name:<16}{reference.steps_per_second:>10,.0f}{ratio:>8.2f}x"
        print(line)
    print(f"vector env figures count user-steps ({VECTOR_USERS} users step at once); "
          "RecSim and SARDINE figures are for the same work")
    return results
