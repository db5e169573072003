"""Bad input meets a clear error at the entry point a user reaches, never a deep crash.

One test (or parametrised case) per kind of bad input, in this order:
- config files: unknown keys, wrong types, out-of-range values → one line naming the key,
  the value and what is allowed, and nothing starts;
- catalogs: missing columns, duplicate ids, empty titles, non-UTF-8 bytes, NaN or
  infinite numbers, no items → the file, the row and the column;
- actions: out-of-range, wrong shape or dtype → a `ValueError` from the env;
- NaN or infinite scores from a model → stopped at the policy boundary;
- model directories: missing, wrong architecture, no tokenizer → which backend expects what;
- instruction files for `evaluate`: every bad line with its number.
Random valid and invalid configs and actions are in `test_properties.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

from ifr_sim import ENV_ID
from ifr_sim.agents.policy.policy_agent import PolicyAgent
from ifr_sim.agents.policy.slate_distribution import check_finite_scores
from ifr_sim.agents.training.train_config import TrainConfig
from ifr_sim.agents.training.trainer import build_ppo
from ifr_sim.apps.cli import main
from ifr_sim.core.catalog import Catalog, CatalogError
from ifr_sim.core.config import with_overrides
from ifr_sim.core.run_store import DATABASE, RunStore
from ifr_sim.core.scorer import ModelLoadError, ScorerConfig, make_scorer
from ifr_sim.envs.config import WorldConfig, preset_config
from ifr_sim.envs.sb3_vec_env import make_sb3_vec_env

pytest_plugins = ("scorer_fixtures",)


# Config files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        pytest.param("simulate", "slate_sise = 3\n", ["'slate_sise'", "allowed keys"],
                     id="unknown key"),
        pytest.param("simulate", "[clicks]\nmodle = 'pbm'\n", ["'clicks.modle'", "allowed"],
                     id="unknown key in a section"),
        pytest.param("simulate", 'slate_size = "ten"\n',
                     ["slate_size", "'ten'", "whole number"], id="wrong type"),
        pytest.param("simulate", "[users]\npatience = 3.0\n",
                     ["users.patience", "3.0", "must be a list"], id="wrong type in a section"),
        pytest.param("simulate", "num_candidates = 10\nslate_size = 20\n",
                     ["slate_size=20", "1..num_candidates (10)"],
                     id="slate size larger than the candidate count"),
        pytest.param("train", "total_steps = -5\n", ["total_steps=-5", ">= 1"],
                     id="negative steps"),
        pytest.param("simulate", "[users]\nrefine_probability = 1.5\n",
                     ["users.refine_probability=1.5", "probability in [0, 1]"],
                     id="probability above 1"),
        pytest.param("simulate", "[clicks]\ndcm_continuation = -0.1\n",
                     ["clicks.dcm_continuation=-0.1", "probability in [0, 1]"],
                     id="probability below 0"),
        pytest.param("simulate", "[attractiveness]\nbias = nan\n",
                     ["attractiveness.bias", "nan", "finite number"], id="not a finite number"),
    ],
)
def test_config_file_mistakes_stop_with_one_line_and_nothing_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, text: str,
    expected: list[str],
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    runs, output = tmp_path / "runs", tmp_path / "out"
    extra = ["--output", str(output)] if command == "simulate" else ["--run-dir", str(output)]
    code = main([command, "--config", str(config), "--runs", str(runs), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"ifr-sim {command}: error: ")
    for fragment in expected:
        assert fragment in err
    assert not output.exists()  # no episodes, no checkpoint
    assert not (runs / DATABASE).exists() or RunStore(runs).runs() == []  # no run recorded


# Catalogs ---------------------------------------------------------------------------------

HEADER = "id,title,categories,quality,price\n"
GOOD_ROW = "a{},Item {},phones,0.5,100\n"


def csv_catalog(path: Path, rows: list[str], header: str = HEADER, items: int = 12) -> Path:
    """A CSV catalog of `items` good rows followed by `rows`."""
    text = header + "".join(GOOD_ROW.format(i, i) for i in range(items)) + "".join(rows)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(lambda p: p.write_text("id,name\n" + "a,A\n" * 12),
                     "{path}, header (line 1), column 'title': missing required column",
                     id="missing column"),
        pytest.param(lambda p: csv_catalog(p, ["a3,Other,phones,0.5,1\n"]),
                     "{path}, row 13 (line 14), column 'id': duplicate id 'a3', already used "
                     "in row 4 (line 5)", id="duplicate ids"),
        pytest.param(lambda p: csv_catalog(p, ["b1,  ,phones,0.5,1\n"]),
                     "{path}, row 13 (line 14), column 'title': empty title",
                     id="empty title"),
        pytest.param(lambda p: p.write_bytes(
            csv_catalog(p, []).read_bytes() + b"b1,Caf\xe9,phones,0.5,1\n"),
                     "{path}, row 13 (line 14), column 'title': byte", id="non-UTF-8 bytes"),
        pytest.param(lambda p: csv_catalog(p, ["b1,Phone,phones,NaN,1\n"]),
                     "{path}, row 13 (line 14), column 'quality': empty or missing value",
                     id="NaN in a score column"),
        pytest.param(lambda p: csv_catalog(p, ["b1,Phone,phones,0.5,inf\n"]),
                     "{path}, row 13 (line 14), column 'price': inf is out of range; "
                     "expected a finite number >= 0", id="infinite attribute"),
        pytest.param(lambda p: csv_catalog(p, [], items=0),
                     "{path}: the file has no items", id="0-item file"),
        pytest.param(lambda p: p.write_text(""), "{path}: the file is empty", id="empty file"),
        pytest.param(lambda p: csv_catalog(p, [], items=5),
                     "{path}: the catalog has 5 items; a world needs at least 10",
                     id="too few items for a world"),
    ],
)
def test_catalog_errors_name_file_row_and_column(
    tmp_path: Path, content: Any, expected: str
) -> None:
    path = tmp_path / "items.csv"
    content(path)
    with pytest.raises(CatalogError) as caught:
        gym.make(ENV_ID, catalog=str(path), num_candidates=5, slate_size=2)
    assert str(caught.value).startswith(expected.format(path=path))


def test_nan_in_a_free_attribute_means_unknown(tmp_path: Path) -> None:
    """The documented exception: empty or NaN cells of other attributes are "unknown"."""
    path = csv_catalog(tmp_path / "items.csv", ["b1,Phone,phones,0.5,NaN\n"])
    env = gym.make(ENV_ID, catalog=str(path), num_candidates=5, slate_size=2)
    catalog: Catalog = env.unwrapped.world.catalog
    assert np.isnan(catalog.attributes["price"][-1]) and "Price" not in catalog.texts[-1]


# Actions ------------------------------------------------------------------------------

N, K, USERS = 20, 3, 4
BAD_ACTIONS = [
    pytest.param(lambda b: np.full((*b, K), N), "outside", id="index too large"),
    pytest.param(lambda b: np.full((*b, K), -1), "outside", id="negative index"),
    pytest.param(lambda b: np.zeros((*b, K + 1), np.int64), "shape", id="too long"),
    pytest.param(lambda b: np.zeros((2, *b, K), np.int64), "shape", id="extra axis"),
    pytest.param(lambda b: np.full((*b, K), 1.0), "got dtype float64; cast", id="floats"),
    pytest.param(lambda b: np.full((*b, K), 1.5), "not whole numbers", id="fractions"),
    pytest.param(lambda b: np.full((*b, K), np.nan), "not whole numbers", id="NaN"),
    pytest.param(lambda b: np.full((*b, K), "1"), "integer.*dtype <U1", id="strings"),
    pytest.param(lambda b: np.ones((*b, K), bool), "integer.*dtype bool", id="booleans"),
    pytest.param(lambda b: [[0], [1, 2]], "array of shape", id="ragged lists"),
]


@pytest.fixture(scope="module")
def single_env() -> gym.Env:
    return gym.make(ENV_ID, num_candidates=N, slate_size=K)


@pytest.fixture(scope="module")
def vector_env() -> gym.vector.VectorEnv:
    return gym.make_vec(ENV_ID, num_envs=USERS, vectorization_mode="vector_entry_point",
                        num_candidates=N, slate_size=K)


@pytest.mark.parametrize(("make_action", "message"), BAD_ACTIONS)
def test_single_env_refuses_bad_actions_with_a_value_error(
    single_env: gym.Env, make_action: Any, message: str
) -> None:
    single_env.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        single_env.unwrapped.step(make_action(()))
    single_env.step(np.arange(K))  # the refused action changed nothing


@pytest.mark.parametrize(("make_action", "message"), BAD_ACTIONS)
def test_vector_envs_refuse_bad_actions_with_a_value_error(
    vector_env: gym.vector.VectorEnv, make_action: Any, message: str
) -> None:
    vector_env.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        vector_env.step(make_action((USERS,)))
    sb3 = make_sb3_vec_env(USERS, num_candidates=N, slate_size=K)
    sb3.reset()
    with pytest.raises(ValueError, match=message):
        sb3.step(make_action((USERS,)))


def test_what_the_action_space_holds_is_played(single_env: gym.Env) -> None:
    """`MultiDiscrete` members: integers of any width, lists, repeated positions (empty
    slots)."""
    single_env.reset(seed=0)
    for action in (np.arange(K, dtype=np.int8), list(range(K)), np.zeros(K, np.uint16)):
        assert single_env.action_space.contains(np.asarray(action))
        obs, *_ = single_env.step(action)
        assert single_env.observation_space.contains(obs)


# NaN or infinite scores from a model ------------------------------------------------------


SMALL_WORLD = with_overrides(preset_config("synthetic-shop"), {
    "catalog.size": 60, "num_candidates": N, "slate_size": K, "intent_bank_size": 32})
"""A catalog the tiny scorer encodes in a moment."""


@pytest.fixture(scope="module")
def policy_agent(tiny_bert_dir: Path) -> PolicyAgent:
    config = with_overrides(TrainConfig(world=SMALL_WORLD), {
        "scorer.model_path": str(tiny_bert_dir), "ppo.n_envs": 2, "ppo.n_steps": 4,
        "ppo.batch_size": 8, "total_steps": 8, "eval_episodes": 2})
    return PolicyAgent(build_ppo(config).policy)


@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["NaN", "infinite"])
def test_non_finite_model_scores_are_stopped_at_the_policy_boundary(
    policy_agent: PolicyAgent, value: float
) -> None:
    obs, _ = gym.make_vec(ENV_ID, num_envs=USERS, vectorization_mode="vector_entry_point",
                          config=SMALL_WORLD).reset(seed=0)
    rng = np.random.default_rng(0)
    assert policy_agent.act(obs, {}, rng).shape == (USERS, K)  # healthy weights first
    trained = [p for p in policy_agent.policy.parameters() if p.requires_grad]
    saved = [p.detach().clone() for p in trained]
    with torch.no_grad():
        for parameter in trained:  # what a diverged update leaves behind
            parameter.fill_(value)
    try:
        with pytest.raises(ValueError, match=r"NaN or infinite.*diverged fine-tune.*learning_rate"):
            policy_agent.act(obs, {}, rng)
    finally:
        with torch.no_grad():
            for parameter, value_before in zip(trained, saved, strict=True):
                parameter.copy_(value_before)


def test_scores_whose_sum_overflows_are_still_finite() -> None:
    """The check's fast path (a sum) overflows here; the elementwise test must pass them."""
    scores = torch.full((2, 8), 3e38)
    check_finite_scores(scores)
    scores[1, 3] = float("-inf")
    with pytest.raises(ValueError, match=r"0 NaN, 1 infinite, in 1 of 2 rows"):
        check_finite_scores(scores)


