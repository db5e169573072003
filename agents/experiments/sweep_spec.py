"""What a sweep runs: the SWEEP.toml file, validated, and the trials it expands into.

A sweep file names a base training config (a preset, `total_steps`, `[set]` overrides),
the seeds, and either a `[grid]` of values or a `[random]` search space:

    name = "lr-kl"
    preset = "quick"
    total_steps = 8000
    seeds = [0, 1]
    metric = "eval/ndcg@10"

    [set]
    eval_every = 2000

    [grid]
    ppo.learning_rate = [1e-3, 5e-3]
    ppo.kl_coef = [0.0, 0.05]

    [early_stopping]
    scheduler = "asha"

Every trial is resolved here, before anything runs, with the training config's own
validation, so a typo or an invalid value stops the sweep with one line naming it.
Random configurations are drawn here too, from `sample_seed`: a re-run of the file draws
the same trials, which is what lets it skip the ones already finished. Nothing in this
module needs Ray.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ifr_sim.agents.evaluation.online import metric_names
from ifr_sim.agents.training.train_config import (
    DEFAULT_TRAIN_PRESET,
    TRAIN_PRESETS,
    TrainConfig,
    train_preset,
)
from ifr_sim.core.config import ConfigError, check, read_config_file, to_dict, with_overrides

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""A sweep's name: it is the sweep's id in the run store and a folder name."""
PRESET_KEY = "preset"
"""A search key that picks the trial's training preset instead of setting a config key."""
DISTRIBUTIONS = ("uniform", "loguniform", "randint", "choice")
SCHEDULERS = ("asha", "median")
_TOP_KEYS = ("name", "preset", "total_steps", "seeds", "metric", "mode", "set", "grid",
             "random", "early_stopping")


@dataclass(frozen=True)
class Distribution:
    """One `[random]` entry, e.g. `{loguniform = [1e-4, 1e-2]}`.

    `uniform` and `loguniform` draw a float in [low, high); `randint` a whole number in
    low..high-1 (as Ray Tune's `tune.randint`); `choice` one of the listed values.
    """

    kind: Literal["uniform", "loguniform", "randint", "choice"]
    values: tuple[Any, ...]

    def sample(self, rng: np.random.Generator) -> Any:
        if self.kind == "choice":
            return self.values[int(rng.integers(len(self.values)))]
        low, high = self.values
        if self.kind == "randint":
            return int(rng.integers(low, high))
        if self.kind == "loguniform":
            return float(math.exp(rng.uniform(math.log(low), math.log(high))))
        return float(rng.uniform(low, high))


@dataclass(frozen=True)
class EarlyStopping:
    """Stop hopeless trials at their held-out evaluations.

    `asha`: asynchronous successive halving (keeps the best 1/`reduction_factor` of the
    trials at each rung); `median`: stop a trial whose best result is below the median of
    the other trials' running means at the same step. No trial stops before `grace_steps`
    environment steps (default: the config's `eval_every`, so each gets one real evaluation).
    """

    scheduler: Literal["asha", "median"]
    grace_steps: int | None = None
    reduction_factor: int = 2


@dataclass(frozen=True)
class Trial:
    """One training run of a sweep: a configuration and a seed.

    `params` are the searched values (dotted config keys, `preset` for the training
    preset); `key` identifies the resolved config and seed across re-runs.
    """

    params: dict[str, Any]
    seed: int
    config: TrainConfig
    key: str

    @property
    def label(self) -> str:
        return describe(self.params)


