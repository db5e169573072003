"""Instruction languages by name: the built-in ones ("templates", "rich"), and
`register_language`.

An instruction language samples the intents of a world's intent bank, says them, and
rewords them when a user refines; a registered one is an `InstructionLanguage` (or a
subclass that overrides how it samples, renders or refines). Worlds cache the language
and its intent bank by catalog, name, split and specificity, the factory's arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from ifr_sim.core.catalog import Catalog
from ifr_sim.core.instructions import InstructionLanguage
from ifr_sim.core.instructions.rich import RichLanguage
from ifr_sim.envs.config import Split
from ifr_sim.envs.registry import LANGUAGES

MIN_ITEMS = 10
"""Fewest items that satisfy any instruction, hence fewest items a catalog may have."""

LanguageFactory = Callable[[Catalog, Split, float], InstructionLanguage]
"""Builds a language for a catalog, a template split and a specificity in [0, 1]."""


def templates(catalog: Catalog, split: Split, specificity: float) -> InstructionLanguage:
    """English instructions from the templates of `split`, words fitted to the catalog."""
    return InstructionLanguage(catalog, split=split, specificity=specificity,
                               min_matching_items=MIN_ITEMS)


def rich(catalog: Catalog, split: Split, specificity: float) -> InstructionLanguage:
    """Instructions in the ways people type them: keywords, chat, moods, comparisons,
    loose ranges, typos; the question style is held out whole (`rich.py`)."""
    return RichLanguage(catalog, split=split, specificity=specificity,
                        min_matching_items=MIN_ITEMS)


def register_language(name: str, factory: LanguageFactory) -> None:
    """Let configs name an instruction language: `language = name` builds
    `factory(catalog, split, specificity)`.

    Raises:
        ValueError: the name is empty or taken.
    """
    LANGUAGES.register(name, factory)


def language_factory(name: str) -> LanguageFactory:
    """The factory registered under `name` (a `ConfigError` lists the known ones)."""
    return cast(LanguageFactory, LANGUAGES.factory(name))
