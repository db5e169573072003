"""Fine-tune the LLM scorer with PPO from simulated clicks: the training loop, top to bottom.

1. Build the world's training split as one native vector env of `n_envs` users.
2. Wrap the scorer as `ScorerPolicy` and hand it to stable-baselines3's `PPO`, with the
   per-position credit buffer.
3. Train with three callbacks: per-position rewards into the buffer, the KL penalty to
   the frozen zero-shot policy, and periodic evaluation on held-out users and templates
   (which also saves a checkpoint).
4. Save the final checkpoint and return the last evaluation.
Metrics use one namespaced schema: SB3's `rollout/…` and `train/…`, plus `train/kl_ref` and
`eval/<metric>` (the keys of `ifr_sim.evaluation.METRICS`), written to `progress.csv` and,
when a run store is given, to its `metrics` table (with every evaluation result and the
checkpoint path).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.logger import CSVOutputFormat, KVWriter, Logger
from stable_baselines3.common.utils import set_random_seed

from ifr_sim.agents.baselines import OracleAgent
from ifr_sim.agents.checkpoint import save_checkpoint
from ifr_sim.agents.credit import PositionRewardCallback, SlateRolloutBuffer
from ifr_sim.agents.kl_penalty import KLPenaltyCallback
from ifr_sim.agents.policy import ScorerPolicy
from ifr_sim.agents.policy_agent import PolicyAgent
from ifr_sim.agents.run_store_logger import RunStoreOutput
from ifr_sim.agents.train_config import TrainConfig
from ifr_sim.envs.sb3_vec_env import make_sb3_vec_env
from ifr_sim.envs.world import load_catalog
from ifr_sim.evaluation import METRICS, evaluate
from ifr_sim.run_store import RunStore
from ifr_sim.scorer import make_scorer

CHECKPOINT_DIR = "checkpoint"


class EvaluationCallback(BaseCallback):
    """Every `every` steps: evaluate on held-out users and templates, log, checkpoint.

    `on_result(step, result)`, if given, receives every evaluation result (the run store's
    `log_evaluation`).
    """

    def __init__(
        self,
        config: TrainConfig,
        run_dir: Path,
        on_result: Callable[[int, dict[str, Any]], None] | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.run_dir = run_dir
        self.on_result = on_result
        self.heldout = dataclasses.replace(config.world, split="heldout")
        self.history: list[dict[str, Any]] = []
        self._next = 0
        self._oracle_reward: float | None = None

    def _on_step(self) -> bool:
        if self.num_timesteps >= self._next:
            self.evaluate_now()
            self._next = self.num_timesteps + self.config.eval_every
        return True

    def evaluate_now(self) -> dict[str, Any]:
        policy = self.model.policy
        assert isinstance(policy, ScorerPolicy)
        episodes, seed = self.config.eval_episodes, self.config.seed
        if self._oracle_reward is None:  # the same sessions every time: compute once
            self._oracle_reward = evaluate(OracleAgent(), self.heldout, episodes, seed)["reward"]
        result = evaluate(PolicyAgent(policy), self.heldout, episodes, seed, self._oracle_reward)
        policy.set_training_mode(False)
        for name in METRICS:
            if np.isfinite(result[name]):
                self.logger.record(f"eval/{name}", result[name])
        self.logger.record("time/env_steps", self.num_timesteps)
        self.logger.dump(self.num_timesteps)
        self.history.append({"step": self.num_timesteps, **result})
        if self.on_result is not None:
            self.on_result(self.num_timesteps, result)
        save_checkpoint(policy, self.config, self.run_dir / CHECKPOINT_DIR)
        return result


def build_ppo(config: TrainConfig) -> PPO:
    """The PPO learner for a config: native vector env, scorer policy, slate buffer."""
    set_random_seed(config.seed)
    train_world = dataclasses.replace(config.world, split="train")
    env = make_sb3_vec_env(config.ppo.n_envs, config=train_world)
    scorer = make_scorer(config.scorer, load_catalog(config.world.catalog))
    ppo = config.ppo
    return PPO(
        ScorerPolicy,
        env,
        learning_rate=ppo.learning_rate,
        n_steps=ppo.n_steps,
        batch_size=ppo.batch_size,
        n_epochs=ppo.n_epochs,
        gamma=ppo.gamma,
        gae_lambda=ppo.gae_lambda,
        clip_range=ppo.clip_range,
        ent_coef=ppo.ent_coef,
        vf_coef=ppo.vf_coef,
        max_grad_norm=ppo.max_grad_norm,
        rollout_buffer_class=SlateRolloutBuffer,
        rollout_buffer_kwargs={"credit": ppo.credit},
        policy_kwargs={
            "scorer": scorer,
            "encoder_lr_scale": ppo.encoder_lr_scale,
            "shown_penalty": ppo.shown_penalty,
        },
        seed=config.seed,
        device=scorer.device,
        verbose=0,
    )


def train(
    config: TrainConfig,
    run_dir: Path,
    progress_bar: bool = False,
    callbacks: list[BaseCallback] | None = None,
    store: RunStore | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """Train, evaluating and checkpointing along the way; returns the run's summary.

    `callbacks` are added to the trainer's own (e.g. a wall-clock limit). With a `store`
    and the `run_id` of a run started in it, every logged value, every evaluation and the
    checkpoint path are recorded there too; starting and finishing the run is the caller's.
    """
    if (store is None) != (run_id is None):
        raise ValueError("give both `store` and `run_id` (from `store.start_run`), or neither")
    run_dir.mkdir(parents=True, exist_ok=True)
    model = build_ppo(config)
    outputs: list[KVWriter] = [CSVOutputFormat(str(run_dir / "progress.csv"))]
    on_result: Callable[[int, dict[str, Any]], None] | None = None
    if store is not None and run_id is not None:
        outputs.append(RunStoreOutput(store, run_id))
        on_result = functools.partial(store.log_evaluation, run_id)
    model.set_logger(Logger(str(run_dir), outputs))
    evaluation = EvaluationCallback(config, run_dir, on_result)
    everything = CallbackList(
        [
            PositionRewardCallback(),
            KLPenaltyCallback(config.ppo.kl_coef),
            evaluation,
            *(callbacks or []),
        ]
    )
    start = time.perf_counter()
    model.learn(config.total_steps, callback=everything, progress_bar=progress_bar)
    seconds = time.perf_counter() - start
    final = evaluation.evaluate_now()
    if store is not None and run_id is not None:
        store.set_checkpoint(run_id, run_dir / CHECKPOINT_DIR)
    return {
        "steps": model.num_timesteps,
        "seconds": seconds,
        "steps_per_second": model.num_timesteps / seconds,
        "final": final,
        "history": evaluation.history,
        "checkpoint": str(run_dir / CHECKPOINT_DIR),
    }
