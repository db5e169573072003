"""The user model: how a batch of simulated users judges, reacts, refines and leaves.

RecSim's separation, batched: the simulator (`SessionSimulator`) owns the session (the
intent and its instruction, the candidates, what was shown and clicked, the history),
the click model turns attractiveness into clicks, and the user model owns everything
about the user's mind, in a `UserState` of its own. Every method works on all B users
at once with numpy, and all randomness comes from the generator handed down, so one
seed gives one sequence of episodes.

One turn, in the order the simulator calls the model:

1. `attractiveness` of every candidate (it is the ground-truth relevance in `info`);
2. the click model samples clicks on the slate's attractiveness;
3. the simulator records the slate (seen, clicked, history, turn), then `transition`
   updates the user's state from the `Response`;
4. `leaves` says who ends the session; `refines` who rewords the instruction, which the
   instruction language then does (and `intent_changed` tells the model);
5. `attractiveness` again, for the next turn.

A session starts with `initial_state` (the users drawn from their profiles) and, once
the candidates for their intent are known, `start`.

Example:
    A user who finds nothing attractive that breaks the instruction's hard constraints::

        class Picky(LogisticUserModel):
            def attractiveness(self, state, session):
                return super().attractiveness(state, session) * session.hard

        register_user_model("picky", Picky)
        env = gym.make(ENV_ID, config=with_overrides(WorldConfig(), {"users.model": "picky"}))
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import numpy as np

from ifr_sim.core.catalog import Catalog
from ifr_sim.envs.config import WorldConfig
from ifr_sim.envs.registry import USER_MODELS
from ifr_sim.envs.session_state import Sessions, UserState
from ifr_sim.envs.users import UserPopulation

State = TypeVar("State", bound=UserState)


@dataclass(frozen=True)
class Response:
    """What the users did with this turn's slate (already recorded in the session).

    Attributes:
        positions: (B, K) candidate positions of the slate, best first.
        flat: (B, K) the same positions as indices into raveled (B, N) arrays.
        shown: (B, K) the slot shows an item (False for a repeated position).
        items: (B, K) catalog indices shown, -1 for empty slots.
        clicks: (B, K) clicked positions.
        clicked_any: (B,) the user clicked something this turn.
    """

    positions: np.ndarray
    flat: np.ndarray
    shown: np.ndarray
    items: np.ndarray
    clicks: np.ndarray
    clicked_any: np.ndarray


PREFERENCE_FLOOR = 1e-6
"""Attractiveness is clipped to [PREFERENCE_FLOOR, 1 - PREFERENCE_FLOOR] before its logit."""


class UserModel(abc.ABC, Generic[State]):
    """A batch of users' attractiveness, state transition, refinements and departures.

    Subclasses keep their per-user arrays in a `UserState` subclass (users on axis 0)
    and update it in place; they read the `Sessions` but never write it.
    """

    @abc.abstractmethod
    def initial_state(self, profile: np.ndarray, rng: np.random.Generator) -> State:
        """The users of profiles `profile` (B,) as they arrive, drawn from `rng`."""

    def start(self, state: State, session: Sessions, rng: np.random.Generator) -> None:
        """The session opens: its intent and candidates are known (`session`).

        A hook for what depends on the candidates or is drawn per session; by default
        nothing.
        """

    @abc.abstractmethod
    def attractiveness(self, state: State, session: Sessions) -> np.ndarray:
        """(B, N) float32 in [0, 1]: how likely each user clicks each candidate if shown
        it at the top. Zero is never clicked."""

    def preference(self, state: State, session: Sessions) -> np.ndarray:
        """(B, N) how much each user likes each candidate, on any increasing scale: what
        a rating of it would say, which may leave out what only draws a click (having
        come across it, novelty). The fidelity benchmark maps it to real ratings; by
        default, the logit of `attractiveness`."""
        chance = np.clip(np.asarray(self.attractiveness(state, session), np.float64),
                         PREFERENCE_FLOOR, 1.0 - PREFERENCE_FLOOR)
        return np.log(chance) - np.log1p(-chance)

    @abc.abstractmethod
    def transition(self, state: State, session: Sessions, response: Response) -> None:
        """Update `state` in place after the users answered a slate."""

    @abc.abstractmethod
    def leaves(self, state: State, session: Sessions, response: Response) -> np.ndarray:
        """(B,) bool: the user ends the session after this turn."""

    @abc.abstractmethod
    def refines(
        self,
        state: State,
        session: Sessions,
        response: Response,
        leaving: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """(B,) bool: the user rewords the instruction for the next turn ("No, not
        horror."); `leaving` is what `leaves` said."""

    def intent_changed(self, state: State, session: Sessions, rows: np.ndarray) -> None:
        """The users `rows` refined their intent: `session.hard` and `session.graded`
        hold its new match. A hook for models that cache what depends on the intent."""

    def fresh_problems(self, state: State, session: Sessions, rows: np.ndarray) -> list[str]:
        """How the states of `rows` differ from states of sessions just started.

        The soak benchmark calls it on restarted users to catch state an ended session
        left behind; by default there is nothing to check.
        """
        return []


UserModelFactory = Callable[[WorldConfig, Catalog, UserPopulation], UserModel[Any]]
"""Builds a user model for a world: its config, its catalog and its user profiles."""


def register_user_model(name: str, factory: UserModelFactory) -> None:
    """Let configs name a user model: `users.model = name` builds `factory(config,
    catalog, population)` for every world of that config.

    Raises:
        ValueError: the name is empty or taken.
    """
    USER_MODELS.register(name, factory)


def user_model_factory(name: str) -> UserModelFactory:
    """The factory registered under `name` (a `ConfigError` lists the known ones)."""
    return cast(UserModelFactory, USER_MODELS.factory(name))