# Model directories ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("directory", "backend", "expected"),
    [
        pytest.param("missing", "bi-encoder",
                     r"does not exist.*backend 'bi-encoder' expects an encoder",
                     id="missing directory"),
        pytest.param("bert", "causal-lm",
                     r"backend 'causal-lm' expects a decoder-only.*holds an encoder",
                     id="encoder for the causal-LM backend"),
        pytest.param("llama", "bi-encoder",
                     r"backend 'bi-encoder' expects an encoder.*holds a causal language model",
                     id="decoder for an encoder backend"),
        pytest.param("llama without tokenizer", "causal-lm",
                     r"has no tokenizer.*backend 'causal-lm' expects a decoder-only",
                     id="tokenizer missing"),
    ],
)
def test_unusable_model_directories_say_which_backend_expects_what(
    tmp_path: Path, tiny_bert_dir: Path, tiny_causal_dir: Path, tiny_catalog: Catalog,
    directory: str, backend: Any, expected: str,
) -> None:
    if directory == "llama without tokenizer":
        path = tmp_path / "llama"
        path.mkdir()
        for file in tiny_causal_dir.iterdir():
            if not file.name.startswith(("tokenizer", "vocab", "special_tokens", "merges")):
                (path / file.name).write_bytes(file.read_bytes())
    else:
        path = {"missing": tmp_path / "nowhere", "bert": tiny_bert_dir,
                "llama": tiny_causal_dir}[directory]
    config = ScorerConfig(backend=backend, model_path=str(path), device="cpu")
    with pytest.raises(ModelLoadError, match=expected):
        make_scorer(config, tiny_catalog)


