"""Bring your own user model: budget-bound shoppers on the synthetic shop.

Each shopper arrives with a budget (log-uniform between $50 and $2,000, drawn from the
environment's generator, so one seed gives one sequence of shoppers) and never clicks an
item that costs more; otherwise they behave like ifr-sim's default ("logistic") users.
The example registers the model under a name, names it in a world config, and then goes
through the public API three ways:

1. simulate: `gymnasium.make` sessions of default users and of budget shoppers, and the
   mean price of what each clicked;
2. evaluate: baselines on held-out budget shoppers;
3. train: the scorer with PPO on budget shoppers (a tiny budget by default: raise
   `--train-steps` for a real run).

Run it with `python examples/custom_user_model.py`: about 70 s of CPU time with the
defaults (3.5 minutes of wall time on 2 busy shared cores), most of it training.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

import ifr_sim
from ifr_sim.agents.evaluation.online import evaluate
from ifr_sim.agents.registry import make_agent
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.agents.training.trainer import train
from ifr_sim.core.catalog import Catalog
from ifr_sim.core.config import with_overrides
from ifr_sim.envs.config import WorldConfig, preset_config
from ifr_sim.envs.logistic_users import LogisticUserModel, LogisticUserState
from ifr_sim.envs.session_state import Sessions
from ifr_sim.envs.user_model import register_user_model
from ifr_sim.envs.users import UserPopulation
from ifr_sim.envs.world import build_world

BUDGET_RANGE = (50.0, 2_000.0)
"""Dollars; a shopper's budget is log-uniform in this range."""


@dataclasses.dataclass
class ShopperState(LogisticUserState):
    """The default user's state, plus a budget per shopper."""

    budget: np.ndarray  # (B,) dollars


class BudgetShopper(LogisticUserModel):
    """A default user who finds nothing attractive above their budget.

    Its constructor is the factory the registry calls for every world that names it.
    """

    def __init__(self, config: WorldConfig, catalog: Catalog, population: UserPopulation) -> None:
        super().__init__(config, catalog, population)
        self.prices = catalog.attributes["price"]

    def initial_state(self, profile: np.ndarray, rng: np.random.Generator) -> ShopperState:
        state = super().initial_state(profile, rng)
        low, high = np.log(BUDGET_RANGE)
        budget = np.exp(rng.uniform(low, high, len(profile)))
        return ShopperState(**vars(state), budget=budget)

    def attractiveness(self, state: LogisticUserState, session: Sessions) -> np.ndarray:
        assert isinstance(state, ShopperState)
        price = self.prices[session.candidates]  # (B, N)
        return super().attractiveness(state, session) * (price <= state.budget[:, None])


register_user_model("budget-shopper", BudgetShopper)


def mean_clicked_price(config: WorldConfig, episodes: int, seed: int) -> float:
    """Mean price of the items clicked in `episodes` sessions of the oracle's slates."""
    env = gym.make(ifr_sim.ENV_ID, config=config)
    prices = env.unwrapped.world.catalog.attributes["price"]  # type: ignore[attr-defined]
    clicked = []
    _, info = env.reset(seed=seed)
    for _ in range(episodes):
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(info["oracle_slate"])
            clicked.extend(prices[info["slate_items"][info["clicks"]]])
            done = terminated or truncated
        _, info = env.reset()
    return float(np.mean(clicked)) if clicked else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=200, help="sessions to simulate and "
                        "to evaluate each agent on")
    parser.add_argument("--train-steps", type=int, default=2_048, help="PPO user turns")
    parser.add_argument("--model-path", default=None, help="scorer model directory (default: "
                        "the bundled all-MiniLM-L6-v2)")
    parser.add_argument("--catalog-size", type=int, default=2_000, help="items in the shop")
    parser.add_argument("--out", type=Path, default=None, help="training run directory "
                        "(default: a temporary one)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)  # the small models gain nothing from more on a shared CPU

    default_users = with_overrides(preset_config("synthetic-shop"),
                                   {"catalog.size": args.catalog_size})
    shoppers = with_overrides(default_users, {"users.model": "budget-shopper"})

    print("1. simulate: mean price of the items clicked on the oracle's slates")
    for name, config in (("default users", default_users), ("budget shoppers", shoppers)):
        print(f"   {name:<16} ${mean_clicked_price(config, args.episodes, args.seed):,.0f}")

    print("2. evaluate: held-out budget shoppers")
    heldout = dataclasses.replace(shoppers, split="heldout")
    world = build_world(heldout)
    for name in ("random", "popularity", "bm25", "oracle"):
        result = evaluate(make_agent(name, world), heldout, episodes=args.episodes,
                          seed=args.seed)
        print(f"   {name:<11} reward {result['reward']:.3f}  ctr {result['ctr']:.3f}")

    print(f"3. train: PPO for {args.train_steps:,} user turns on budget shoppers")
    config = with_overrides(TrainConfig(world=shoppers), {
        "scorer.model_path": args.model_path, "total_steps": args.train_steps,
        "eval_every": args.train_steps, "eval_episodes": args.episodes,
        "checkpoint_every": args.train_steps, "seed": args.seed,
        "ppo.n_envs": 16, "ppo.n_steps": 8, "ppo.batch_size": 64,
    })
    with tempfile.TemporaryDirectory() as scratch:
        run_dir = args.out or Path(scratch) / "budget-shopper"
        summary = train(config, run_dir)
        first, last = summary["history"][0], summary["history"][-1]
        print(f"   held-out reward {first['reward']:.3f} before training, "
              f"{last['reward']:.3f} after {summary['steps']:,} steps "
              f"({summary['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
