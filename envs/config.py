"""Typed configuration of the simulated world, and its named presets.

One `WorldConfig` describes everything the environment simulates: which catalog, how
candidates are generated, how users behave, how they click, and what is rewarded. It is
loaded from TOML/YAML (`load_world_config`), overridden with dotted keys
(`with_overrides(config, {"clicks.model": "pbm"})`), and the common knobs are also plain
keyword arguments of `gymnasium.make` (see `world_config_from_kwargs`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ifr_sim.core.config import (
    ConfigError,
    check,
    from_dict,
    help_field,
    nested_field,
    read_config_file,
    with_file_values,
    with_overrides,
)
from ifr_sim.envs.registry import (
    CANDIDATE_GENERATORS,
    CATALOGS,
    CLICK_MODELS,
    LANGUAGES,
    USER_MODELS,
)

Split = Literal["train", "heldout", "all"]


@dataclass(frozen=True)
class CatalogConfig:
    """Which items exist."""

    source: str = help_field(
        "movielens",
        "'movielens' (MovieLens-100k), 'synthetic' (generated shop catalog), another "
        "registered catalog (register_catalog), or a path to a CSV/Parquet/JSONL catalog file",
    )
    size: int = help_field(10_000, "number of items of the synthetic catalog (10..1,000,000)")
    seed: int = help_field(0, "seed of the synthetic catalog (the world, not the episodes)")
    domain: Literal["movies", "shop", "generic"] = help_field(
        "generic", "vocabulary for a catalog file: movies, shop or generic"
    )
    ratings: Literal["all", "before_holdout"] = help_field(
        "all", "real ratings the world is built from: 'all', or 'before_holdout' (each "
        "rater's last 20% by time held out: quality, popularity, tastes and warm histories "
        "come from the earlier part only, as `ifr-sim bench fidelity` needs)"
    )

    def __post_init__(self) -> None:
        check(10 <= self.size <= 1_000_000, "catalog.size", self.size, "use 10..1,000,000")
        if self.source not in CATALOGS:
            # Imported here: the file reader needs pandas, which only file catalogs use.
            from ifr_sim.core.catalog.files import FILE_SUFFIXES

            check(Path(self.source).suffix.lower() in FILE_SUFFIXES, "catalog.source",
                  self.source, f"name a registered catalog ({', '.join(CATALOGS.names())}) "
                  f"or a catalog file path ending in {', '.join(FILE_SUFFIXES)}")
        _refuse_unread_keys(self)


_UNREAD_KEYS = {"movielens": ("size", "seed", "domain"), "synthetic": ("domain",)}
"""The `CatalogConfig` keys each built-in catalog ignores (a catalog file ignores size and
seed; a catalog registered by a user may read them all)."""


def _refuse_unread_keys(catalog: CatalogConfig) -> None:
    """A key the catalog ignores, set away from its default, is an error, not a no-op:
    `catalog.size=200` on MovieLens would otherwise still give its 1,682 movies."""
    source = catalog.source
    unread = _UNREAD_KEYS.get(source, () if source in CATALOGS else ("size", "seed"))
    defaults = {field.name: field.default for field in dataclasses.fields(CatalogConfig)}
    for name in unread:
        value = getattr(catalog, name)
        if value == defaults[name]:
            continue
        if name == "domain":
            fix = "the built-in catalogs have their own vocabulary; drop catalog.domain"
        else:
            fix = (f"set catalog.source='synthetic' for a generated catalog "
                   f"(gymnasium.make: catalog='synthetic'; ifr-sim: --catalog synthetic or "
                   f"--preset synthetic-shop), or drop catalog.{name}")
        raise ConfigError(f"catalog.{name}={value!r} does not apply to catalog.source="
                          f"{source!r}, which ignores it: {fix}")


@dataclass(frozen=True)
class CandidateConfig:
    """How the N candidates of a session are retrieved (before the agent ranks them)."""

    generator: str = help_field(
        "mixed", "candidate generator: 'mixed' (matching, popular and random items, in the "
        "shares below) or another registered one (register_candidate_generator)"
    )
    matching_share: float = help_field(
        0.2, "share of candidates drawn from items that satisfy the intent's hard constraints"
    )
    popular_share: float = help_field(0.2, "share drawn from the most popular items")
    popular_pool: float = help_field(0.1, "fraction of the catalog counted as 'popular'")

    def __post_init__(self) -> None:
        CANDIDATE_GENERATORS.check(self.generator)
        for name in ("matching_share", "popular_share"):
            value = getattr(self, name)
            check(0.0 <= value <= 1.0, f"candidates.{name}", value, "use a share in [0, 1]")
        check(self.matching_share + self.popular_share <= 1.0, "candidates.popular_share",
              self.popular_share, "matching_share + popular_share must be at most 1")
        check(0.0 < self.popular_pool <= 1.0, "candidates.popular_pool", self.popular_pool,
              "use a fraction in (0, 1]")


@dataclass(frozen=True)
class UserConfig:
    """Who the users are and how their session evolves."""

    model: str = help_field(
        "logistic", "user model: 'logistic' (the dynamics below and the attractiveness "
        "weights) or another registered one (register_user_model)"
    )
    taste_dim: int = help_field(16, "dimension of the latent taste factors (1..256)")
    taste_noise: float = help_field(
        0.1, "std of noise added to a real user's taste factors when simulating them"
    )
    heldout_share: float = help_field(0.2, "share of user profiles kept for held-out evaluation")
    warm_share: float = help_field(0.5, "share of sessions by warm users (with a click history)")
    warm_history: int = help_field(5, "clicked items a warm user starts the session with")
    patience: tuple[float, float] = help_field(
        (2.0, 5.0), "initial patience drawn uniformly from [low, high] (in turns)"
    )
    click_refund: float = help_field(
        0.75, "patience regained on a turn with at least one click (each turn costs 1)"
    )
    fatigue: float = help_field(
        0.05, "attractiveness shrinks by this factor per turn already played"
    )
    refine_probability: float = help_field(
        0.5, "chance that a user who clicked nothing refines the instruction next turn"
    )
    max_refinements: int = help_field(2, "refinements a user makes at most per session")
    drift: float = help_field(0.1, "how far the taste moves toward a clicked item (0 = none)")
    intent_temperature: float = help_field(
        1.0, "temperature of the favourite-genre choice for the intent: 1 draws a genre by "
        "its share of the profile's liked items, lower = more loyal"
    )

    def __post_init__(self) -> None:
        USER_MODELS.check(self.model)
        check(1 <= self.taste_dim <= 256, "users.taste_dim", self.taste_dim, "use 1..256")
        check(self.taste_noise >= 0, "users.taste_noise", self.taste_noise, "use >= 0")
        for name in ("heldout_share", "warm_share", "refine_probability", "drift", "fatigue"):
            value = getattr(self, name)
            check(0.0 <= value <= 1.0, f"users.{name}", value, "use a probability in [0, 1]")
        check(0.0 < self.heldout_share < 1.0, "users.heldout_share", self.heldout_share,
              "use a share strictly between 0 and 1")
        low, high = self.patience
        check(0 < low <= high, "users.patience", self.patience,
              "use [low, high] with 0 < low <= high")
        check(self.click_refund >= 0, "users.click_refund", self.click_refund, "use >= 0")
        check(self.warm_history >= 0, "users.warm_history", self.warm_history, "use >= 0")
        check(self.max_refinements >= 0, "users.max_refinements", self.max_refinements, "use >= 0")
        check(self.intent_temperature > 0, "users.intent_temperature", self.intent_temperature,
              "use a temperature > 0")


@dataclass(frozen=True)
class AttractivenessConfig:
    """How much each factor makes an item attractive to a user (a logistic model)."""

    intent: float = help_field(4.0, "weight of the graded intent match in [0, 1]")
    mismatch: float = help_field(2.0, "penalty for breaking a hard constraint of the intent")
    taste: float = help_field(
        0.05, "weight of the user's latent taste (z-scored over the catalog); the instruction "
        "should decide most of what a user wants, so it weighs less than the intent"
    )
    quality: float = help_field(1.5, "weight of item quality (centred at 0.5)")
    familiarity: float = help_field(
        0.6, "weight of how likely the user is to have come across the item (z-scored over "
        "the catalog; fitted on who rated what, or the item's popularity without ratings)"
    )
    novelty: float = help_field(0.5, "bonus for an item not yet shown in this session")
    bias: float = help_field(-5.5, "intercept: sets the base click rate")


@dataclass(frozen=True)
class ClickConfig:
    """Which click model turns attractiveness into clicks."""

    model: str = help_field(
        "dcm", "click model: cascade, pbm (position-based), dcm (dependent click), mnl (logit), "
        "or another registered one (register_click_model)"
    )
    pbm_eta: float = help_field(1.0, "PBM examination of position k is 1/(k+1)^eta")
    dcm_continuation: float = help_field(0.5, "DCM: chance to keep scanning after a click")
    mnl_no_click_weight: float = help_field(1.0, "MNL: weight of the no-click option")

    def __post_init__(self) -> None:
        CLICK_MODELS.check(self.model)
        check(self.pbm_eta >= 0, "clicks.pbm_eta", self.pbm_eta, "use >= 0")
        check(0 <= self.dcm_continuation <= 1, "clicks.dcm_continuation", self.dcm_continuation,
              "use a probability in [0, 1]")
        check(self.mnl_no_click_weight > 0, "clicks.mnl_no_click_weight",
              self.mnl_no_click_weight, "use a weight > 0")


@dataclass(frozen=True)
class RewardConfig:
    """What a turn is worth: reward is a plain function of the user's responses."""

    click: float = help_field(1.0, "reward per click")
    intent_bonus: float = help_field(
        0.0, "extra reward per clicked item that satisfies the intent's hard constraints"
    )


