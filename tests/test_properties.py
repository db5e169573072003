"""Property-based tests (hypothesis) of the config loader and the env API.

Valid world configs, drawn at random and written to YAML files, always load and always
yield an env whose observations stay inside its observation space under random valid
actions. Invalid ones (an unknown key, a wrong type, an out-of-range value) always raise
a `ConfigError` that names the key, never an exception of another kind; so does an
action of any other shape, dtype or range raise a `ValueError`.

Worlds are kept small (catalogs of at most 300 items besides MovieLens, intent banks of
at most 48 intents, two taste sizes) so that the world caches absorb most of the cost.
"""

from __future__ import annotations

import dataclasses
import string
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import gymnasium as gym
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ifr_sim import ENV_ID
from ifr_sim.core.config import ConfigError
from ifr_sim.envs.config import WorldConfig, load_world_config

ENV_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
CONFIG_SETTINGS = settings(max_examples=60, deadline=None)

CATALOGS: dict[str, tuple[dict[str, Any], int]] = {
    "movielens": ({"source": "movielens"}, 1682),
    "synthetic-60": ({"source": "synthetic", "size": 60, "seed": 0}, 60),
    "synthetic-300": ({"source": "synthetic", "size": 300, "seed": 1}, 300),
}
"""Catalog sections the valid configs draw from, with their item counts."""

unit = st.floats(0.0, 1.0)


@st.composite
def world_data(draw: st.DrawFn) -> dict[str, Any]:
    """The plain data of a valid world config file (a preset plus sections over it)."""
    catalog, items = CATALOGS[draw(st.sampled_from(sorted(CATALOGS)))]
    n = draw(st.integers(2, min(items, 60)))
    matching = draw(unit)
    low = draw(st.floats(0.5, 4.0))
    return {
        "preset": draw(st.sampled_from(["movielens", "synthetic-shop"])),
        "catalog": dict(catalog),  # a copy: invalid_data edits it
        "num_candidates": n,
        "slate_size": draw(st.integers(1, min(n, 12))),
        "history_length": draw(st.integers(1, 12)),
        "instruction_bytes": draw(st.integers(16, 300)),
        "split": draw(st.sampled_from(["train", "heldout", "all"])),
        "specificity": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "intent_bank_size": draw(st.integers(1, 48)),
        "candidates": {
            "matching_share": matching,
            "popular_share": draw(st.floats(0.0, 1.0 - matching)),
            "popular_pool": draw(st.floats(0.01, 1.0)),
        },
        "users": {
            "taste_dim": draw(st.sampled_from([4, 8])),
            "heldout_share": draw(st.sampled_from([0.2, 0.5])),
            "taste_noise": draw(st.floats(0.0, 1.0)),
            "warm_share": draw(unit),
            "warm_history": draw(st.integers(0, 8)),
            "patience": [low, draw(st.floats(low, 6.0))],
            "click_refund": draw(st.floats(0.0, 1.5)),
            "fatigue": draw(unit),
            "refine_probability": draw(unit),
            "max_refinements": draw(st.integers(0, 3)),
            "drift": draw(unit),
            "intent_temperature": draw(st.floats(0.1, 10.0)),
        },
        "attractiveness": {
            name: draw(st.floats(-8.0, 8.0))
            for name in ("intent", "mismatch", "taste", "quality", "novelty", "bias")
        },
        "clicks": {
            "model": draw(st.sampled_from(["cascade", "pbm", "dcm", "mnl"])),
            "pbm_eta": draw(st.floats(0.0, 3.0)),
            "dcm_continuation": draw(unit),
            "mnl_no_click_weight": draw(st.floats(0.01, 10.0)),
        },
        "reward": {"click": draw(st.floats(-2.0, 2.0)), "intent_bonus": draw(st.floats(0, 2))},
    }


def write_yaml(directory: Path, data: dict[str, Any]) -> Path:
    path = directory / "world.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


