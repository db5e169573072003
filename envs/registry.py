"""Registries of the world's swappable parts, so that a config can name each part.

A `WorldConfig` names its catalog, instruction language, candidate generator, user model
and click model; `build_world` asks the part's registry for the factory of that name.
Users add their own parts with the typed `register_*` function next to each interface
(`register_user_model`, `register_click_model`, ...), then name them in the config.

The parts that ship with ifr-sim are registered as entry points, "module:attribute"
strings imported on first use (as Gymnasium registers environments): the config checks
a name on construction, and the parts' modules import the config, so the registries
must not import the parts.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from ifr_sim.core.config import ConfigError

Factory = Callable[..., Any]


class Registry:
    """Names of one kind of part, each mapped to the factory that builds it.

    Args:
        kind: what the parts are, for messages ("user model").
        key: the config key that names one ("users.model").
        register_with: the function that adds a part of this kind, for messages.
        builtins: the parts that ship with ifr-sim, as "module:attribute" entry points.
    """

    def __init__(
        self, kind: str, key: str, register_with: str, builtins: Mapping[str, str]
    ) -> None:
        self.kind = kind
        self.key = key
        self.register_with = register_with
        self._entries: dict[str, Factory | str] = dict(builtins)

    def names(self) -> tuple[str, ...]:
        """Every registered name, built-ins first, then in order of registration."""
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def register(self, name: str, factory: Factory) -> None:
        """Add `factory` under `name`.

        Raises:
            ValueError: `name` is empty or already taken (worlds built from it are cached,
                so a name must keep meaning one part).
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a {self.kind} needs a non-empty name, got {name!r}")
        if name in self._entries:
            raise ValueError(
                f"{self.kind} {name!r} is already registered; register yours under another name"
            )
        if not callable(factory):
            raise ValueError(f"the factory of {self.kind} {name!r} must be callable, got "
                             f"{factory!r}")
        self._entries[name] = factory

    def check(self, name: object) -> None:
        """Raise a `ConfigError` naming the known parts unless `name` is one of them."""
        if name not in self._entries:
            raise ConfigError(
                f"{self.key}={name!r} is invalid: choose one of {list(self._entries)} or add "
                f"your own {self.kind} with {self.register_with}(name, factory)"
            )

    def factory(self, name: str) -> Factory:
        """The factory registered under `name` (a built-in's module is imported now)."""
        self.check(name)
        entry = self._entries[name]
        if isinstance(entry, str):
            module, _, attribute = entry.partition(":")
            entry = getattr(importlib.import_module(module), attribute)
            self._entries[name] = entry
        return entry


CATALOGS = Registry("catalog", "catalog.source", "register_catalog", {
    "movielens": "ifr_sim.envs.catalogs:movielens",
    "synthetic": "ifr_sim.envs.catalogs:synthetic",
})
"""Catalogs by name; a `catalog.source` that is not a name is a catalog file's path."""

LANGUAGES = Registry("instruction language", "language", "register_language", {
    "templates": "ifr_sim.envs.languages:templates",
    "rich": "ifr_sim.envs.languages:rich",
})

CANDIDATE_GENERATORS = Registry(
    "candidate generator", "candidates.generator", "register_candidate_generator",
    {"mixed": "ifr_sim.envs.candidates:MixedCandidateGenerator"},
)

USER_MODELS = Registry("user model", "users.model", "register_user_model", {
    "logistic": "ifr_sim.envs.logistic_users:LogisticUserModel",
})

CLICK_MODELS = Registry("click model", "clicks.model", "register_click_model", {
    name: f"ifr_sim.envs.click_models:{name}_from_config"
    for name in ("cascade", "pbm", "dcm", "mnl")
})
