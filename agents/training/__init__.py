"""Training infrastructure: the trainer, its config, checkpoints, locks, interrupts and loggers."""