@dataclass(frozen=True)
class SweepSpec:
    """A parsed, validated sweep file."""

    name: str
    preset: str = DEFAULT_TRAIN_PRESET
    total_steps: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    grid: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    random: dict[str, Distribution] = field(default_factory=dict)
    num_samples: int = 1
    sample_seed: int = 0
    metric: str = "eval/ndcg@10"
    mode: Literal["max", "min"] = "max"
    early_stopping: EarlyStopping | None = None

    def trials(self) -> list[Trial]:
        """Every trial, configurations in order, each with every seed; all validated."""
        trials = []
        for params in self.configurations():
            for seed in self.seeds:
                config = self.resolve(params, seed)
                measured = [f"eval/{name}" for name in metric_names(config.world.slate_size)]
                check(self.metric in measured, "metric", self.metric,
                      f"use one of {measured} (with slates of {config.world.slate_size})")
                trials.append(Trial(params, seed, config, trial_key(to_dict(config))))
        return trials

    def configurations(self) -> list[dict[str, Any]]:
        """The searched values of each configuration (without the seed)."""
        if self.grid:
            keys = list(self.grid)
            return [dict(zip(keys, values, strict=True))
                    for values in itertools.product(*self.grid.values())]
        if self.random:
            rng = np.random.default_rng(self.sample_seed)
            return [{key: dist.sample(rng) for key, dist in self.random.items()}
                    for _ in range(self.num_samples)]
        return [{}]

    def resolve(self, params: Mapping[str, Any], seed: int) -> TrainConfig:
        """The training config of one trial: preset, then the base values, then `params`."""
        overrides = {key: value for key, value in params.items() if key != PRESET_KEY}
        base = {} if self.total_steps is None else {"total_steps": self.total_steps}
        try:
            config = train_preset(params.get(PRESET_KEY, self.preset))
            return with_overrides(config, {**base, **self.overrides, **overrides, "seed": seed})
        except ConfigError as error:
            where = f"trial {describe(params)}, seed {seed}: " if params else ""
            raise ConfigError(f"{where}{error}") from error

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the run store (what the sweep run records as its config)."""
        data: dict[str, Any] = {
            "name": self.name, "preset": self.preset, "total_steps": self.total_steps,
            "set": self.overrides, "seeds": list(self.seeds), "metric": self.metric,
            "mode": self.mode,
        }
        if self.grid:
            data["grid"] = {key: list(values) for key, values in self.grid.items()}
        if self.random:
            data["random"] = {key: {dist.kind: list(dist.values)}
                              for key, dist in self.random.items()}
            data["num_samples"], data["sample_seed"] = self.num_samples, self.sample_seed
        if self.early_stopping is not None:
            data["early_stopping"] = vars(self.early_stopping).copy()
        return data


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file (TOML or YAML); the name defaults to the file's stem.

    Every trial is resolved once here, so an invalid value fails before anything runs.
    """
    path = Path(path)
    data = read_config_file(path)
    try:
        spec = parse_sweep(data, default_name=path.stem)
        spec.trials()
    except ConfigError as error:
        raise ConfigError(f"sweep file {path}: {error}") from error
    return spec


def parse_sweep(data: Mapping[str, Any], default_name: str = "sweep") -> SweepSpec:
    """A `SweepSpec` from the parsed file; every problem is one `ConfigError`."""
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; allowed top-level keys: "
                          f"{list(_TOP_KEYS)} (training config keys go in [set])")
    name = data.get("name", default_name)
    check(isinstance(name, str) and NAME_PATTERN.fullmatch(name) is not None, "name", name,
          "use letters, digits, '.', '_' and '-' (it names the sweep's folder too)")
    preset = data.get("preset", DEFAULT_TRAIN_PRESET)
    check(preset in TRAIN_PRESETS, "preset", preset, f"use one of {sorted(TRAIN_PRESETS)}")
    total_steps = data.get("total_steps")
    check(total_steps is None or (_is_int(total_steps) and total_steps >= 1),
          "total_steps", total_steps, "use a whole number >= 1")
    seeds = data.get("seeds", [0])
    check(isinstance(seeds, list) and bool(seeds) and all(_is_int(s) for s in seeds)
          and len(set(seeds)) == len(seeds),
          "seeds", seeds, "use a non-empty list of distinct whole numbers, e.g. [0, 1]")
    metric = data.get("metric", "eval/ndcg@10")
    check(isinstance(metric, str) and metric.startswith("eval/"), "metric", metric,
          "use a held-out evaluation metric, e.g. 'eval/ndcg@10'")
    mode = data.get("mode", "max")
    check(mode in ("max", "min"), "mode", mode, "use 'max' or 'min'")
    if "grid" in data and "random" in data:
        raise ConfigError("give either [grid] or [random], not both")
    overrides = flatten(_table(data, "set"))
    for key in overrides:
        _check_searchable(key, "set", allow_preset=False)
    random_table = dict(_table(data, "random"))
    num_samples = random_table.pop("num_samples", 1 if not random_table else None)
    sample_seed = random_table.pop("sample_seed", 0)
    check(_is_int(num_samples) and num_samples >= 1, "random.num_samples", num_samples,
          "use a whole number >= 1 (how many configurations to draw)")
    check(_is_int(sample_seed), "random.sample_seed", sample_seed, "use a whole number")
    if "random" in data and not random_table:
        raise ConfigError("[random] has no search keys: add e.g. "
                          "`ppo.learning_rate = {loguniform = [1e-4, 1e-2]}`")
    return SweepSpec(
        name=name,
        preset=preset,
        total_steps=total_steps,
        overrides=overrides,
        seeds=tuple(seeds),
        grid=_grid(_table(data, "grid")),
        random=_random(random_table),
        num_samples=num_samples,
        sample_seed=sample_seed,
        metric=metric,
        mode=mode,
        early_stopping=_early_stopping(_table(data, "early_stopping")),
    )


