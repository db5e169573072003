"""Sentence templates that wrap a description into an instruction, and their split.

Templates come in three styles: an explicit *preference* ("I'd like {desc}."), an
*intention* that gives the situation ("It's for {occasion}, so I'm after {desc}."), and a
*task* for the recommender ("Find me {desc}."). Placeholders: `{desc}` is a singular
description with its article ("a comedy from the 90s"), `{descs}` a bare plural one
("comedies from the 90s"), `{occasion}` a situation from the domain's vocabulary. A
description always ends a clause, because it may end in an exclusion (", no horror").

A quarter of each style is held out (every fourth template), so a policy can be tested on
phrasings it never trained on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Style = Literal["preference", "intention", "task",
                "keyword", "chatty", "mood", "comparison", "question"]
"""Every style's name; the last five are the rich language's (`rich.py`)."""
Split = Literal["train", "heldout", "all"]
HELDOUT_EVERY = 4


@dataclass(frozen=True)
class Template:
    """One instruction frame, e.g. `Template("task-01", "task", "Find me {desc}.")`."""

    id: str
    style: Style
    text: str


_TEXTS: Mapping[Style, tuple[str, ...]] = {
    "preference": (
        "I want {desc}.",
        "Looking for {desc}.",
        "I'd really like {desc}.",
        "I'm in the mood for {desc}.",
        "What I'm after is {desc}.",
        "Lately I've been really into {descs}.",
        "Honestly, I could go for {desc}.",
        "These days I mostly enjoy {descs}.",
        "I'm craving {desc}.",
        "Something I'd enjoy: {desc}.",
        "I tend to prefer {descs}.",
        "Right now my taste runs to {descs}.",
        "I'd love to discover {desc}.",
        "I'm hoping for {desc}.",
        "Nothing fancy, just {desc}.",
        "My pick would be {desc}.",
    ),
    "intention": (
        "I'm having friends over tonight and need {desc}.",
        "Planning a cozy evening; can you suggest {desc}?",
        "Getting ready for {occasion} and I'd like {desc}.",
        "It's for {occasion}, so I'm after {desc}.",
        "I've had a long week and just want {desc}.",
        "My partner and I can't agree; help us settle on {desc}.",
        "I'm trying to branch out a bit. Got {desc}?",
        "For {occasion} I'm hoping to find {desc}.",
        "We're getting together this weekend and want {descs}.",
        "Bored at home. What about {desc}?",
        "A friend says I should try {descs}; what do you have?",
        "I want to treat myself to {desc}.",
        "Thinking ahead to {occasion}: any chance of {desc}?",
        "I need something for {occasion}, maybe {desc}.",
    ),
    "task": (
        "Recommend {desc}.",
        "Find me {desc}.",
        "List {descs}.",
        "Show me some {descs}.",
        "Suggest {desc}.",
        "Search for {descs}.",
        "Pull up {descs}.",
        "Can you recommend {desc}?",
        "Give me a few {descs}.",
        "Filter the catalog down to {descs}.",
        "Get me {desc}.",
        "Please pick out {desc}.",
        "Bring up {descs}.",
        "Help me choose {desc}.",
    ),
}

TEMPLATES: tuple[Template, ...] = tuple(
    Template(f"{style}-{i:02d}", style, text)
    for style, texts in _TEXTS.items()
    for i, text in enumerate(texts)
)
"""All templates, in a fixed order."""


def in_split(template: Template, split: Literal["train", "heldout"]) -> bool:
    """Whether `template` belongs to `split`: every fourth of a style is held out."""
    heldout = int(template.id[-2:]) % HELDOUT_EVERY == HELDOUT_EVERY - 1
    return heldout == (split == "heldout")


TEMPLATE_SPLITS: Mapping[str, tuple[Template, ...]] = {
    "train": tuple(t for t in TEMPLATES if in_split(t, "train")),
    "heldout": tuple(t for t in TEMPLATES if in_split(t, "heldout")),
}
"""Every fourth template of each style is held out; the rest are for training."""


def templates_for(split: Split) -> tuple[Template, ...]:
    """The templates of `split` ("all" = both)."""
    if split == "all":
        return TEMPLATES
    if split not in TEMPLATE_SPLITS:
        raise ValueError(f"split must be 'train', 'heldout' or 'all', got {split!r}")
    return TEMPLATE_SPLITS[split]
