"""Fine-tune the LLM scorer with PPO from simulated clicks: the training loop, top to bottom.

1. Build the world's training split as one native vector env of `n_envs` users.
2. Wrap the scorer as `ScorerPolicy` and hand it to stable-baselines3's `PPO`, with the
   per-position credit buffer.
3. Train with callbacks: per-position rewards and clicks into the buffer, the KL penalty
   to the frozen zero-shot policy, the auxiliary click loss after each update
   (`click_loss.py`), `RolloutBoundaries`, which at rollout starts evaluates on held-out
   users and templates, saves resumable checkpoints and honours Ctrl-C, and the
   rollout/update throughput clock (`time/rollout_steps_per_s`, `time/update_steps_per_s`).
4. Evaluate once more, save the final checkpoint and return the run's summary.

Metrics use one namespaced schema: SB3's `rollout/…` and `train/…`, plus `train/kl_ref` and
`eval/<metric>` (the keys of `ifr_sim.agents.evaluation.online.metric_names`), written to
`progress.csv`, to
the run store's `metrics` table when a store is given (with every evaluation result and
the checkpoint path), and to TensorBoard events when `tensorboard_log` is set.

A resumed run is the run that was never stopped, bit for bit. Checkpoints are taken at
rollout starts, where the policy and optimizer are between updates and nothing of a
rollout is in flight. What a checkpoint cannot hold is made a function of `(seed, step)`
instead, at every checkpoint of every run: all random generators (Python, numpy, torch and
the simulated users') are reseeded from it, and every user starts a fresh session. The
scorer's encoding caches need nothing: an embedding is the same to the last bit whether
cached or computed afresh, so they survive checkpoints and a resumed run that starts with
them empty still matches. A run resumed from step S therefore continues exactly as the
uninterrupted run did after S: same weights, same curves, same evaluations, on the same
machine and software (GPU kernels may not be deterministic). The price is that the
sessions in progress at a checkpoint end early: about one per user per checkpoint, a
few percent of the training sessions at the presets' cadence. A Ctrl-C adds one such
checkpoint, so a run stopped with Ctrl-C and resumed equals a run with one more
checkpoint at that step.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.logger import KVWriter, Logger
from stable_baselines3.common.utils import LinearSchedule, set_random_seed

from ifr_sim.agents.baselines.simple import OracleAgent
from ifr_sim.agents.evaluation.online import evaluate, metric_names
from ifr_sim.agents.policy.click_loss import ClickLossCallback
from ifr_sim.agents.policy.credit import PositionRewardCallback, SlateRolloutBuffer
from ifr_sim.agents.policy.kl_penalty import KLPenaltyCallback, frozen_copy
from ifr_sim.agents.policy.policy_agent import PolicyAgent
from ifr_sim.agents.policy.scorer_policy import ScorerPolicy
from ifr_sim.agents.training.checkpoint import (
    Checkpoint,
    CheckpointError,
    TrainingState,
    load_weights,
    remove_checkpoints,
    save_checkpoint,
    trained_state_sha256,
)
from ifr_sim.agents.training.interrupt import StopNow, StopRequest, stop_on_interrupt
from ifr_sim.agents.training.log_outputs import TensorBoardOutput, progress_csv, progress_rows
from ifr_sim.agents.training.run_lock import locked_run_directory
from ifr_sim.agents.training.run_store_logger import RunStoreOutput
from ifr_sim.agents.training.throughput import ThroughputCallback
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.core.config import with_overrides
from ifr_sim.core.run_store import RunStore
from ifr_sim.core.scorer import make_scorer
from ifr_sim.envs.sb3_vec_env import make_sb3_vec_env
from ifr_sim.envs.world import load_catalog

CHECKPOINT_DIR = "checkpoint"
PROGRESS_FILE = "progress.csv"


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on Ctrl-C or SIGTERM after saving a checkpoint at `step`."""

    def __init__(self, step: int, run_dir: Path) -> None:
        super().__init__(
            f"stopped at step {step:,} after saving a checkpoint: continue with "
            f"`ifr-sim train --resume {run_dir}`"
        )
        self.step = step
        self.run_dir = run_dir


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
        learning_rate=(
            ppo.learning_rate
            if ppo.final_learning_rate is None
            else LinearSchedule(ppo.learning_rate, ppo.final_learning_rate, end_fraction=1.0)
        ),
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
            "clicked_penalty": ppo.clicked_penalty,
        },
        seed=config.seed,
        device=scorer.device,
        verbose=0,
    )


