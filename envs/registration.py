"""Gymnasium registration of ifr-sim's environments (run on `import ifr_sim`)."""

from __future__ import annotations

import gymnasium

ENV_ID = "ifr_sim/InstructionRec-v1"
MAX_EPISODE_STEPS = 20


def register_envs() -> None:
    """Register the environments once (importing twice must not warn)."""
    if ENV_ID in gymnasium.registry:
        return
    gymnasium.register(
        id=ENV_ID,
        entry_point="ifr_sim.envs.instruction_rec:InstructionRecEnv",
        vector_entry_point="ifr_sim.envs.vector_env:InstructionRecVectorEnv",
        max_episode_steps=MAX_EPISODE_STEPS,
    )
