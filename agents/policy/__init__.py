"""The SB3 policy pieces.

The scorer as a policy, its slate distribution, credit, KL penalty and click loss.
"""
