"""No option is accepted and then ignored: each one works, or is refused with what to do.

- `$IFR_SIM_RUNS` (or `--runs`) moves every default output with the run store: the
  episodes of `simulate`, the run directory of `train`.
- A catalog key the catalog does not read (`catalog.size` on MovieLens) is an error,
  from the command line and from `gymnasium.make` alike.
- Two options that say the same thing (`--preset` and `--config`, `--seed` and
  `--set seed=...`, `--num-candidates` and `--set num_candidates=...`, `--split` and
  `--set split=...`, although `evaluate` and `demo` default the split), an option of one
  benchmark given to another, a local-Ray option with a cluster address, `--as-new-run`
  without `--resume`, a session option with an instruction file (`--episodes`): each is
  refused.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest

from ifr_sim.apps.cli import main
from ifr_sim.core.config import ConfigError, with_overrides
from ifr_sim.envs.config import WorldConfig, preset_config
from ifr_sim.envs.registration import ENV_ID

pytest_plugins = ("scorer_fixtures",)


def ifr_sim(cwd: Path, *args: str, runs: str | None = None) -> subprocess.CompletedProcess[str]:
    """`ifr-sim ARGS` in its own process, with `$IFR_SIM_RUNS` set to `runs` (or unset)."""
    env = {key: value for key, value in os.environ.items() if key != "IFR_SIM_RUNS"}
    env.update(OMP_NUM_THREADS="1", IFR_SIM_CACHE_DIR="off", **(
        {"IFR_SIM_RUNS": runs} if runs else {}))
    return subprocess.run([sys.executable, "-m", "ifr_sim.apps.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


SHOP = ["--preset", "synthetic-shop", "--set", "catalog.size=200", "--num-candidates", "20",
        "--slate-size", "4", "--set", "intent_bank_size=16"]


def test_simulate_writes_its_episodes_into_the_run_store_workspace(tmp_path: Path) -> None:
    result = ifr_sim(tmp_path, "simulate", *SHOP, "--episodes", "2", runs="elsewhere")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "elsewhere" / "episodes.jsonl").is_file()
    assert not (tmp_path / "runs").exists()
    assert "episodes written to elsewhere/episodes.jsonl" in result.stdout


def test_train_runs_in_the_run_store_workspace(tiny_bert_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "train.toml").write_text(
        f"total_steps = 16\neval_episodes = 2\n[scorer]\nmodel_path = \"{tiny_bert_dir}\"\n"
        "[ppo]\nn_envs = 2\nn_steps = 8\nbatch_size = 16\nn_epochs = 1\n[world]\n"
        'num_candidates = 20\nslate_size = 4\n[world.catalog]\nsource = "synthetic"\n'
        "size = 200\n")
    result = ifr_sim(tmp_path, "train", "--config", "train.toml", "--no-progress",
                     runs="elsewhere")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "elsewhere" / "train" / "checkpoint" / "manifest.json").is_file()
    assert not (tmp_path / "runs").exists()
    assert "metrics: elsewhere/train/progress.csv" in result.stdout


def test_a_catalog_size_movielens_ignores_is_refused_on_the_command_line(
    tmp_path: Path
) -> None:
    result = ifr_sim(tmp_path, "simulate", "--set", "catalog.size=200", "--runs", "ws")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert ("ifr-sim simulate: error: catalog.size=200 does not apply to catalog.source="
            "'movielens', which ignores it: set catalog.source='synthetic' for a generated "
            "catalog" in result.stderr)


def test_a_catalog_size_movielens_ignores_is_refused_by_gymnasium_make() -> None:
    with pytest.raises(ConfigError, match=re.escape(
            "catalog.size=200 does not apply to catalog.source='movielens'")):
        gym.make(ENV_ID, catalog_size=200)
    shop = gym.make(ENV_ID, catalog="synthetic", catalog_size=200)  # said explicitly: works
    assert len(shop.unwrapped.world.catalog) == 200  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("base", "key", "value", "message"),
    [
        ("movielens", "catalog.seed", 3, "catalog.seed=3 does not apply to catalog.source="
                                         "'movielens'"),
        ("synthetic-shop", "catalog.domain", "movies", "catalog.domain='movies' does not "
                                                       "apply to catalog.source='synthetic'"),
    ],
)
def test_other_catalog_keys_the_catalog_ignores_are_refused(
    base: str, key: str, value: object, message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        with_overrides(preset_config(base), {key: value})
    assert isinstance(with_overrides(preset_config("synthetic-shop"), {"catalog.seed": 3}),
                      WorldConfig)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--preset", "standard", "--config", "t.toml"],
         "--preset standard and --config t.toml both pick the base config; put "
         '`preset = "standard"` at the top of t.toml'),
        (["train", "--seed", "1", "--set", "seed=2"],
         "--seed 1 and --set seed=2 both set seed; give it once"),
        (["train", "--total-steps", "10", "--set", "total_steps=20"],
         "--total-steps 10 and --set total_steps=20 both set total_steps"),
        (["train", "--as-new-run"], "--as-new-run goes with --resume RUN_DIR"),
        (["simulate", "--preset", "synthetic-shop", "--config", "t.toml"],
         "--preset synthetic-shop and --config t.toml both pick the base config"),
        (["evaluate", "--num-candidates", "20", "--set", "num_candidates=30"],
         "--num-candidates 20 and --set num_candidates=30 both set num_candidates"),
        (["evaluate", "--split", "train", "--set", "split=all"],
         "--split train and --set split=all both set split; give it once"),
        (["demo", "--split", "all", "--set", "split=train"],
         "--split all and --set split=train both set split; give it once"),
        (["evaluate", "--instructions", "i.jsonl", "--episodes", "50"],
         "--episodes do not apply to --instructions: each line of i.jsonl is ranked once"),
        (["evaluate", "--instructions", "i.jsonl", "--num-candidates", "30"],
         "--num-candidates do not apply to --instructions"),
        (["sweep", "--config", "s.toml", "--address", "auto", "--ray-dir", "r"],
         "--ray-dir set up a local Ray, which --address auto does not start"),
    ],
)
def test_options_that_contradict_each_other_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    argv: list[str], message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.toml").write_text("total_steps = 16\n")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["bench", "env", "--preset", "standard"],
                                  ["bench", "soak", "--seconds", "1"],
                                  ["bench", "scorer", "--runs", "ws"]])
def test_an_option_of_another_benchmark_is_refused(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert f"unrecognized arguments: {' '.join(argv[2:])}" in capsys.readouterr().err
