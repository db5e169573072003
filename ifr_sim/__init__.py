"""ifr-sim: an online simulator for instruction-following recommendation.

Importing the package registers `ifr_sim/InstructionRec-v1` with Gymnasium.
"""

from ifr_sim.envs.registration import ENV_ID, register_envs

__version__ = "0.1.0"
__all__ = ["ENV_ID", "__version__"]

register_envs()
