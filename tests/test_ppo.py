"""PPO on the scorer: the policy's plumbing, credit assignment, determinism.

Checkpoints are tested in test_checkpoint.py, resuming in test_resume.py.

A tiny randomly initialised BERT (tests/scorer_fixtures.py) stands in for MiniLM so the
real loading and training code runs in seconds.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
from stable_baselines3.common.vec_env import DummyVecEnv

from ifr_sim.agents.policy.credit import SlateRolloutBuffer
from ifr_sim.agents.policy.slate_distribution import PlackettLuceDistribution
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.agents.training.trainer import build_ppo, train
from ifr_sim.core.config import with_overrides
from ifr_sim.envs.config import WorldConfig

pytest_plugins = ("scorer_fixtures",)


@pytest.fixture(scope="module")
def config(tiny_bert_dir: Path) -> TrainConfig:
    world = with_overrides(WorldConfig(), {"num_candidates": 20, "slate_size": 4})
    return with_overrides(
        TrainConfig(world=world),
        {
            "scorer.model_path": str(tiny_bert_dir),
            "ppo.n_envs": 4,
            "ppo.n_steps": 8,
            "ppo.batch_size": 16,
            "ppo.n_epochs": 2,
            "total_steps": 64,
            "eval_every": 10_000,
            "eval_episodes": 8,
        },
    )


def batch_obs(model) -> dict[str, torch.Tensor]:
    obs = model.env.reset()
    return model.policy.obs_to_tensor(obs)[0]


def test_first_minibatch_ratio_is_exactly_one(config: TrainConfig) -> None:
    """Dropout is off: re-evaluating the rollout's actions reproduces its log-probs."""
    model = build_ppo(config)
    obs = batch_obs(model)
    with torch.no_grad():
        actions, _, log_probs = model.policy(obs)
    model.policy.set_training_mode(True)
    _, again, _ = model.policy.evaluate_actions(obs, actions.float())
    assert log_probs.shape == (4, 4)
    assert torch.equal(torch.exp(again - log_probs), torch.ones_like(log_probs))


def test_shown_and_clicked_candidates_are_penalised(config: TrainConfig) -> None:
    """Each learned penalty lowers exactly its candidates' logits: shown earlier, clicked.

    (History blending is off, so the click history changes nothing else.)
    """
    model = build_ppo(with_overrides(config, {"scorer.history_weight": 0.0}))
    extractor = model.policy.features_extractor
    obs = {k: v.clone() for k, v in batch_obs(model).items()}
    obs["shown"].zero_()
    obs["history"].fill_(-1)

    def logits() -> torch.Tensor:
        with torch.no_grad():
            return model.policy.get_distribution(obs).logits

    before = logits()
    obs["shown"][:, 0] = 1.0
    obs["history"][:, 0] = obs["candidates"][:, 1]
    after = logits()
    penalty = torch.zeros_like(before)
    penalty[:, 0] = extractor.shown_penalty
    penalty[:, 1] = extractor.clicked_penalty
    assert extractor.clicked_penalty.requires_grad
    torch.testing.assert_close(before - after, penalty)


def test_training_changes_heads_not_the_frozen_encoder(config: TrainConfig) -> None:
    model = build_ppo(config)
    policy = model.policy
    before = {name: p.detach().clone() for name, p in policy.named_parameters()}
    train_params = {name for name, p in policy.named_parameters() if p.requires_grad}
    assert train_params and all("encoder" not in name for name in train_params)
    model.learn(64, callback=_callbacks(config))
    after = dict(policy.named_parameters())
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed and changed <= train_params
    assert any(name.startswith("value_net") for name in changed)


def _callbacks(config: TrainConfig):
    from stable_baselines3.common.callbacks import CallbackList

    from ifr_sim.agents.policy.credit import PositionRewardCallback
    from ifr_sim.agents.policy.kl_penalty import KLPenaltyCallback

    return CallbackList([PositionRewardCallback(), KLPenaltyCallback(config.ppo.kl_coef)])