# Instruction files for `evaluate` -----------------------------------------------------------


def test_every_bad_instruction_line_is_reported_with_its_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        json.dumps({"instruction": "a comedy", "relevant": ["1"]}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"instruction": "a comedy", "relevant": ["no-such-item"]}),
        "",
        json.dumps({"relevant": ["1"]}),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code = main(["evaluate", "--instructions", str(path), "--agent", "bm25",
                 "--runs", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2 and "4 bad line(s)" in err
    for number, problem in [(2, "not valid JSON"), (3, "JSON object"), (4, "no-such-item"),
                            (6, "'instruction'")]:
        assert f"line {number}: " in err and problem in err
    assert "line 1:" not in err and "line 5:" not in err


def test_a_non_utf8_instruction_line_is_reported_with_its_number(tmp_path: Path) -> None:
    from ifr_sim.agents.evaluation.instruction_set import (
        InstructionFileError,
        read_instruction_file,
    )
    from ifr_sim.envs.world import load_catalog

    good = json.dumps({"instruction": "a comedy", "relevant": ["1"]}).encode()
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(good + b"\n" + good.replace(b"comedy", b"com\xe9die") + b"\n")
    with pytest.raises(InstructionFileError, match="line 2: "):
        read_instruction_file(path, load_catalog(WorldConfig().catalog))
