"""The foundation: catalog, instruction language, scorer, metrics, config and run store.

Nothing here imports the environments, the agents or the applications above it.
"""
