"""Click models: hand-checked marginals, Monte-Carlo agreement, structure and validation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ifr_sim.core.config import ConfigError
from ifr_sim.envs.click_models import (
    CascadeClickModel,
    ClickModel,
    DependentClickModel,
    MultinomialLogitClickModel,
    PositionBasedClickModel,
    click_model_from_config,
)
from ifr_sim.envs.config import ClickConfig
from ifr_sim.envs.registry import CLICK_MODELS

MODELS: dict[str, ClickModel] = {
    "cascade": CascadeClickModel(),
    "pbm": PositionBasedClickModel(),
    "pbm-explicit": PositionBasedClickModel(examination=[0.9, 0.7, 0.5, 0.3, 0.2, 0.1]),
    "dcm": DependentClickModel(),
    "dcm-per-position": DependentClickModel(continuation=[0.9, 0.1, 0.6, 0.3, 1.0]),
    "mnl": MultinomialLogitClickModel(),
    "mnl-c2": MultinomialLogitClickModel(no_click_weight=2.0),
}
all_models = pytest.mark.parametrize("model", MODELS.values(), ids=MODELS.keys())


def _random_slates(rng: np.random.Generator, batch: int, slate_size: int = 5) -> np.ndarray:
    """Mixed attractiveness, with some exact zeros and ones, as the env produces."""
    a = rng.uniform(size=(batch, slate_size))
    a[rng.random(a.shape) < 0.15] = 0.0
    a[rng.random(a.shape) < 0.05] = 1.0
    return a


# --- hand-computed marginals -------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "a", "expected"),
    [
        # cascade: a_k ∏_{j<k}(1 - a_j) -> 0.5, 0.5*0.5, 0.5*0.5*0.5
        (CascadeClickModel(), [0.5, 0.5, 0.5], [0.5, 0.25, 0.125]),
        # 0.2; 0.8*0.5 = 0.4; 0.8*0.5*1 = 0.4; nothing is left after a=1 -> 0
        (CascadeClickModel(), [0.2, 0.5, 1.0, 0.3], [0.2, 0.4, 0.4, 0.0]),
        # PBM, eta=1: θ = 1, 1/2, 1/3, 1/4 times a = 1
        (PositionBasedClickModel(), [1.0, 1.0, 1.0, 1.0], [1.0, 0.5, 1 / 3, 0.25]),
        # PBM, eta=2: θ = 1, 1/4, 1/9 -> 0.6, 0.6/4 = 0.15, 0.9/9 = 0.1
        (PositionBasedClickModel(eta=2.0), [0.6, 0.6, 0.9], [0.6, 0.15, 0.1]),
        # PBM, eta=0: every position examined, P = a
        (PositionBasedClickModel(eta=0.0), [0.3, 0.7], [0.3, 0.7]),
        # PBM, explicit θ = 0.9, 0.6, 0.3 (extra entries unused): 0.45, 0.3, 0.3
        (PositionBasedClickModel([0.9, 0.6, 0.3, 0.1]), [0.5, 0.5, 1.0], [0.45, 0.3, 0.3]),
        # DCM λ=0.5: E = 1, 1-0.5+0.25 = 0.75, 0.75^2 = 0.5625 -> 0.5, 0.375, 0.28125
        (DependentClickModel(0.5), [0.5, 0.5, 0.5], [0.5, 0.375, 0.28125]),
        # DCM λ = 0.2, 0.8, -: E = 1, 1-0.5+0.1 = 0.6, 0.6*(1-0.5+0.4) = 0.54
        (DependentClickModel([0.2, 0.8, 0.0]), [0.5, 0.5, 0.5], [0.5, 0.3, 0.27]),
        # DCM λ=1: the user sees everything, P = a (PBM with eta=0)
        (DependentClickModel(1.0), [0.2, 0.5, 1.0, 0.3], [0.2, 0.5, 1.0, 0.3]),
        # DCM λ=0 is the cascade
        (DependentClickModel(0.0), [0.2, 0.5, 1.0, 0.3], [0.2, 0.4, 0.4, 0.0]),
        # MNL: w = 1, 4, 0; denominator 1 + 5 = 6 -> 1/6, 4/6, 0
        (MultinomialLogitClickModel(), [0.5, 0.8, 0.0], [1 / 6, 4 / 6, 0.0]),
        # MNL, c=2: w = 1, 1; denominator 2 + 2 = 4 -> 0.25 each
        (MultinomialLogitClickModel(2.0), [0.5, 0.5], [0.25, 0.25]),
        # MNL single item: w = 3/7, P = (3/7) / (10/7) = 0.3 = a
        (MultinomialLogitClickModel(), [0.3], [0.3]),
        # MNL a=1 is clipped to 1-1e-6: w = 1e6 - 1, P = 1 - 1e-6
        (MultinomialLogitClickModel(), [1.0], [1.0 - 1e-6]),
    ],
)
def test_hand_computed_marginals(model: ClickModel, a: list[float], expected: list[float]) -> None:
    probs = model.click_probabilities(np.array([a, a]))
    np.testing.assert_allclose(probs, [expected, expected], rtol=1e-9, atol=1e-12)


def test_expected_clicks_sums_the_marginals() -> None:
    # cascade with a = 0.5 x3: 0.5 + 0.25 + 0.125 = 0.875; a = 0 everywhere: 0
    totals = CascadeClickModel().expected_clicks(np.array([[0.5, 0.5, 0.5], [0.0, 0.0, 0.0]]))
    assert totals.shape == (2,)
    np.testing.assert_allclose(totals, [0.875, 0.0])


@pytest.mark.parametrize("a", [0.0, 0.01, 0.3, 0.5, 0.99])
def test_mnl_single_item_slate_is_clicked_with_probability_a(a: float) -> None:
    np.testing.assert_allclose(MultinomialLogitClickModel().click_probabilities([[a]]), [[a]])


# --- Monte-Carlo: sampled click rates match the marginals --------------------------------


@all_models
def test_sampled_click_rates_match_marginals(model: ClickModel) -> None:
    batch = 200_000
    a = _random_slates(np.random.default_rng(1), batch)
    clicks = model.sample(a, np.random.default_rng(2))
    probs = model.click_probabilities(a)
    # Rows are independent Bernoullis with their own p, so the per-position mean has
    # standard error sqrt(Σ_b p_b (1 - p_b)) / B.
    stderr = np.sqrt((probs * (1.0 - probs)).sum(axis=0)) / batch
    np.testing.assert_array_less(np.abs(clicks.mean(axis=0) - probs.mean(axis=0)), 4 * stderr)
    assert not clicks[a == 0.0].any(), "zero attractiveness was clicked"


@pytest.mark.parametrize("model", [CascadeClickModel(), MultinomialLogitClickModel()])
def test_at_most_one_click_per_slate(model: ClickModel) -> None:
    a = _random_slates(np.random.default_rng(3), 20_000)
    clicks = model.sample(a, np.random.default_rng(4))
    assert clicks.sum(axis=1).max() == 1


@all_models
def test_zero_attractiveness_is_never_clicked(model: ClickModel) -> None:
    a = np.zeros((1_000, 5))
    a[:, ::2] = 1.0  # positions 1 and 3 are empty slots
    assert model.click_probabilities(a)[:, 1::2].max() == 0.0
    assert not model.sample(a, np.random.default_rng(5))[:, 1::2].any()


@all_models
def test_sample_shape_dtype_and_determinism(model: ClickModel) -> None:
    a = _random_slates(np.random.default_rng(6), 500)
    first = model.sample(a, np.random.default_rng(7))
    assert first.shape == a.shape
    assert first.dtype == np.bool_
    np.testing.assert_array_equal(first, model.sample(a, np.random.default_rng(7)))
    assert not np.array_equal(first, model.sample(a, np.random.default_rng(8)))


@all_models
@given(
    a=hnp.arrays(
        np.float64, st.tuples(st.integers(1, 4), st.integers(0, 5)), elements=st.floats(0.0, 1.0)
    )
)
def test_marginals_are_probabilities(model: ClickModel, a: np.ndarray) -> None:
    probs = model.click_probabilities(a)
    assert probs.shape == a.shape
    assert np.all((probs >= 0.0) & (probs <= a + 1e-12))
    if isinstance(model, CascadeClickModel | MultinomialLogitClickModel):
        assert np.all(model.expected_clicks(a) <= 1.0 + 1e-12)


# --- validation and factory --------------------------------------------------------------


@all_models
@pytest.mark.parametrize(
    ("a", "message"),
    [
        (np.array([0.5, 0.5]), "2-D"),
        (np.full((2, 2, 2), 0.5), "2-D"),
        (np.array([[0.5, 1.5]]), r"\[0, 1\]"),
        (np.array([[-0.1, 0.5]]), r"\[0, 1\]"),
        (np.array([[np.nan, 0.5]]), r"\[0, 1\]"),
    ],
)
def test_bad_attractiveness_is_rejected(model: ClickModel, a: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        model.click_probabilities(a)
    with pytest.raises(ValueError, match=message):
        model.sample(a, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: PositionBasedClickModel(eta=-1.0), r"eta must be a finite number >= 0"),
        (lambda: PositionBasedClickModel(examination=[0.5, 1.2]), r"examination must lie in"),
        (lambda: PositionBasedClickModel(examination=[]), r"examination must be a non-empty"),
        (lambda: DependentClickModel(1.5), r"continuation must lie in \[0, 1\]"),
        (lambda: DependentClickModel([0.5, -0.1]), r"continuation must lie in \[0, 1\]"),
        (lambda: DependentClickModel([]), r"continuation must be a number or a non-empty"),
        (lambda: MultinomialLogitClickModel(0.0), r"no_click_weight must be a finite number > 0"),
        (lambda: MultinomialLogitClickModel(np.inf), r"no_click_weight must be a finite"),
    ],
)
def test_bad_parameters_are_rejected(build: Callable[[], ClickModel], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (PositionBasedClickModel(examination=[0.9, 0.5]), "examination"),
        (DependentClickModel(continuation=[0.9, 0.5]), "continuation"),
    ],
)
def test_per_position_parameters_must_cover_the_slate(model: ClickModel, name: str) -> None:
    with pytest.raises(ValueError, match=rf"{name} has 2 entries but the slate has 3 positions"):
        model.click_probabilities(np.full((1, 3), 0.5))


@pytest.mark.parametrize(
    ("config", "cls"),
    [
        (ClickConfig(model="cascade"), CascadeClickModel),
        (ClickConfig(model="pbm", pbm_eta=0.5), PositionBasedClickModel),
        (ClickConfig(model="dcm", dcm_continuation=0.7), DependentClickModel),
        (ClickConfig(model="mnl", mnl_no_click_weight=2.0), MultinomialLogitClickModel),
    ],
)
def test_factory_builds_each_model(config: ClickConfig, cls: type[ClickModel]) -> None:
    assert isinstance(click_model_from_config(config), cls)


def test_factory_params_reach_the_model() -> None:
    # DCM λ=1 sees every position, so P = a
    model = click_model_from_config(ClickConfig(model="dcm", dcm_continuation=1.0))
    np.testing.assert_allclose(model.click_probabilities([[0.4, 0.4]]), [[0.4, 0.4]])
    # PBM with eta=2 examines position k (0-based) with 1/(k+1)^2: 0.8, 0.8/4
    model = click_model_from_config(ClickConfig(model="pbm", pbm_eta=2.0))
    np.testing.assert_allclose(model.click_probabilities([[0.8, 0.8]]), [[0.8, 0.2]])


def test_an_unknown_name_lists_the_registered_ones() -> None:
    assert CLICK_MODELS.names()[:4] == ("cascade", "pbm", "dcm", "mnl")
    known = r"\['cascade', 'pbm', 'dcm', 'mnl'.*register_click_model"
    with pytest.raises(ConfigError, match=rf"clicks.model='ubm' is invalid: choose one of {known}"):
        ClickConfig(model="ubm")