@ENV_SETTINGS
@given(data=world_data(), seed=st.integers(0, 2**16))
def test_valid_configs_always_give_a_working_env(
    workdir: Path, data: dict[str, Any], seed: int
) -> None:
    path = write_yaml(workdir, data)
    config = load_world_config(path)
    assert (config.num_candidates, config.slate_size) == (
        data["num_candidates"], data["slate_size"])
    env = gym.make(ENV_ID, config=path)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    assert env.observation_space.contains(obs)
    for _ in range(6):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs)
        assert np.isfinite(reward) and info["position_rewards"].sum() == pytest.approx(reward)
        if terminated or truncated:
            obs, _ = env.reset()
            assert env.observation_space.contains(obs)

    vector = gym.make_vec(ENV_ID, num_envs=3, vectorization_mode="vector_entry_point",
                          config=config)
    vector.action_space.seed(seed)
    obs, _ = vector.reset(seed=seed)
    single = vector.unwrapped.single_observation_space
    for _ in range(6):
        assert vector.observation_space.contains(obs)
        obs, _, _, _, info = vector.step(vector.action_space.sample())
        if "final_obs" in info:
            assert all(single.contains(o) for o in info["final_obs"][info["_final_obs"]])


def _leaves(cls: type, prefix: str = "") -> dict[str, Any]:
    """Dotted key → type hint of every leaf field of a config dataclass."""
    hints = typing.get_type_hints(cls)
    result: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint):
            result.update(_leaves(hint, f"{prefix}{field.name}."))  # type: ignore[arg-type]
        else:
            result[f"{prefix}{field.name}"] = hint
    return result


LEAVES = _leaves(WorldConfig)
SECTIONS = sorted({key.rpartition(".")[0] for key in LEAVES})  # "" is the top level

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from("abc"), st.integers(), max_size=2),
)


def wrong_type(hint: Any) -> st.SearchStrategy[Any]:
    """Values `hint` does not admit (not even after a lossless conversion)."""
    if hint is int:
        return junk | st.text(max_size=4) | st.floats().filter(lambda x: not x.is_integer())
    if hint is float:
        return junk | st.text(max_size=4)
    if hint is str:
        return junk | st.integers() | st.floats()
    if get_origin(hint) is Literal:
        options = get_args(hint)
        return junk | st.integers() | st.text(max_size=8).filter(lambda s: s not in options)
    assert get_origin(hint) is tuple, hint
    two_texts = st.lists(st.text(max_size=3), min_size=2, max_size=2)
    other_lengths = st.lists(st.floats(0.5, 2.0), max_size=4).filter(lambda v: len(v) != 2)
    return st.none() | st.booleans() | st.integers() | st.text(max_size=4) | two_texts | (
        other_lengths)


below_zero = st.floats(max_value=-1e-6, allow_infinity=False)
not_a_share = below_zero | st.floats(min_value=1.000001, allow_infinity=False)
non_finite = st.sampled_from([np.nan, np.inf, -np.inf])  # TOML and YAML can spell these

RANGES: dict[str, st.SearchStrategy[Any]] = {
    "num_candidates": st.integers(max_value=1),
    "history_length": st.integers(max_value=0) | st.integers(min_value=1001),
    "instruction_bytes": st.integers(max_value=15) | st.integers(min_value=4097),
    "specificity": not_a_share,
    "intent_bank_size": st.integers(max_value=0) | st.integers(min_value=100_001),
    "catalog.size": st.integers(max_value=9) | st.integers(min_value=1_000_001),
    "catalog.source": st.sampled_from(["", "items.xlsx", "items"]),
    "candidates.matching_share": not_a_share,
    "candidates.popular_share": not_a_share,
    "candidates.popular_pool": st.floats(max_value=0.0) | st.floats(min_value=1.000001),
    "users.taste_dim": st.integers(max_value=0) | st.integers(min_value=257),
    "users.taste_noise": below_zero,
    "users.heldout_share": st.floats(max_value=0.0) | st.floats(min_value=1.0),
    "users.warm_share": not_a_share,
    "users.warm_history": st.integers(max_value=-1),
    "users.patience": st.tuples(st.floats(max_value=0.0), st.floats(0.5, 5.0)).map(list)
    | st.tuples(st.floats(2.0, 5.0), st.floats(0.1, 1.9)).map(list),
    "users.click_refund": below_zero,
    "users.fatigue": not_a_share,
    "users.refine_probability": not_a_share,
    "users.max_refinements": st.integers(max_value=-1),
    "users.drift": not_a_share,
    "users.intent_temperature": st.floats(max_value=0.0),
    "clicks.pbm_eta": below_zero,
    "clicks.dcm_continuation": not_a_share,
    "clicks.mnl_no_click_weight": st.floats(max_value=0.0),
}
"""Values of the right type that each field's documented range excludes."""