@dataclass(frozen=True)
class WorldConfig:
    """The whole simulated world."""

    catalog: CatalogConfig = nested_field(CatalogConfig, "which items exist")
    num_candidates: int = help_field(100, "N: candidates shown to the agent per session")
    slate_size: int = help_field(10, "K: items the agent recommends per turn")
    history_length: int = help_field(
        10, "H: most recent clicked items in the observation (1..1000)"
    )
    instruction_bytes: int = help_field(
        256, "L: UTF-8 bytes of the instruction in the observation, 16..4096 (longer text is cut)"
    )
    language: str = help_field(
        "templates", "instruction language: 'templates' (English templates fitted to the "
        "catalog), 'rich' (keywords, chat, moods, comparisons, loose ranges, typos; a "
        "held-out style) or another registered one (register_language)"
    )
    split: Split = help_field(
        "train", "which users and instruction templates: train, heldout, or all"
    )
    specificity: float = help_field(
        0.5, "how often intents have several parts (0 = always vague, 1 = mostly specific)"
    )
    intent_bank_size: int = help_field(
        1024, "distinct intents pre-sampled per world, 1..100,000 (users pick among them by taste)"
    )
    candidates: CandidateConfig = nested_field(CandidateConfig, "candidate generation")
    users: UserConfig = nested_field(UserConfig, "user population and dynamics")
    attractiveness: AttractivenessConfig = nested_field(
        AttractivenessConfig, "what makes an item attractive"
    )
    clicks: ClickConfig = nested_field(ClickConfig, "click model")
    reward: RewardConfig = nested_field(RewardConfig, "reward")

    def __post_init__(self) -> None:
        LANGUAGES.check(self.language)
        check(self.num_candidates >= 2, "num_candidates", self.num_candidates, "use at least 2")
        check(1 <= self.slate_size <= self.num_candidates, "slate_size", self.slate_size,
              f"use 1..num_candidates ({self.num_candidates})")
        check(1 <= self.history_length <= 1000, "history_length", self.history_length,
              "use 1..1000")
        check(16 <= self.instruction_bytes <= 4096, "instruction_bytes", self.instruction_bytes,
              "use 16..4096")
        check(0 <= self.specificity <= 1, "specificity", self.specificity, "use [0, 1]")
        check(1 <= self.intent_bank_size <= 100_000, "intent_bank_size", self.intent_bank_size,
              "use 1..100,000")
        if self.catalog.source == "synthetic":
            check(self.num_candidates <= self.catalog.size, "num_candidates",
                  self.num_candidates, f"use at most catalog.size ({self.catalog.size})")


