"""Running agents in the environments.

Online evaluation, simulation, human-written instruction sets, and their run-store records.
"""
