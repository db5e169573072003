"""Agents: the policies that rank slates, and their training."""
