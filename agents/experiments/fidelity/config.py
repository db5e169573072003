"""What `ifr-sim bench fidelity` measures and how much: sample sizes, protocol, sweep."""

from __future__ import annotations

from dataclasses import dataclass

from ifr_sim.core.config import check, help_field

SWEPT_WEIGHTS = ("taste", "quality", "familiarity")
"""The `attractiveness` weights the sweep moves, one at a time (`sweep_<weight>`)."""


@dataclass(frozen=True)
class FidelityConfig:
    """Sizes of the fidelity benchmark: small by default (about ten seconds on 2 cores);
    `raters=0` and more sessions for published figures (twenty seconds)."""

    raters: int = help_field(
        200, "real raters sampled and probed (their simulated users); 0: every rater of "
        "the world's split"
    )
    sessions: int = help_field(
        300, "simulated sessions per policy (random, popularity) for the aggregate "
        "behaviour, and of the random policy per sweep setting"
    )
    positives: int = help_field(
        4, "held-out items in each preference-alignment list, next to ratio x as many "
        "never-rated items (raters with fewer held-out items are left out)"
    )
    ratios: tuple[int, ...] = help_field(
        (1, 3, 9), "never-rated items per held-out item in the alignment lists (Agent4Rec)"
    )
    reference_reg: float = help_field(
        10.0, "L2 penalty of the references' biases and biased MF (ALS with the world's "
        "taste_dim factors), and the shrinkage of each rater's offset in the rating map"
    )
    sweep_taste: tuple[float, ...] = help_field(
        (0.05, 0.1, 0.25, 0.5, 1.0),
        "attractiveness.taste values of the sweep (others at the world's)"
    )
    sweep_quality: tuple[float, ...] = help_field(
        (0.75, 1.5, 3.0), "attractiveness.quality values of the sweep (others at the world's)"
    )
    sweep_familiarity: tuple[float, ...] = help_field(
        (0.0, 0.3, 0.6, 1.0, 2.0),
        "attractiveness.familiarity values of the sweep (others at the world's)"
    )
    seed: int = help_field(0, "seed of the samples, the simulated users and their clicks")

    def __post_init__(self) -> None:
        check(self.raters >= 0, "raters", self.raters, "use 0 (all) or more")
        check(self.sessions >= 1, "sessions", self.sessions, "use at least 1")
        check(self.positives >= 1, "positives", self.positives, "use at least 1")
        check(len(self.ratios) > 0 and all(r >= 1 for r in self.ratios), "ratios",
              self.ratios, "use whole numbers of at least 1, e.g. [1, 3, 9]")
        check(self.reference_reg > 0, "reference_reg", self.reference_reg, "use > 0")
