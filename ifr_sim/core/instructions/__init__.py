"""The instruction language: intents and the words users say them in."""

from ifr_sim.core.instructions.intent import Intent, IntentBatch, Popularity
from ifr_sim.core.instructions.language import InstructionLanguage
from ifr_sim.core.instructions.matching import IntentMatch, intent_match, satisfying_items
from ifr_sim.core.instructions.templates import (
    TEMPLATE_SPLITS,
    TEMPLATES,
    Split,
    Style,
    Template,
    templates_for,
)
from ifr_sim.core.instructions.vocabulary import RangeBucket, Vocabulary, vocabulary_for

__all__ = [
    "TEMPLATES",
    "TEMPLATE_SPLITS",
    "InstructionLanguage",
    "Intent",
    "IntentBatch",
    "IntentMatch",
    "Popularity",
    "RangeBucket",
    "Split",
    "Style",
    "Template",
    "Vocabulary",
    "intent_match",
    "satisfying_items",
    "templates_for",
    "vocabulary_for",
]