PRESETS: dict[str, dict[str, Any]] = {
    "movielens": {},
    "synthetic-shop": {"catalog": {"source": "synthetic", "size": 10_000}},
}
"""Named worlds: overrides applied to the `WorldConfig` defaults."""

DEFAULT_PRESET = "movielens"
"""The world of a `gymnasium.make`, a command or a config file that names no preset."""

MAKE_KWARGS: dict[str, str] = {
    "num_candidates": "num_candidates",
    "slate_size": "slate_size",
    "catalog_size": "catalog.size",
    "catalog": "catalog.source",
    "click_model": "clicks.model",
    "split": "split",
    "history_length": "history_length",
}
"""Plain keyword arguments of `gymnasium.make` and the config keys they set."""


def preset_config(name: str) -> WorldConfig:
    """The `WorldConfig` of a named preset."""
    if not isinstance(name, str) or name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return from_dict(WorldConfig, PRESETS[name])


def load_world_config(path: str | Path) -> WorldConfig:
    """Read a `WorldConfig` from a TOML/YAML file; a top-level `preset` key picks the base."""
    return read_world_file(path)[0]


def read_world_file(path: str | Path) -> tuple[WorldConfig, frozenset[str]]:
    """A world config file's `WorldConfig`, and the top-level world keys the file sets
    itself rather than takes from its preset: what a command's own defaults must not
    override."""
    data = read_config_file(path)
    world = data.get("world", data)
    if not isinstance(world, dict):
        raise ConfigError(f"config file {path}: 'world' must be a table of keys, got {world!r}")
    base = preset_config(world.pop("preset", DEFAULT_PRESET))
    return with_file_values(base, world), frozenset(world)


def world_config_from_kwargs(
    preset: str = DEFAULT_PRESET,
    config: WorldConfig | str | Path | None = None,
    **kwargs: Any,
) -> WorldConfig:
    """Resolve `gymnasium.make` arguments into one validated `WorldConfig`.

    Precedence: the preset, then `config` (an object or a file), then the plain keyword
    arguments listed in `MAKE_KWARGS`.
    """
    if isinstance(config, WorldConfig):
        base = config
    elif isinstance(config, str | Path):
        base = load_world_config(config)
    elif config is None:
        base = preset_config(preset)
    else:
        raise ConfigError(
            f"config={config!r} is invalid: pass a WorldConfig, a TOML/YAML file path or None"
        )
    unknown = sorted(set(kwargs) - set(MAKE_KWARGS))
    if unknown:
        raise ConfigError(
            f"unknown keyword argument {unknown[0]!r}; use one of {sorted(MAKE_KWARGS)} "
            "or pass config=WorldConfig(...)"
        )
    overrides = {MAKE_KWARGS[k]: v for k, v in kwargs.items()}
    return with_overrides(base, overrides) if overrides else base