def test_lora_trains_adapters_only(config: TrainConfig) -> None:
    lora = with_overrides(config, {"scorer.trainable": "lora"})
    model = build_ppo(lora)
    base = {n: p.detach().clone() for n, p in model.policy.named_parameters() if "lora_" not in n
            and "encoder" in n}
    adapters = {n: p.detach().clone() for n, p in model.policy.named_parameters() if "lora_" in n}
    assert adapters
    model.learn(64, callback=_callbacks(lora))
    now = dict(model.policy.named_parameters())
    assert all(torch.equal(base[n], now[n]) for n in base)
    assert any(not torch.equal(adapters[n], now[n]) for n in adapters)


def test_learning_rate_falls_linearly_to_the_final_one(config: TrainConfig) -> None:
    decaying = with_overrides(config, ["ppo.final_learning_rate=1e-4"])
    model = build_ppo(decaying)
    model.learn(64, callback=_callbacks(decaying))  # 2 rollouts, updates at 1/2 and 0 left
    start, end = config.ppo.learning_rate, 1e-4
    assert model.policy.optimizer.param_groups[0]["lr"] == pytest.approx(end)
    assert model.lr_schedule(0.5) == pytest.approx((start + end) / 2)
    assert build_ppo(config).lr_schedule(0.0) == pytest.approx(start)  # unset: constant


def test_same_seed_same_training(config: TrainConfig, tmp_path: Path) -> None:
    a = train(config, tmp_path / "a")
    b = train(config, tmp_path / "b")
    np.testing.assert_equal(a["final"], b["final"])  # NaN-aware equality
    # evaluated at rollout starts: the zero-shot policy at step 0, the last one at the end
    assert [point["step"] for point in a["history"]] == [0, 64]
    assert (tmp_path / "a" / "checkpoint" / "policy.safetensors").read_bytes() == (
        tmp_path / "b" / "checkpoint" / "policy.safetensors").read_bytes()


def test_policy_works_with_sb3_dummy_vec_env(config: TrainConfig) -> None:
    import gymnasium as gym

    import ifr_sim

    model = build_ppo(config)
    env = DummyVecEnv([lambda: gym.make(ifr_sim.ENV_ID, config=config.world)] * 2)
    obs = env.reset()
    actions, _ = model.policy.predict(obs)
    assert actions.shape == (2, 4) and all(len(set(row)) == 4 for row in actions)
    env.step(actions)


def test_position_advantages_subtract_earlier_positions(config: TrainConfig) -> None:
    """Toy rollout, one env, two turns, gamma = lambda = 1, zero values:
    turn rewards 1 (clicks at positions 1 and 2 of [0, 1, 0, 0]... see below) and 0."""
    model = build_ppo(config)
    buffer = SlateRolloutBuffer(2, model.observation_space, model.action_space, n_envs=1,
                                gamma=1.0, gae_lambda=1.0, credit="position")
    obs = {k: v[:1] for k, v in model.env.reset().items()}
    for position_rewards in ([0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]):
        rewards = np.array([position_rewards])
        buffer.record_position_rewards(rewards, rewards > 0)
        buffer.add(obs, np.zeros((1, 4)), np.array([sum(position_rewards)]), np.array([1.0]),
                   torch.zeros(1), torch.zeros(1, 4))
    buffer.compute_returns_and_advantage(torch.zeros(1), np.array([True]))
    # Turn 0: GAE advantage = 2 + 0 = 2; earlier rewards per position: 0, 0, 1, 2.
    assert buffer.advantages[0, 0].tolist() == [2.0, 2.0, 1.0, 0.0]
    assert buffer.advantages[1, 0].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert buffer.returns[0, 0] == 2.0


