"""Experiments built on training: sweeps and the learning benchmark."""
