"""Rendering as outside clients ask for it: SB3's `make_vec_env`, Gymnasium's wrappers.

`make_vec_env` asks every env for `render_mode="rgb_array"`; `RecordVideo` and
`RenderCollection` record those frames, which must all have one shape and dtype.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.wrappers import RecordVideo, RenderCollection
from stable_baselines3.common.env_util import make_vec_env

from ifr_sim import ENV_ID
from ifr_sim.envs.render import CLICKED_FILL, FRAME_SHAPE, SlateRow, TurnView, render_image


def rendered(env: gym.Env | gym.vector.VectorEnv, kind: type) -> Any:
    """What `env.render()` returns, checked to be a `kind`."""
    result = env.render()
    assert isinstance(result, kind), type(result)
    return result


def clicked_bands(frame: np.ndarray) -> int:
    """How many separate green bands (clicked slate positions) the frame's left edge has."""
    green = np.all(frame[:, 2] == CLICKED_FILL, axis=1)
    return int(np.count_nonzero(green[1:] & ~green[:-1]) + green[0])


def test_sb3_make_vec_env_with_its_defaults_renders_every_env() -> None:
    venv = make_vec_env(ENV_ID, n_envs=4, seed=0)
    assert venv.render_mode == "rgb_array"
    venv.reset()
    for _ in range(3):
        venv.step(np.stack([venv.action_space.sample() for _ in range(4)]))
    frames = venv.get_images()
    assert [(f.shape, f.dtype) for f in frames if f is not None] == [(FRAME_SHAPE, np.uint8)] * 4
    tiled = venv.render()  # SB3 tiles the four frames two by two
    assert tiled is not None and tiled.shape == (2 * FRAME_SHAPE[0], 2 * FRAME_SHAPE[1], 3)
    venv.close()


def test_gymnasium_checker_passes_for_the_rgb_array_env() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(gym.make(ENV_ID, render_mode="rgb_array").unwrapped, skip_render_check=False)
    assert [str(w.message) for w in caught] == []


def record(seed: int) -> list[np.ndarray]:
    """The frames `RenderCollection` gathers over one episode of oracle slates."""
    env = RenderCollection(gym.make(ENV_ID, render_mode="rgb_array"))
    _, info = env.reset(seed=seed)
    done = False
    while not done:
        _, _, terminated, truncated, info = env.step(info["oracle_slate"])
        done = terminated or truncated
    frames = rendered(env, list)
    env.close()
    return frames


def test_render_collection_gathers_one_frame_per_reset_and_step() -> None:
    frames = record(seed=5)
    steps = len(frames) - 1
    assert steps >= 1
    assert all(f.shape == FRAME_SHAPE and f.dtype == np.uint8 for f in frames)
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(frames))
    assert all(np.array_equal(a, b) for a, b in zip(frames, record(seed=5), strict=True))


def test_record_video_writes_an_episode(tmp_path: Path) -> None:
    pytest.importorskip("moviepy", reason="Gymnasium's RecordVideo needs moviepy")
    folder = tmp_path / "videos"
    env = RecordVideo(
        gym.make(ENV_ID, render_mode="rgb_array"), str(folder), episode_trigger=lambda _: True
    )
    _, info = env.reset(seed=0)
    done = False
    while not done:
        _, _, terminated, truncated, info = env.step(info["oracle_slate"])
        done = terminated or truncated
    env.close()
    videos = list(folder.glob("*.mp4"))
    assert len(videos) == 1 and videos[0].stat().st_size > 0


def test_clicked_positions_are_drawn_as_green_bands() -> None:
    env = gym.make(ENV_ID, render_mode="rgb_array")
    env.reset(seed=2)
    assert clicked_bands(rendered(env, np.ndarray)) == 0  # no slate yet
    rng = np.random.default_rng(0)
    counts = set()
    for _ in range(30):
        _, _, terminated, truncated, info = env.step(rng.permutation(100)[:10])
        clicks = int(info["clicks"].sum())
        assert clicked_bands(rendered(env, np.ndarray)) == clicks
        counts.add(clicks)
        if terminated or truncated:
            env.reset()
    assert 0 in counts and max(counts) >= 1  # turns with and without clicks were seen


def test_ansi_text_shows_the_reward_and_the_clicked_positions() -> None:
    env = gym.make(ENV_ID, render_mode="ansi")
    _, info = env.reset(seed=1)
    _, reward, _, _, info = env.step(info["oracle_slate"])
    text = rendered(env, str)
    assert f"| reward {reward:g} |" in text.splitlines()[0]
    assert text.count("[x]") == info["clicks"].sum()


def test_a_title_of_megabytes_is_cut_to_the_frame() -> None:
    view = TurnView("turn 1", "a phone", (SlateRow(1, "x" * 5_000_000, True),), 100)
    frame = render_image(view)
    assert frame.shape == FRAME_SHAPE and clicked_bands(frame) == 1


def test_render_without_a_mode_warns() -> None:
    env = gym.make(ENV_ID)
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode set to one of"):
        assert env.render() is None


def test_native_vector_env_points_to_the_vectorization_that_renders() -> None:
    with pytest.raises(ValueError, match="vectorization_mode='sync'"):
        gym.make_vec(ENV_ID, num_envs=2, render_mode="rgb_array")
    venv = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="sync", render_mode="rgb_array")
    venv.reset(seed=0)
    assert [frame.shape for frame in rendered(venv, tuple)] == [FRAME_SHAPE] * 2