def trial_key(config: Mapping[str, Any]) -> str:
    """A stable id of a resolved training config (seed included): 16 hex digits.

    Computed from the plain-data config, so the config a run store recorded gives the
    same key as the `TrainConfig` it came from.
    """
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def describe(params: Mapping[str, Any]) -> str:
    """`ppo.kl_coef=0.05, ppo.learning_rate=0.001`: a configuration in one line."""
    if not params:
        return "base config"
    return ", ".join(f"{key}={_short(value)}" for key, value in sorted(params.items()))


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _grid(table: Mapping[str, Any]) -> dict[str, tuple[Any, ...]]:
    grid = flatten(table)
    for key, values in grid.items():
        _check_searchable(key, "grid", allow_preset=True)
        check(isinstance(values, list) and bool(values), f"grid.{key}", values,
              "use a non-empty list of the values to try, e.g. [0.001, 0.005]")
    return {key: tuple(values) for key, values in grid.items()}


def _random(table: Mapping[str, Any]) -> dict[str, Distribution]:
    def is_distribution(value: Any) -> bool:
        return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in (
            DISTRIBUTIONS)

    space = flatten(table, is_distribution)
    result = {}
    for key, value in space.items():
        _check_searchable(key, "random", allow_preset=True)
        allowed = ("use one of {uniform = [low, high]}, {loguniform = [low, high]}, "
                   "{randint = [low, high]}, {choice = [a, b, ...]}")
        check(is_distribution(value), f"random.{key}", value, allowed)
        ((kind, values),) = value.items()
        check(isinstance(values, list) and bool(values), f"random.{key}.{kind}", values,
              "use a non-empty list")
        if kind != "choice":
            numeric = len(values) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values)
            check(numeric and values[0] < values[1], f"random.{key}.{kind}", values,
                  "use [low, high] with low < high")
            check(kind != "loguniform" or values[0] > 0, f"random.{key}.{kind}", values,
                  "use low > 0 for a log-uniform draw")
            check(kind != "randint" or all(_is_int(v) for v in values),
                  f"random.{key}.{kind}", values, "use whole numbers")
        result[key] = Distribution(kind, tuple(values))
    return result


def _early_stopping(table: Mapping[str, Any]) -> EarlyStopping | None:
    if not table:
        return None
    allowed = ("scheduler", "grace_steps", "reduction_factor")
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ConfigError(f"unknown key 'early_stopping.{unknown[0]}'; allowed: {list(allowed)}")
    scheduler: Any = table.get("scheduler")
    check(scheduler in SCHEDULERS, "early_stopping.scheduler", scheduler,
          f"use one of {list(SCHEDULERS)}")
    grace = table.get("grace_steps")
    check(grace is None or (_is_int(grace) and grace >= 1), "early_stopping.grace_steps",
          grace, "use a whole number of environment steps >= 1")
    factor = table.get("reduction_factor", 2)
    check(_is_int(factor) and factor >= 2, "early_stopping.reduction_factor", factor,
          "use a whole number >= 2")
    return EarlyStopping(scheduler, grace, factor)


def _check_searchable(key: str, table: str, allow_preset: bool) -> None:
    if key == "seed":
        raise ConfigError(f"[{table}] sets 'seed': list the seeds in the top-level "
                          "`seeds = [0, 1]` instead")
    if key == PRESET_KEY and not allow_preset:
        raise ConfigError(f"[{table}] sets 'preset': use the top-level `preset = ...`")


def flatten(table: Mapping[str, Any], leaf: Callable[[Any], bool] | None = None) -> dict[str, Any]:
    """`{"ppo": {"kl_coef": x}}` (TOML's `ppo.kl_coef = x`) → `{"ppo.kl_coef": x}`.

    Nested tables become dotted keys, except those `leaf` says are values.
    """
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, Mapping) and not (leaf is not None and leaf(value)):
            flat.update({f"{key}.{k}": v for k, v in flatten(value, leaf).items()})
        else:
            flat[key] = value
    return flat


def _table(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{name} must be a table ([{name}]), got {table!r}")
    return table


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

