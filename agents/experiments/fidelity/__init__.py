"""`ifr-sim bench fidelity`: simulated users measured against the real raters they stand for.

The world is built from the earlier part of every rater's ratings (`catalog.ratings =
"before_holdout"`); its user model, whichever is configured, is asked through the
`UserModel` interface how attractive it finds items, and its answers are compared with
what the real raters did in the held-out part, next to simple references fitted on the
same earlier part. See docs/fidelity.md for the protocol.
"""
