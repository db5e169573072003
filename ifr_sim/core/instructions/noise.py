"""Typing noise: instructions as typed in a hurry, lower-cased, shouted or misspelt.

People rarely type requests in tidy sentence case: a third of a hand-written set is in
lower case, some has typos ("commedy", "thriler"). A scorer trained only on clean text
meets those as unknown words. Noise is a layer over any style, not a style of its own.
"""

from __future__ import annotations

from ifr_sim.core.instructions.render import Draws

LOWER_CASE_CHANCE = 0.3
"""How often an instruction is typed all in lower case (and without a final period)."""
UPPER_CASE_CHANCE = 0.03
"""How often it is typed in capitals."""
TYPO_CHANCE = 0.2
"""How often an instruction has a typo; a second one comes with half that chance."""
TYPO_MIN_LETTERS = 4
"""Shorter words are never misspelt (a typo in "no" or "90s" would change the request)."""
TYPO_KINDS = ("swap", "drop", "double")


def noisy(text: str, draws: Draws) -> str:
    """`text` sometimes lower-cased or in capitals, sometimes with one or two typos."""
    casing = draws.uniform()
    if casing < LOWER_CASE_CHANCE:
        text = text.lower().removesuffix(".")
    elif casing < LOWER_CASE_CHANCE + UPPER_CASE_CHANCE:
        text = text.upper()
    typos = int(draws.chance(TYPO_CHANCE)) + int(draws.chance(TYPO_CHANCE / 2))
    for _ in range(typos):
        text = typo(text, draws)
    return text


def typo(text: str, draws: Draws) -> str:
    """One typo in a word of at least `TYPO_MIN_LETTERS` letters, never in its first or
    last letter: two letters swapped, one dropped or one doubled.

    >>> import numpy as np
    >>> # uniforms are used last first: the word (0.0), the letter (0.5), the kind (0.5)
    >>> typo("a comedy", Draws(np.random.default_rng(0), values=[0.5, 0.5, 0.0]))
    'a comdy'
    """
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if sum(ch.isalpha() for ch in w) >= TYPO_MIN_LETTERS]
    if not long:
        return text
    index = draws.pick(long)
    word = words[index]
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    at = draws.pick(letters[1:-1])
    kind = draws.pick(TYPO_KINDS)
    if kind == "swap":
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif kind == "drop":
        word = word[:at] + word[at + 1 :]
    else:
        word = word[:at] + word[at] + word[at:]
    words[index] = word
    return " ".join(words)
