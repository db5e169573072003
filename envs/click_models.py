"""Click models: how a simulated user turns a ranked slate into clicks.

A click model only sees the attractiveness ``a[b, k]`` in ``[0, 1]`` of the item shown at
slate position ``k`` to user ``b`` (the user model decides what is attractive); it adds
the position effects. Every model gives the analytic marginal ``P(click at k)`` (used by
the oracle and by tests) and samples clicks from it with a caller-supplied generator, so
one seed fixes every episode. Zero attractiveness is never clicked, which the env uses
for empty slots and already-clicked items.

`clicks.model` names one of the registered click models; `register_click_model` adds
yours (a factory from the `clicks` config section to a `ClickModel` subclass).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ifr_sim.envs.config import ClickConfig
from ifr_sim.envs.registry import CLICK_MODELS

_MAX_MNL_ATTRACTIVENESS = 1.0 - 1e-6


def _check_unit_interval(values: NDArray[np.float64], name: str) -> None:
    """Raise if any value is outside ``[0, 1]`` (NaN included: it fails both bounds)."""
    if values.size and not (values.min() >= 0.0 and values.max() <= 1.0):
        bad = values[~((values >= 0.0) & (values <= 1.0))]
        raise ValueError(f"{name} must lie in [0, 1]; got {bad.ravel()[:5].tolist()}")


def _per_position(values: NDArray[np.float64], slate_size: int, name: str) -> NDArray[np.float64]:
    """Cut a per-position vector to ``slate_size`` entries; a scalar stays one (it
    broadcasts over the positions, without building a vector on every call)."""
    if values.ndim == 0:
        return values
    if len(values) < slate_size:
        raise ValueError(
            f"{name} has {len(values)} entries but the slate has {slate_size} positions; "
            f"give at least one value per position"
        )
    return values[:slate_size]


class ClickModel(abc.ABC):
    """Maps a batch of slates' attractiveness to click marginals and sampled clicks.

    Subclasses implement the two hooks on validated ``(B, K)`` float arrays; the public
    methods validate once so every model rejects bad input the same way.
    """

    def click_probabilities(self, attractiveness: ArrayLike) -> NDArray[np.float64]:
        """Marginal click probability per position.

        Args:
            attractiveness: ``(B, K)`` values in ``[0, 1]``, items in slate order.

        Returns:
            ``(B, K)`` array of ``P(click at position k)``.
        """
        return self._click_probabilities(self._validated(attractiveness))

    def sample(self, attractiveness: ArrayLike, rng: np.random.Generator) -> NDArray[np.bool_]:
        """Sample one session per row; all randomness comes from ``rng``.

        Args:
            attractiveness: ``(B, K)`` values in ``[0, 1]``, items in slate order.
            rng: The environment's generator, so a seed reproduces the clicks.

        Returns:
            ``(B, K)`` boolean click matrix.
        """
        return self._sample(self._validated(attractiveness), rng)

    def expected_clicks(self, attractiveness: ArrayLike) -> NDArray[np.float64]:
        """Expected number of clicks per slate, ``(B,)``; the oracle ranks by this."""
        return self.click_probabilities(attractiveness).sum(axis=1)

    @abc.abstractmethod
    def _click_probabilities(self, a: NDArray[np.float64]) -> NDArray[np.float64]:
        """Marginals for validated ``(B, K)`` attractiveness."""

    @abc.abstractmethod
    def _sample(self, a: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.bool_]:
        """Clicks for validated ``(B, K)`` attractiveness."""

    @staticmethod
    def _validated(attractiveness: ArrayLike) -> NDArray[np.float64]:
        a = np.asarray(attractiveness, dtype=np.float64)
        if a.ndim != 2:
            raise ValueError(
                f"attractiveness must be 2-D (batch, slate positions); got shape {a.shape}"
            )
        _check_unit_interval(a, "attractiveness")
        return a


class PositionBasedClickModel(ClickModel):
    """Position-based model (PBM): examination and attraction are independent.

    ``P(click k) = θ_k a_k``, with ``θ_k = 1 / (k + 1)^eta`` (``k`` 0-based) unless an
    explicit examination vector is given. Several clicks per slate are possible.

    Args:
        examination: Per-position examination probabilities ``θ_k`` in ``[0, 1]``; must
            have at least as many entries as the slates it is used on.
        eta: Decay exponent of the default ``θ_k``; ``0`` means every position is seen.
            Ignored when ``examination`` is given.
    """

    def __init__(self, examination: Sequence[float] | None = None, eta: float = 1.0) -> None:
        if not (np.isfinite(eta) and eta >= 0.0):
            raise ValueError(f"eta must be a finite number >= 0; got {eta}")
        self._eta = float(eta)
        self._examination: NDArray[np.float64] | None = None
        if examination is not None:
            theta = np.asarray(examination, dtype=np.float64)
            if theta.ndim != 1 or theta.size == 0:
                raise ValueError("examination must be a non-empty 1-D sequence of probabilities")
            _check_unit_interval(theta, "examination")
            self._examination = theta

    def examination(self, slate_size: int) -> NDArray[np.float64]:
        """Examination probabilities ``θ_k`` for the first ``slate_size`` positions."""
        if self._examination is None:
            return np.power(np.arange(1.0, slate_size + 1.0), -self._eta)
        return _per_position(self._examination, slate_size, "examination")

    def _click_probabilities(self, a: NDArray[np.float64]) -> NDArray[np.float64]:
        return a * self.examination(a.shape[1])

    def _sample(self, a: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.bool_]:
        # One uniform per cell suffices: examination and attraction are independent.
        return rng.random(a.shape) < self._click_probabilities(a)


class DependentClickModel(ClickModel):
    """Dependent click model (DCM): a top-down scan that may go on after a click.

    The user examines position ``k`` and clicks with probability ``a_k``; after a click
    they continue with probability ``λ_k``, after a skip they always continue::

        E_0 = 1,  E_{k+1} = E_k (1 - a_k + a_k λ_k),  P(click k) = E_k a_k

    Args:
        continuation: ``λ`` in ``[0, 1]``, one value for all positions or one per
            position (at least as many as the slate has).
    """

    def __init__(self, continuation: float | Sequence[float] = 0.5) -> None:
        lam = np.asarray(continuation, dtype=np.float64)
        if lam.ndim > 1 or (lam.ndim == 1 and lam.size == 0):
            raise ValueError("continuation must be a number or a non-empty 1-D sequence")
        _check_unit_interval(lam, "continuation")
        self._continuation = lam

    def _click_probabilities(self, a: NDArray[np.float64]) -> NDArray[np.float64]:
        lam = _per_position(self._continuation, a.shape[1], "continuation")
        stays = 1.0 - a * (1.0 - lam)
        # E_k is the product of the stay probabilities strictly before k.
        examined = np.cumprod(np.concatenate([np.ones_like(a[:, :1]), stays[:, :-1]], axis=1), 1)
        return examined * a

    def _sample(self, a: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.bool_]:
        lam = _per_position(self._continuation, a.shape[1], "continuation")
        attracted = rng.random(a.shape) < a
        leaves = attracted & (rng.random(a.shape) >= lam)
        # A position is examined iff the user left at no earlier position, i.e. iff the
        # leaves up to and including it are at most the one at it.
        return attracted & (np.cumsum(leaves, axis=1) <= leaves)


class CascadeClickModel(DependentClickModel):
    """Cascade model: scan top-down, click the first attractive item, stop.

    ``P(click k) = a_k ∏_{j<k} (1 - a_j)``; at most one click per slate. This is the DCM
    with ``λ = 0``, so it reuses that code.
    """

    def __init__(self) -> None:
        super().__init__(continuation=0.0)


class MultinomialLogitClickModel(ClickModel):
    """Multinomial logit (MNL) choice: at most one click, items compete for it.

    Item ``k`` has weight ``w_k = a_k / (1 - a_k)`` (its odds, with ``a`` clipped to
    ``[0, 1 - 1e-6]``) and ``P(click k) = w_k / (c + Σ_j w_j)``, where ``c`` is the
    no-click weight. With ``c = 1`` a single-item slate is clicked with probability
    ``a``, so attractiveness keeps the same meaning as in the other models.

    Args:
        no_click_weight: ``c > 0``, the weight of leaving without a click.
    """

    def __init__(self, no_click_weight: float = 1.0) -> None:
        if not (np.isfinite(no_click_weight) and no_click_weight > 0.0):
            raise ValueError(f"no_click_weight must be a finite number > 0; got {no_click_weight}")
        self._no_click_weight = float(no_click_weight)

    def _click_probabilities(self, a: NDArray[np.float64]) -> NDArray[np.float64]:
        clipped = np.minimum(a, _MAX_MNL_ATTRACTIVENESS)
        weights = clipped / (1.0 - clipped)
        return weights / (self._no_click_weight + weights.sum(axis=1, keepdims=True))

    def _sample(self, a: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.bool_]:
        cumulative = np.cumsum(self._click_probabilities(a), axis=1)
        # Choice = number of cumulative bounds <= u; K (past the last item) means no click.
        # A zero-probability item adds an empty interval, so it can never be chosen.
        choice = (cumulative <= rng.random((a.shape[0], 1))).sum(axis=1)
        return choice[:, None] == np.arange(a.shape[1])


ClickModelFactory = Callable[[ClickConfig], ClickModel]
"""Builds a click model from the `clicks` section of a world's config."""


def cascade_from_config(config: ClickConfig) -> ClickModel:
    return CascadeClickModel()


def pbm_from_config(config: ClickConfig) -> ClickModel:
    return PositionBasedClickModel(eta=config.pbm_eta)


def dcm_from_config(config: ClickConfig) -> ClickModel:
    return DependentClickModel(continuation=config.dcm_continuation)


def mnl_from_config(config: ClickConfig) -> ClickModel:
    return MultinomialLogitClickModel(no_click_weight=config.mnl_no_click_weight)


def register_click_model(name: str, factory: ClickModelFactory) -> None:
    """Let configs name a click model: `clicks.model = name` builds `factory(config.clicks)`.

    Raises:
        ValueError: the name is empty or taken.
    """
    CLICK_MODELS.register(name, factory)


def click_model_from_config(config: ClickConfig) -> ClickModel:
    """The click model `config.model` names, with its parameters.

    Example:
        >>> click_model_from_config(ClickConfig(model="cascade")).click_probabilities(
        ...     [[0.5, 0.5, 0.5]])
        array([[0.5  , 0.25 , 0.125]])
    """
    factory = cast(ClickModelFactory, CLICK_MODELS.factory(config.model))
    return factory(config)
