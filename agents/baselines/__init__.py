"""Baseline agents: random, popularity, oracle, BM25 and LinUCB."""