RANGED = sorted({*RANGES, "slate_size", *(key for key, hint in LEAVES.items() if hint is float)})


def out_of_range(key: str, data: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the right type outside the range of `key` (given the rest of `data`)."""
    if key == "slate_size":
        strategy = st.integers(max_value=0) | st.integers(min_value=data["num_candidates"] + 1)
    else:
        strategy = RANGES.get(key, st.nothing())
    return strategy | non_finite if LEAVES[key] is float else strategy


def put(data: dict[str, Any], key: str, value: Any) -> None:
    *sections, leaf = key.split(".")
    node = data
    for section in sections:
        node = node.setdefault(section, {})
    node[leaf] = value


@st.composite
def invalid_data(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A config file with one mistake, and the text its error must name."""
    data = draw(world_data())
    kind = draw(st.sampled_from(["unknown key", "wrong type", "out of range", "not a table"]))
    if kind == "unknown key":
        section = draw(st.sampled_from(SECTIONS))
        known = {k.rpartition(".")[2] for k in LEAVES if k.rpartition(".")[0] == section}
        known |= set(SECTIONS) | {"preset"}
        name = draw(st.text(string.ascii_letters + "_", min_size=1, max_size=12)
                    .filter(lambda s: s not in known))
        key = f"{section}.{name}" if section else name
        put(data, key, 1)
        return data, repr(key)
    if kind == "not a table":
        section = draw(st.sampled_from([s for s in SECTIONS if s]))
        data[section] = draw(st.integers() | st.text(max_size=4) | st.lists(st.integers()))
        return data, section
    key = draw(st.sampled_from(sorted(LEAVES) if kind == "wrong type" else RANGED))
    strategy = wrong_type(LEAVES[key]) if kind == "wrong type" else out_of_range(key, data)
    put(data, key, draw(strategy))
    return data, key


@CONFIG_SETTINGS
@given(case=invalid_data())
def test_invalid_configs_always_raise_a_config_error_naming_the_key(
    workdir: Path, case: tuple[dict[str, Any], str]
) -> None:
    data, named = case
    path = write_yaml(workdir, data)
    with pytest.raises(ConfigError) as caught:
        gym.make(ENV_ID, config=path)
    assert named in str(caught.value)


@CONFIG_SETTINGS
@given(
    name=st.sampled_from(["num_candidates", "slate_size", "catalog_size", "click_model",
                          "split", "history_length", "catalog"]),
    value=junk | st.floats() | st.text(max_size=4),
)
def test_bad_make_keywords_raise_a_config_error(name: str, value: Any) -> None:
    if name in ("catalog", "click_model", "split") and isinstance(value, str):
        value = f"{value}?"  # no catalog file, click model or split is named like this
    with pytest.raises(ConfigError):
        gym.make(ENV_ID, **{name: value})


@pytest.fixture(scope="module")
def small_env() -> gym.Env:
    return gym.make(ENV_ID, preset="synthetic-shop", catalog_size=60, num_candidates=8,
                    slate_size=3).unwrapped


def admitted(action: np.ndarray, space: gym.spaces.MultiDiscrete) -> bool:
    """What the env accepts: members of the action space, booleans excepted."""
    return action.dtype.kind in "iu" and space.contains(action)


actions = hnp.arrays(
    dtype=st.sampled_from([np.int64, np.int8, np.uint16, np.float32, np.float64, np.bool_,
                           np.dtype("<U2"), np.complex64]),
    shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4),
)
"""Arrays of many dtypes and shapes; float elements include NaN and infinities."""


@CONFIG_SETTINGS
@given(action=actions, seed=st.integers(0, 100))
def test_any_action_is_played_or_refused_with_a_value_error(
    small_env: gym.Env, action: np.ndarray, seed: int
) -> None:
    small_env.reset(seed=seed)
    if admitted(action, small_env.action_space):
        obs, *_ = small_env.step(action)
        assert small_env.observation_space.contains(obs)
    else:
        with pytest.raises(ValueError, match="action"):
            small_env.step(action)