def test_reward_to_go_gradient_is_the_true_gradient() -> None:
    """The known answer: for a cascade user over a Plackett-Luce policy (N=4, K=2), the
    expected per-position reward-to-go estimator equals the exact gradient of expected
    clicks, computed by enumerating every slate."""
    logits = torch.tensor([0.3, -0.2, 0.8, 0.0], requires_grad=True)
    attract = torch.tensor([0.6, 0.1, 0.3, 0.5])
    slates = list(itertools.permutations(range(4), 2))
    dist = PlackettLuceDistribution(2)

    def expected_clicks(theta: torch.Tensor) -> torch.Tensor:
        total = theta.new_zeros(())
        for slate in slates:
            p = dist.proba_distribution(theta[None]).log_prob(torch.tensor([slate])).exp()[0]
            a0, a1 = attract[slate[0]], attract[slate[1]]
            total = total + p * (a0 + (1 - a0) * a1)  # cascade: click 1, else look at 2
        return total

    (exact,) = torch.autograd.grad(expected_clicks(logits), logits)
    estimate = torch.zeros(4)
    for slate in slates:
        theta = logits.detach().clone().requires_grad_(True)
        d = dist.proba_distribution(theta[None])
        terms = d.position_log_prob(torch.tensor([slate]))[0]
        prob = terms.sum().exp().detach()
        a0, a1 = attract[slate[0]], attract[slate[1]]
        # Expected per-position rewards: r0 = a0, r1 = (1 - a0) a1; reward-to-go weights.
        r0, r1 = a0, (1 - a0) * a1
        surrogate = terms[0] * (r0 + r1) + terms[1] * r1
        (grad,) = torch.autograd.grad(surrogate, theta)
        estimate += prob * grad
    assert torch.allclose(estimate, exact, atol=1e-6)


@pytest.mark.slow
def test_learning_benchmark_runs_end_to_end(config: TrainConfig, tmp_path: Path) -> None:
    from ifr_sim.agents.experiments.learning_benchmark import run_learning_benchmark
    from ifr_sim.core.run_store import RunStore

    store = RunStore(tmp_path / "store")
    report = run_learning_benchmark(config, [0], minutes=0.2, out_dir=tmp_path, store=store)
    assert [run.status for run in store.runs(kind="train")] == ["finished"]
    # Slates of 4: the gap is measured at @4 (an @10 of four items would cap the oracle).
    assert set(report) == {"seeds", "ndcg@4", "ctr", "intent_precision@4"}
    assert (tmp_path / "learning.json").is_file()
    assert (tmp_path / "seed0" / "checkpoint" / "policy.safetensors").is_file()


@pytest.mark.slow
def test_train_and_evaluate_checkpoint_from_the_command_line(
    config: TrainConfig, tmp_path: Path
) -> None:
    import json

    from ifr_sim.apps.cli import main

    config_file = tmp_path / "train.toml"
    config_file.write_text(
        f'preset = "quick"\ntotal_steps = 64\neval_every = 10000\neval_episodes = 8\n'
        f'[scorer]\nmodel_path = "{config.scorer.model_path}"\n'
        f"[ppo]\nn_envs = 4\nn_steps = 8\nbatch_size = 16\n"
        f"[world]\nnum_candidates = 20\nslate_size = 4\n"
    )
    run = tmp_path / "run"
    assert main(["train", "--config", str(config_file), "--run-dir", str(run),
                 "--no-progress"]) == 0
    assert (run / "progress.csv").is_file()
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--checkpoint", str(run / "checkpoint"), "--episodes", "8",
                 "--num-candidates", "20", "--slate-size", "4", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["agent"] == f"checkpoint:{(run / 'checkpoint').resolve()}"


@pytest.mark.slow
def test_gpu_check_script_runs_on_cpu(tiny_bert_dir: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, str(root / "scripts" / "gpu_check.py"), "--steps", "32",
         "--episodes", "8", "--run-dir", str(tmp_path / "run"),
         "--set", f"scorer.model_path={tiny_bert_dir}", "--set", "ppo.n_envs=4",
         "--set", "ppo.batch_size=16", "--set", "world.num_candidates=20",
         "--set", "world.slate_size=4", "--set", "world.catalog.source=synthetic",
         "--set", "world.catalog.size=200"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for line in ("device:", "steps/s", "peak GPU memory:", "held-out ndcg@4:"):  # slates of 4
        assert line in result.stdout
