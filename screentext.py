"""Text measured in terminal cells, and the history pane's model. No curses here.

A terminal shows most characters in one cell, East Asian wide and fullwidth
characters (CJK, most emoji) in two, and combining marks in none: they sit
on the character before them. Every function here counts in cells and
never separates a character from the marks that follow it.

Text that reaches these functions is already clean (``validators.clean``):
it holds no control characters.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Continuation rows of a wrapped history line start with this much space.
WRAP_INDENT = 4


@lru_cache(maxsize=4096)
def char_width(char: str) -> int:
    """Cells taken by one printable character: 0, 1 or 2."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 2
    return 1


def cell_width(text: str) -> int:
    """Cells taken by a line of text."""
    if text.isascii():
        return len(text)
    return sum(char_width(c) for c in text)


def fit(text: str, cells: int) -> int:
    """The length of the longest prefix of ``text`` that fits in ``cells``.

    Zero-width characters after the last fitting character are included,
    so a base character is never cut from its combining marks.
    """
    used = 0
    for index, char in enumerate(text):
        width = char_width(char)
        if width and used + width > cells:
            return index
        used += width
    return len(text)


def clip(text: str, cells: int) -> str:
    """``text`` cut to at most ``cells`` cells, never in the middle of a character."""
    if cells <= 0:
        return ""
    if text.isascii():
        return text[:cells]
    return text[: fit(text, cells)]


def pad(text: str, cells: int) -> str:
    """``text`` clipped or padded with spaces to exactly ``cells`` cells (or one less, if a wide character would not fit)."""
    text = clip(text, cells)
    return text + " " * (cells - cell_width(text))


def wrap(text: str, width: int, indent: int = WRAP_INDENT) -> list[str]:
    """Word-wrap one line into rows of at most ``width`` cells.

    Rows after the first start with ``indent`` spaces (less on narrow
    screens). Lines break at a space where there is one; a word longer than
    a row is broken between characters. A character wider than a whole row
    gets a row of its own, which the screen clips.
    """
    if width <= 0:
        return []
    indent = min(indent, (width - 1) // 2)
    rows: list[str] = []
    rest, prefix = text, ""
    while True:
        room = width - len(prefix)
        if cell_width(rest) <= room:
            rows.append(prefix + rest)
            return rows
        cut = fit(rest, room)
        space = rest.rfind(" ", 0, cut + 1)
        if space > 0:
            row, rest = rest[:space], rest[space + 1 :]
        else:
            cut = max(cut, 1)
            row, rest = rest[:cut], rest[cut:]
        rows.append(prefix + row)
        rest = rest.lstrip(" ")
        prefix = " " * indent
        if not rest:
            return rows


@dataclass(frozen=True)
class Line:
    """One history line as shown, with its kind: own, peer, system or error."""

    text: str
    kind: str = "system"


class History:
    """Every line of the conversation, and the rows that show its end.

    Only the lines that reach the screen are wrapped, newest first, so the
    cost of a redraw does not grow with the length of the conversation.
    """

    def __init__(self) -> None:
        self.lines: list[Line] = []

    def add(self, text: str, kind: str = "system") -> None:
        self.lines.append(Line(text, kind))

    def replace_last(self, text: str, kind: str = "system") -> None:
        self.lines[-1] = Line(text, kind)

    def last_rows(self, width: int, height: int) -> list[tuple[str, str]]:
        """The bottom ``height`` rows at ``width`` cells, as (row text, kind), oldest first."""
        if width <= 0 or height <= 0:
            return []
        rows: list[tuple[str, str]] = []
        for line in reversed(self.lines):
            wrapped = wrap(line.text, width)
            rows[:0] = [(row, line.kind) for row in wrapped[-(height - len(rows)) :]]
            if len(rows) >= height:
                break
        return rows
