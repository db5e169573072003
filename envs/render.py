"""How a session turn looks: as text (`render_mode="ansi"`) or an image (`"rgb_array"`).

Both show one `TurnView`: the turn, the reward of the turn just played, the user's
patience and clicks so far, the instruction, and the last slate with its clicked
positions. The image draws the same lines with Pillow's default font on a canvas of one
fixed shape (`FRAME_SHAPE`), whatever the instruction or slate size, because video
recorders (Gymnasium's `RecordVideo`, SB3's `VecVideoRecorder`) and SB3's tiling of
several envs' frames need frames of one shape. Text too long for the canvas is cut with
"..."; clicked positions get a green band. The default font has ASCII glyphs only, so the
image drops accents ("Café" is drawn "Cafe") and draws other scripts (CJK) as boxes; the
text rendering keeps every character.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ifr_sim.core.catalog import Catalog
from ifr_sim.envs.sessions import Sessions, TurnOutcome
from ifr_sim.envs.spaces import decode_instruction

FRAME_SHAPE = (480, 640, 3)
"""(height, width, RGB) of every `rgb_array` frame: 4:3, and multiples of 16 as video
codecs want."""

BACKGROUND = (255, 255, 255)
HEADER_FILL = (232, 234, 237)
CLICKED_FILL = (198, 239, 206)
"""Band behind a clicked slate position (a pixel apart from the next one)."""
CLICKED_MARK = (46, 160, 67)
"""Fill of a clicked position's box."""
INK = (20, 20, 20)
MUTED = (130, 130, 130)

_FONT_SIZE = 14
_LINE = 20  # pixels per line of text
_MARGIN = 12
_INSTRUCTION_LINES = 3
_ELLIPSIS = "..."  # in every font, unlike "…"
_EMPTY_SLOT = "(empty slot: repeated index)"
_BOX = 10  # side of the click box, pixels
_TITLE_X = _MARGIN + 50  # where slate titles start: after the position and the box


@dataclass(frozen=True)
class SlateRow:
    """One position of the slate shown last."""

    position: int  # 1-based
    title: str | None  # None: an empty slot (the position repeats an earlier index)
    clicked: bool

    def text(self) -> str:
        if self.title is None:
            return f"{self.position:>2}.    {_EMPTY_SLOT}"
        return f"{self.position:>2}. {'[x]' if self.clicked else '[ ]'} {self.title}"


@dataclass(frozen=True)
class TurnView:
    """What a person watching the session sees after a turn (or after `reset`)."""

    header: str
    instruction: str
    slate: tuple[SlateRow, ...] | None  # None before the first slate
    num_candidates: int

    def slate_heading(self) -> str:
        if self.slate is None:
            return f"{self.num_candidates} candidates, no slate shown yet"
        return "last slate:"


def turn_view(
    catalog: Catalog, sessions: Sessions, last: TurnOutcome | None, row: int = 0
) -> TurnView:
    """The view of user `row` of `sessions` after the turn `last` (None: none played yet)."""
    reward = "" if last is None else f" | reward {float(last.reward[row]):g}"
    header = (
        f"turn {int(sessions.turn[row])}{reward} | patience {float(sessions.patience[row]):.2f}"
        f" | clicks so far {int(sessions.total_clicks[row])}"
    )
    slate = None
    if last is not None:
        slate = tuple(
            SlateRow(position + 1, catalog.titles[item] if item >= 0 else None, bool(clicked))
            for position, (item, clicked) in enumerate(
                zip(last.slate_items[row].tolist(), last.clicks[row], strict=True)
            )
        )
    return TurnView(
        header=header,
        instruction=decode_instruction(sessions.instruction[row]),
        slate=slate,
        num_candidates=sessions.candidates.shape[1],
    )


def render_text(view: TurnView) -> str:
    """The view as lines of text: header, instruction, then the slate, one position a line."""
    lines = [view.header, f"instruction: {view.instruction}", view.slate_heading()]
    lines.extend(f"  {slate_row.text()}" for slate_row in view.slate or ())
    return "\n".join(lines)


