"""Readable text of a session turn (the env's `render_mode="ansi"`)."""

from __future__ import annotations

from ifr_sim.core.catalog import Catalog
from ifr_sim.envs.sessions import Sessions, TurnOutcome
from ifr_sim.envs.spaces import decode_instruction


def render_turn(
    catalog: Catalog, sessions: Sessions, last: TurnOutcome | None, row: int = 0
) -> str:
    """The instruction, the last slate with clicks marked, and the user's state."""
    lines = [
        f"turn {int(sessions.turn[row])} | patience {float(sessions.patience[row]):.2f} "
        f"| clicks so far {int(sessions.total_clicks[row])}",
        f"instruction: {decode_instruction(sessions.instruction[row])}",
    ]
    if last is None:
        lines.append(f"{sessions.candidates.shape[1]} candidates, no slate shown yet")
        return "\n".join(lines)
    lines.append("last slate:")
    for position, item in enumerate(last.slate_items[row]):
        if item < 0:
            lines.append(f"  {position + 1:>2}.    (empty slot: repeated index)")
            continue
        mark = "[x]" if last.clicks[row, position] else "[ ]"
        lines.append(f"  {position + 1:>2}. {mark} {catalog.titles[item]}")
    return "\n".join(lines)
