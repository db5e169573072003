"""Typed configuration: dataclasses loaded from TOML/YAML files and `key=value` overrides.

Every config in ifr-sim is a dataclass whose fields carry a help string
(`field(metadata={"help": ...})`) and whose `__post_init__` validates values. This module
turns plain data (a parsed file, CLI overrides) into those dataclasses strictly: an
unknown key, a wrong type or an invalid value raises one `ConfigError` that names the
key, the value and what is allowed, so nothing starts on a typo.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import operator
import sys
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, published as `tomli`
    import tomli as tomllib  # type: ignore[no-redef]

T = TypeVar("T")
_FLOAT_MAX = sys.float_info.max
_NON_FINITE = frozenset(
    sign + word for sign in ("", "+", "-") for word in ("nan", "inf", "infinity")
)
"""How `key=value` overrides may spell NaN and infinity, in any case (TOML knows only the
lower-case `nan` and `inf`; read the others as numbers too, so every spelling gets the
same message)."""


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type, or out of range."""


def help_field(default: Any, help: str, **kwargs: Any) -> Any:
    """A dataclass field with a help string (shown by the CLI and in error messages)."""
    if isinstance(default, list | dict) or dataclasses.is_dataclass(default):
        factory = default if callable(default) else (lambda d=default: d)
        return dataclasses.field(default_factory=factory, metadata={"help": help}, **kwargs)
    return dataclasses.field(default=default, metadata={"help": help}, **kwargs)


def nested_field(factory: Any, help: str) -> Any:
    """A field holding a nested config dataclass, built fresh for every instance."""
    return dataclasses.field(default_factory=factory, metadata={"help": help})


def check(condition: bool, key: str, value: Any, allowed: str) -> None:
    """Raise a `ConfigError` naming `key`, `value` and what is allowed unless `condition`."""
    if not condition:
        raise ConfigError(f"{key}={value!r} is invalid: {allowed}")


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse a TOML or YAML file into a dict (by suffix)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"config file {path} is not UTF-8 text ({error.reason} at byte "
                          f"{error.start}): save it as UTF-8") from None
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError(f"config file {path}: use a .toml, .yaml or .yml file")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"config file {path} is not valid: {error}") from error
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a table of keys at the top level")
    return data


def from_dict(cls: type[T], data: Mapping[str, Any], prefix: str = "") -> T:
    """Build dataclass `cls` from plain data, strictly (unknown keys and wrong types fail)."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields), key=str)  # a YAML file may use number keys
    if unknown:
        raise ConfigError(
            f"unknown config key {prefix + str(unknown[0])!r}; allowed keys here: "
            f"{sorted(fields)}"
        )
    kwargs = {name: _coerce(hints[name], value, f"{prefix}{name}") for name, value in data.items()}
    # Validation errors already name their key as a user writes it ("users.patience").
    return cls(**kwargs)


def to_dict(config: Any) -> dict[str, Any]:
    """The plain-data form of a config dataclass (what `from_dict` reads back)."""
    return dataclasses.asdict(config)


def with_overrides(config: T, overrides: Mapping[str, Any] | Iterable[str]) -> T:
    """A copy of `config` with dotted-key overrides applied and validated.

    Args:
        config: a config dataclass instance.
        overrides: a mapping `{"clicks.model": "pbm"}` or CLI strings `"clicks.model=pbm"`
            (values parsed as TOML scalars, falling back to plain strings).
    """
    pairs = overrides.items() if isinstance(overrides, Mapping) else map(parse_override, overrides)
    data = to_dict(config)
    for key, value in pairs:
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                raise ConfigError(f"unknown config key {key!r}: {part!r} is not a section")
            node = node[part]
        if leaf not in node:
            raise ConfigError(f"unknown config key {key!r}; allowed keys here: {sorted(node)}")
        node[leaf] = value
    return from_dict(type(config), data)


def with_file_values(config: T, data: Mapping[str, Any]) -> T:
    """A copy of `config` with the (nested) values of a parsed config file laid over it.

    Sections merge key by key, so a file names only what differs from its base preset.
    """
    return from_dict(type(config), _merge(to_dict(config), data))


def _merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def field_help(cls: type) -> dict[str, str]:
    """Dotted key → help string for every leaf field of a config dataclass."""
    result: dict[str, str] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            result.update({f"{f.name}.{k}": v for k, v in field_help(hints[f.name]).items()})
        else:
            result[f.name] = f.metadata.get("help", "")
    return result


def leaf_values(config: Any) -> dict[str, Any]:
    """Dotted key → value for every leaf field of a config dataclass instance."""
    def walk(data: Mapping[str, Any], prefix: str) -> Iterable[tuple[str, Any]]:
        for key, value in data.items():
            if isinstance(value, Mapping):
                yield from walk(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", value

    return dict(walk(to_dict(config), ""))


def parse_override(text: str) -> tuple[str, Any]:
    """`"section.key=value"` as `("section.key", value)`, the value read as a TOML scalar
    (a number, a boolean, a list...), else as the plain string."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ConfigError(f"override {text!r} must look like section.key=value")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = float(raw) if raw.strip().lower() in _NON_FINITE else raw
    return key.strip(), value


def _coerce(hint: Any, value: Any, key: str) -> Any:
    """Check `value` against type `hint`, converting only where no information is lost."""
    origin = get_origin(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key} must be a table of keys, got {value!r}")
        return from_dict(hint, value, prefix=f"{key}.")  # type: ignore[arg-type]
    if origin is Literal:
        options = get_args(hint)
        if value not in options:
            raise ConfigError(f"{key}={value!r} is invalid: choose one of {list(options)}")
        return value
    if origin in (typing.Union, types.UnionType):
        errors = []
        for option in get_args(hint):
            try:
                return _coerce(option, value, key)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(f"{key}={value!r} matches none of the allowed forms: {errors}")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key} must be a list, got {value!r}")
        args = get_args(hint)
        item_type = args[0] if len(args) == 2 and args[1] is Ellipsis else None
        if item_type is None and len(args) != len(value):
            raise ConfigError(f"{key} must have {len(args)} entries, got {len(value)}")
        types_ = [item_type] * len(value) if item_type is not None else list(args)
        pairs = enumerate(zip(types_, value, strict=True))
        return tuple(_coerce(t, v, f"{key}[{i}]") for i, (t, v) in pairs)
    if hint is type(None):
        if value is not None:
            raise ConfigError(f"{key} must be empty (None), got {value!r}")
        return None
    # numbers.Real and numbers.Integral take numpy's scalars too (np.int64(50) from code
    # that computed it); bool is an int to Python, never a number here.
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        if isinstance(value, numbers.Integral):
            finite = abs(operator.index(value)) <= _FLOAT_MAX  # a huge int has no float
        else:
            finite = math.isfinite(value)
        if not finite:  # TOML and YAML can spell nan and inf
            raise ConfigError(f"{key} must be a finite number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ConfigError(f"{key} must be a whole number, got {value!r}")
        return operator.index(value)
    if hint in (str, bool):
        if not isinstance(value, hint):
            raise ConfigError(f"{key} must be a {hint.__name__}, got {value!r}")
        return value
    if hint is Any:
        return value
    raise ConfigError(f"{key}: unsupported config type {hint!r}")
