"""The simulated world: users, clicks, candidates and the Gymnasium environments."""