def restart_at(model: BaseAlgorithm, seed: int, step: int) -> None:
    """Make everything a checkpoint does not hold a function of `(seed, step)`.

    Reseeds Python, numpy, torch, the action space and the users' generator, and starts a
    fresh session for every user (see the module docstring for why).
    """
    model.set_random_seed(int(np.random.SeedSequence([seed, step]).generate_state(1)[0]))
    assert model.env is not None
    model._last_obs = model.env.reset()  # type: ignore[assignment]
    model._last_episode_starts = np.ones(model.env.num_envs, dtype=bool)


class RolloutBoundaries(BaseCallback):
    """The trainer's work at each rollout start, where the policy is between updates.

    Writes the last update's `train/…` values at the step the update ran (SB3 would
    write them with the next rollout's, one rollout late, and the last update's never);
    evaluates every `eval_every` steps on held-out users and templates; saves a resumable
    checkpoint every `checkpoint_every` steps, after every evaluation and on Ctrl-C; on a
    stop, ends the rollout at the next step and saves the checkpoint of the step it
    started at, or of the step before an evaluation the stop cut short (see
    `interrupt.py`). Evaluating here rather than mid-rollout gives the
    evaluated policy its exact step, and the checkpoint of an evaluation its exact weights.
    Each metric key is written once per step, and nothing is pending in SB3's logger when
    a checkpoint is saved. It must come after every callback that changes the policy at a
    rollout start (an auxiliary loss fitted after PPO's update), so that the checkpoint
    holds the weights and optimizer state after all of that rollout's updates.

    Args:
        config: the run's config.
        run_dir: where `checkpoint/` and `progress.csv` are.
        reference: the KL penalty's frozen reference policy.
        reference_sha256: the digest of the initial trained parameters (saved, checked
            on resume).
        stop: set by Ctrl-C.
        resumed: the state of the checkpoint this run continues from, if any.
        store, run_id: the run store and the run's id there, or None.
    """

    def __init__(
        self,
        config: TrainConfig,
        run_dir: Path,
        reference: ScorerPolicy,
        reference_sha256: str,
        stop: StopRequest,
        resumed: TrainingState | None = None,
        store: RunStore | None = None,
        run_id: str | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.run_dir = run_dir
        self.reference = reference
        self.reference_sha256 = reference_sha256
        self.stop = stop
        self.store = store
        self.run_id = run_id
        self.heldout = dataclasses.replace(config.world, split="heldout")
        self.next_eval = resumed.next_eval if resumed else 0
        self.next_checkpoint = resumed.next_checkpoint if resumed else config.checkpoint_every
        self.history: list[dict[str, Any]] = list(resumed.history) if resumed else []
        self.oracle_reward = resumed.oracle_reward if resumed else None
        self.last_checkpoint: int | None = resumed.step if resumed else None
        self.rollout_start: tuple[int, list[dict[str, float]]] | None = None
        """The step and finished sessions at the start of the rollout in progress."""
        self.cut_short = False
        """A stop ended a rollout before its end."""
        self.bookkeeping_seconds = 0.0
        """Seconds spent here so far (evaluations, checkpoints): not training time."""

    def _on_rollout_start(self) -> None:
        start = time.perf_counter()
        self._rollout_boundary()
        self.bookkeeping_seconds += time.perf_counter() - start

    def _rollout_boundary(self) -> None:
        step = self.num_timesteps
        evaluated = step >= self.next_eval
        if evaluated:
            self.evaluate()
        elif self.logger.name_to_value:
            self.logger.dump(step)  # the last update's `train/…` values, at its own step
        due = step >= self.next_checkpoint
        if due:
            self.next_checkpoint = step + self.config.checkpoint_every
        if evaluated or due or self.stop.requested:
            self.checkpoint()
        assert self.model.ep_info_buffer is not None
        self.rollout_start = (step, [dict(episode) for episode in self.model.ep_info_buffer])

    def _on_step(self) -> bool:
        self.cut_short = self.stop.requested
        return not self.cut_short

    def checkpoint_rollout_start(self) -> int:
        """After a stop cut a rollout short: save the step it started at; returns it.

        The policy and optimizer have not changed since then; the steps, sessions and
        logged values of the dropped rollout are set back, and the checkpoint is the one
        the rollout start would have saved (without restarting: nothing runs after it).
        """
        assert self.rollout_start is not None
        step, episodes = self.rollout_start
        if self.last_checkpoint != step:
            self.model.num_timesteps = step
            self.model.ep_info_buffer = deque(episodes, maxlen=self.model._stats_window_size)
            for pending in (self.logger.name_to_value, self.logger.name_to_count,
                            self.logger.name_to_excluded):
                pending.clear()
            self._save(finished=False)
        return step

    def checkpoint_before_evaluation(self) -> int:
        """After a stop cut an evaluation short: save the current step; returns it.

        No rollout is in progress, so the step is consistent once the last update's
        values are written; the evaluation is still due, so a resumed run makes it.
        """
        if self.logger.name_to_value:
            self.logger.dump(self.num_timesteps)
        if self.last_checkpoint != self.num_timesteps:
            self._save(finished=False)
        return self.num_timesteps

    def evaluate(self) -> dict[str, Any]:
        """Evaluate the current policy now, log `eval/…` at the current step, return it."""
        policy = self.model.policy
        assert isinstance(policy, ScorerPolicy)
        episodes, seed = self.config.eval_episodes, self.config.seed
        with self.stop.abortable():  # a stop drops the evaluation: it is made again
            if self.oracle_reward is None:  # the same sessions every time: compute once
                oracle = evaluate(OracleAgent(), self.heldout, episodes, seed)
                self.oracle_reward = oracle["reward"]
            result = evaluate(PolicyAgent(policy), self.heldout, episodes, seed,
                              self.oracle_reward)
        policy.set_training_mode(False)
        for name in metric_names(self.heldout.slate_size):
            if np.isfinite(result[name]):
                self.logger.record(f"eval/{name}", result[name])
        self.logger.record("time/env_steps", self.num_timesteps)
        self.logger.dump(self.num_timesteps)
        self.history.append({"step": self.num_timesteps, **result})
        if self.store is not None and self.run_id is not None:
            self.store.log_evaluation(self.run_id, self.num_timesteps, result)
        self.next_eval = self.num_timesteps + self.config.eval_every
        return result

    def checkpoint(self, finished: bool = False) -> None:
        """Restart what a checkpoint cannot hold, then save one at the current step."""
        restart_at(self.model, self.config.seed, self.num_timesteps)
        self._save(finished)

    def _save(self, finished: bool) -> None:
        policy = self.model.policy
        assert isinstance(policy, ScorerPolicy)
        directory = self.run_dir / CHECKPOINT_DIR
        save_checkpoint(directory, self.config, policy, self._state(finished))
        if self.store is not None and self.run_id is not None:
            self.store.set_checkpoint(self.run_id, directory.resolve())
        self.last_checkpoint = self.num_timesteps

    def _state(self, finished: bool) -> TrainingState:
        model = self.model
        assert model.ep_info_buffer is not None
        assert not self.logger.name_to_value, "a checkpoint must follow a logger dump"
        return TrainingState(
            step=model.num_timesteps,
            updates=model._n_updates,
            next_eval=self.next_eval,
            next_checkpoint=self.next_checkpoint,
            finished=finished,
            history=self.history,
            episodes=[dict(episode) for episode in model.ep_info_buffer],
            progress_rows=progress_rows(self.run_dir / PROGRESS_FILE),
            run_id=self.run_id,
            reference_sha256=self.reference_sha256,
            oracle_reward=self.oracle_reward,
        )


def train(
    config: TrainConfig,
    run_dir: Path,
    progress_bar: bool = False,
    callbacks: list[BaseCallback] | None = None,
    store: RunStore | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """Train from scratch, evaluating and checkpointing along the way; returns the summary.

    Checkpoints an earlier run left in `run_dir` are deleted first. `callbacks` are added
    to the trainer's own (e.g. a wall-clock limit). With a `store` and the `run_id` of a
    run started in it, every logged value, every evaluation and the checkpoint path are
    recorded there too; starting and finishing the run is the caller's.

    Raises:
        TrainingInterrupted: Ctrl-C stopped training after saving a checkpoint.
        RunDirectoryBusyError: another process is training in `run_dir`.
    """
    _check_store(store, run_id)
    with locked_run_directory(run_dir):
        remove_checkpoints(run_dir / CHECKPOINT_DIR)
        return _learn(config, run_dir, None, progress_bar, callbacks, store, run_id)


def resume(
    checkpoint: Checkpoint,
    run_dir: Path,
    total_steps: int | None = None,
    progress_bar: bool = False,
    callbacks: list[BaseCallback] | None = None,
    store: RunStore | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """Continue the run of `checkpoint` (read from `run_dir`) to `total_steps` (default:
    the config's); as `train` otherwise, with the same summary.

    A finished run given more `total_steps` trains on; given none, nothing is done and the
    summary is the checkpoint's. Reopening the run in the store is the caller's.

    Raises:
        CheckpointError: the checkpoint does not fit the policy its config builds.
        TrainingInterrupted, RunDirectoryBusyError: as for `train`.
    """
    _check_store(store, run_id)
    config = checkpoint.config
    if total_steps is not None:
        config = with_overrides(config, {"total_steps": total_steps})
    with locked_run_directory(run_dir):
        return _learn(config, run_dir, checkpoint, progress_bar, callbacks, store, run_id)


def _check_store(store: RunStore | None, run_id: str | None) -> None:
    if (store is None) != (run_id is None):
        raise ValueError("give both `store` and `run_id` (from `store.start_run`), or neither")


def _learn(
    config: TrainConfig,
    run_dir: Path,
    checkpoint: Checkpoint | None,
    progress_bar: bool,
    callbacks: list[BaseCallback] | None,
    store: RunStore | None,
    run_id: str | None,
) -> dict[str, Any]:
    state = checkpoint.state if checkpoint is not None else None
    if store is not None and run_id is not None:  # where `runs delete` finds the lock
        store.set_directory(run_id, run_dir.resolve())
    logger = Logger(str(run_dir), _outputs(config, run_dir, state, store, run_id))
    try:
        model = build_ppo(config)
        policy = model.policy
        assert isinstance(policy, ScorerPolicy)
        reference = frozen_copy(policy)
        digest = trained_state_sha256(policy)
        model.set_logger(logger)
        if checkpoint is not None:
            _restore(model, checkpoint, digest)
        with stop_on_interrupt() as stop:
            boundaries = RolloutBoundaries(
                config, run_dir, reference, digest, stop, state, store, run_id
            )
            throughput = ThroughputCallback(lambda: boundaries.bookkeeping_seconds)
            everything = CallbackList([  # boundaries after any callback's own update
                PositionRewardCallback(),
                KLPenaltyCallback(config.ppo.kl_coef, reference),
                ClickLossCallback(config.ppo.click_loss_coef, config.ppo.click_loss_epochs,
                                  config.ppo.batch_size, config.ppo.max_grad_norm),
                *(callbacks or []),
                boundaries,
                throughput,  # last: times the rollouts from after the boundaries' work
            ])
            start_step, start = model.num_timesteps, time.perf_counter()
            if state is None or not state.finished or config.total_steps > state.step:
                try:
                    model.learn(
                        max(config.total_steps - model.num_timesteps, 0),
                        callback=everything,
                        progress_bar=progress_bar,
                        reset_num_timesteps=state is None,
                    )
                    if boundaries.cut_short:
                        raise TrainingInterrupted(boundaries.checkpoint_rollout_start(), run_dir)
                    boundaries.evaluate()
                except StopNow:
                    raise TrainingInterrupted(
                        boundaries.checkpoint_before_evaluation(), run_dir) from None
                boundaries.checkpoint(finished=True)
            seconds = time.perf_counter() - start
    finally:
        logger.close()
    trained = model.num_timesteps - start_step
    final = {k: v for k, v in boundaries.history[-1].items() if k != "step"}
    return {
        "steps": model.num_timesteps,
        "resumed_from": state.step if state is not None else None,
        "seconds": seconds,
        "steps_per_second": trained / seconds if trained else 0.0,
        **throughput.summary(),
        "final": final,
        "history": boundaries.history,
        "checkpoint": str(run_dir / CHECKPOINT_DIR),
    }


def _outputs(
    config: TrainConfig,
    run_dir: Path,
    state: TrainingState | None,
    store: RunStore | None,
    run_id: str | None,
) -> list[KVWriter]:
    """progress.csv, the run store and TensorBoard, continuing after `state` if resuming."""
    outputs: list[KVWriter] = []
    if config.tensorboard_log is not None:  # first: a missing package fails before any work
        folder = Path(config.tensorboard_log) / (run_id or run_dir.name)
        outputs.append(TensorBoardOutput(folder, purge_step=state.step + 1 if state else 0))
    run_dir.mkdir(parents=True, exist_ok=True)
    keep = state.progress_rows if state is not None else None
    outputs.insert(0, progress_csv(run_dir / PROGRESS_FILE, keep))
    if store is not None and run_id is not None:
        outputs.append(RunStoreOutput(store, run_id))
    return outputs


def _restore(model: PPO, checkpoint: Checkpoint, digest: str) -> None:
    """Put a freshly built learner into the checkpoint's state, ready to learn on."""
    state, where = checkpoint.state, checkpoint.directory
    if state.reference_sha256 != digest:
        raise CheckpointError(
            f"{where}: the initial policy rebuilt from its config differs from the one the "
            "run started from, so the KL penalty would pull towards another policy; resume "
            "with the same ifr-sim version and scorer model files"
        )
    policy = model.policy
    assert isinstance(policy, ScorerPolicy)
    load_weights(policy, checkpoint.weights, where)
    try:
        policy.optimizer.load_state_dict(checkpoint.optimizer)
    except (ValueError, KeyError) as error:
        raise CheckpointError(f"{where}: the optimizer state does not fit: {error}") from None
    model.num_timesteps = state.step
    model._n_updates = state.updates
    window = model._stats_window_size
    model.ep_info_buffer = deque(state.episodes, maxlen=window)
    model.ep_success_buffer = deque(maxlen=window)
    restart_at(model, checkpoint.config.seed, state.step)
