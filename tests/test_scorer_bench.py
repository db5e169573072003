"""`ifr-sim bench scorer --arch`: decoder cost figures from random weights, as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ifr_sim.core.scorer.architectures import ARCHITECTURES, architecture_config

pytest_plugins = ("scorer_fixtures",)
CLI = [sys.executable, "-m", "ifr_sim.apps.cli"]


def bench(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "bench", "scorer", *options], capture_output=True, text=True, timeout=300,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )


def test_the_decoder_benchmark_writes_its_figures_as_json(tmp_path: Path) -> None:
    out = tmp_path / "bench" / "tiny.json"
    done = bench("--arch", "tiny-llama", "--candidates", "4,20", "--seconds", "0.05",
                 "--device", "cpu", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "RANDOM weights" in done.stdout
    report = json.loads(out.read_text())
    assert (report["arch"], report["random_weights"], report["layers"]) == ("tiny-llama", True, 2)
    first, second = report["results"]
    assert (first["n"], second["n"]) == (4, 20)
    prompt, item = report["prompt_tokens"], report["item_tokens"]
    assert second["naive_tokens"] == 20 * (prompt + item)
    assert second["shared_tokens"] == prompt + 20 * item
    for row in report["results"]:
        assert row["naive_candidates_per_s"] > 0 and row["shared_candidates_per_s"] > 0
        assert row["lora_step_s"] > 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--arch", "gpt-9"], "unknown architecture 'gpt-9'; choose one of"),
        (["--arch", "tiny-llama", "--candidates", "20,x"], "give whole numbers of at least 1"),
        (["--arch", "tiny-llama", "--layers", "0"], "layers=0 is invalid: use 1 or more"),
        (["--arch", "tiny-llama", "--device", "tpu"], "device='tpu' is invalid"),
    ],
)
def test_bad_options_say_how_to_fix_them(options: list[str], message: str) -> None:
    done = bench(*options)
    assert done.returncode == 2
    assert message in done.stderr


def test_every_architecture_builds_with_its_published_sizes() -> None:
    for name in ARCHITECTURES:
        config = architecture_config(name, layers=1)
        assert config.num_hidden_layers == 1
        assert config.hidden_size % config.num_attention_heads == 0
        assert config.num_attention_heads % config.num_key_value_heads == 0
    assert architecture_config("qwen2.5-0.5b").num_hidden_layers == 24
    assert architecture_config("llama-3.2-1b").hidden_size == 2048


@pytest.mark.slow
def test_the_gpu_check_rehearses_on_a_cpu_with_a_tiny_decoder(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(root / "scripts" / "gpu_check.py"), "--steps", "32",
         "--episodes", "4", "--arch", "tiny-llama", "--decoder-steps", "32",
         "--run-dir", str(tmp_path / "runs"), "--json", str(out),
         "--set", f"scorer.model_path={tiny_bert_dir}", "--set", "ppo.n_envs=4",
         "--set", "ppo.batch_size=16", "--set", "world.num_candidates=20",
         "--set", "world.slate_size=4", "--set", "world.catalog.source=synthetic",
         "--set", "world.catalog.size=200"],
        capture_output=True, text=True, timeout=600, env={"OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["bi_encoder"]["steps"] == report["decoder"]["steps"] == 32  # one rollout
    assert set(report["decoder"]["held_out"]["ndcg@4"]) == {"before", "after"}
    assert report["decoder_scoring"]["random_weights"] is True
    assert [row["n"] for row in report["decoder_scoring"]["results"]] == [20, 100, 500]