def render_image(view: TurnView) -> np.ndarray:
    """The view drawn as an RGB uint8 array of shape `FRAME_SHAPE`.

    The slate gets the rows left below the instruction; when it has more positions than
    fit, the last row says how many are not drawn.
    """
    height, width, _ = FRAME_SHAPE
    text_width = width - 2 * _MARGIN
    font = _font()
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)

    def line(y: int, text: str, fill: tuple[int, int, int] = INK, x: int = _MARGIN) -> int:
        fitted = _ellipsize(_drawable(text), font, width - _MARGIN - x)
        draw.text((x, y + 2), fitted, font=font, fill=fill)
        return y + _LINE

    draw.rectangle((0, 0, width - 1, _MARGIN + _LINE), fill=HEADER_FILL)
    y = line(_MARGIN // 2 + 2, view.header) + _MARGIN
    y = line(y, "instruction:", MUTED)
    for text in _wrap(_drawable(view.instruction), font, text_width, _INSTRUCTION_LINES):
        y = line(y, text)
    y = line(y + _LINE // 2, view.slate_heading(), MUTED)
    rows = view.slate or ()
    room = (height - _MARGIN - y) // _LINE
    shown = rows if len(rows) <= room else rows[: room - 1]
    for slate_row in shown:
        if slate_row.clicked:
            draw.rectangle((0, y + 1, width - 1, y + _LINE - 1), fill=CLICKED_FILL)
        number = f"{slate_row.position}."
        draw.text((_MARGIN + 24 - font.getlength(number), y + 2), number, font=font, fill=INK)
        if slate_row.title is None:
            y = line(y, _EMPTY_SLOT, MUTED, _TITLE_X)
            continue
        top = y + (_LINE - _BOX) // 2
        box = (_MARGIN + 32, top, _MARGIN + 32 + _BOX, top + _BOX)
        draw.rectangle(box, outline=INK, fill=CLICKED_MARK if slate_row.clicked else None)
        y = line(y, slate_row.title, INK, _TITLE_X)
    if len(shown) < len(rows):
        line(y, f"    {_ELLIPSIS} {len(rows) - len(shown)} more positions not drawn", MUTED)
    return np.array(image, dtype=np.uint8)


def _drawable(text: str) -> str:
    """`text` without accents, which the default font lacks ("Müller" becomes "Muller").

    Only the first `FRAME_SHAPE[1]` characters are kept: no line holds more.
    """
    decomposed = unicodedata.normalize("NFKD", text[: FRAME_SHAPE[1]])
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's default font: shipped with Pillow, so frames need no system fonts."""
    return ImageFont.load_default(size=_FONT_SIZE)


def _fitting(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float) -> int:
    """How many leading characters of `text` fit in `width` pixels (at least one)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def _ellipsize(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> str:
    """`text`, cut and ended with "..." if it is wider than `width` pixels.

    A glyph is at least a pixel wide, so only the first `width` characters are measured:
    a title of megabytes costs no more than a short one.
    """
    head = text[: width + 1]
    if len(head) == len(text) and font.getlength(text) <= width:
        return text
    room = width - font.getlength(_ELLIPSIS)
    return head[: _fitting(head, font, room)].rstrip() + _ELLIPSIS


def _wrap(
    text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int, max_lines: int
) -> list[str]:
    """`text` in at most `max_lines` lines of `width` pixels, broken at spaces where there
    are any (CJK text has none: it breaks anywhere); the last line ends with "..." if
    text is left over."""
    rest = " ".join(text.split())
    lines: list[str] = []
    while rest and len(lines) < max_lines:
        count = _fitting(rest[: width + 1], font, width)
        if count < len(rest):
            space = rest.rfind(" ", 0, count + 1)
            count = space if space > 0 else count
        lines.append(rest[:count])
        rest = rest[count:].lstrip()
    if rest:
        lines[-1] = _ellipsize(f"{lines[-1]} {rest[:width]}", font, width)
    return lines
