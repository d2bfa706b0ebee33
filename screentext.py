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
from typing import Callable

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
    """Word-wrap one history line into rows of at most ``width`` cells.

    Rows after the first start with ``indent`` spaces (less on narrow
    screens); so do the lines after a newline in the text (a pasted block).
    Lines break at a space where there is one; a word longer than a row is
    broken between characters. A character wider than a whole row gets a
    row of its own, which the screen clips.
    """
    if width <= 0:
        return []
    indent = min(indent, (width - 1) // 2)
    first, *more = text.split("\n")
    rows = _wrap_paragraph(first, width, "", " " * indent)
    for paragraph in more:
        rows += _wrap_paragraph(paragraph, width, " " * indent, " " * indent)
    return rows


def _wrap_paragraph(text: str, width: int, prefix: str, indent: str) -> list[str]:
    rows: list[str] = []
    rest = text
    while True:
        room = width - len(prefix)
        if cell_width(rest) <= room:
            rows.append(prefix + rest)
            return rows
        cut = fit(rest, room)
        space = _last_bare_space(rest, cut)
        if space > 0:
            row, rest = rest[:space], rest[space + 1 :]
        else:
            if cut == 0:  # not one character fits: it gets a row of its own, marks and all
                cut = 1
                while cut < len(rest) and char_width(rest[cut]) == 0:
                    cut += 1
            row, rest = rest[:cut], rest[cut:]
        rows.append(prefix + row)
        while rest.startswith(" ") and not _carries_marks(rest, 0):
            rest = rest[1:]
        prefix = indent
        if not rest:
            return rows


def _carries_marks(text: str, index: int) -> bool:
    """The character at ``index`` has combining marks after it."""
    return index + 1 < len(text) and char_width(text[index + 1]) == 0


def _last_bare_space(text: str, cut: int) -> int:
    """The last space at or before ``cut`` to break the line at, or -1.

    A space that carries a combining mark (an accent shown on its own) is
    part of a character, so the line does not break there.
    """
    space = text.rfind(" ", 0, cut + 1)
    while space > 0 and _carries_marks(text, space):
        space = text.rfind(" ", 0, space)
    return space


@dataclass(frozen=True, slots=True)
class Line:
    """One history line as shown, with its kind: own, peer, system, warning or error.

    A pasted message keeps its newlines; ``as_text`` indents what follows them.
    """

    text: str
    kind: str = "system"

    def as_text(self) -> str:
        """The line for a plain terminal or a transcript file."""
        return self.text.replace("\n", "\n" + " " * WRAP_INDENT)


class History:
    """Every line of the conversation, and the rows that show its end.

    Only the lines that reach the screen are wrapped, newest first, so the
    cost of a redraw does not grow with the length of the conversation.
    """

    def __init__(self, on_add: Callable[[Line], None] | None = None) -> None:
        self.lines: list[Line] = []
        self.on_add = on_add  # told of every line added or replaced (the --log file)

    def add(self, text: str, kind: str = "system") -> None:
        self.lines.append(Line(text, kind))
        if self.on_add is not None:
            self.on_add(self.lines[-1])

    def replace_last(self, text: str, kind: str = "system") -> None:
        self.lines[-1] = Line(text, kind)
        if self.on_add is not None:
            self.on_add(self.lines[-1])

    def last_rows(self, width: int, height: int) -> list[tuple[str, str]]:
        """The bottom ``height`` rows at ``width`` cells, as (row text, kind), oldest first."""
        return self.rows_ending_at(len(self.lines) - 1, None, width, height)

    def rows_ending_at(self, index: int, upto: int | None, width: int,
                       height: int) -> list[tuple[str, str]]:
        """The ``height`` rows that end with line ``index``, shown down to its
        row ``upto`` (exclusive; None for all of it), oldest first."""
        if width <= 0 or height <= 0:
            return []
        rows: list[tuple[str, str]] = []
        while index >= 0 and len(rows) < height:
            line = self.lines[index]
            wrapped = wrap(line.text, width)[:upto]
            rows[:0] = [(text, line.kind) for text in wrapped[-(height - len(rows)) :]]
            index, upto = index - 1, None
        return rows


class Scrollback:
    """Which rows of the history the pane shows: the newest, or a place scrolled back to.

    The view is anchored by its bottom row, named as (line index, row within
    that line's wrapping), not by a count of rows from the end: lines that
    arrive later do not move it, and a resize keeps it on the same line.
    ``None`` means "follow the newest line". Paging keeps one row of the old
    page in view, for context.
    """

    def __init__(self) -> None:
        self.anchor: tuple[int, int] | None = None

    @property
    def scrolled(self) -> bool:
        return self.anchor is not None

    def rows(self, history: History, width: int, height: int) -> list[tuple[str, str]]:
        if self.anchor is None or width <= 0 or height <= 0:
            return history.last_rows(width, height)
        index, row = self._clamped(history, width)
        return history.rows_ending_at(index, row + 1, width, height)

    def page_up(self, history: History, width: int, height: int) -> None:
        if not history.lines or width <= 0 or height <= 0:
            return
        bottom = self._clamped(history, width) if self.anchor else self._last(history, width)
        new_bottom = self._walk_up(history, width, bottom, max(height - 1, 1))
        first_page_bottom = self._walk_down(history, width, (0, 0), height - 1)
        new_bottom = max(new_bottom, first_page_bottom)  # never past the first row
        if new_bottom < bottom:
            self.anchor = new_bottom

    def page_down(self, history: History, width: int, height: int) -> None:
        if self.anchor is None or width <= 0 or height <= 0:
            return
        new_bottom = self._walk_down(history, width, self._clamped(history, width), max(height - 1, 1))
        self.anchor = new_bottom if new_bottom < self._last(history, width) else None

    def follow(self) -> None:
        self.anchor = None

    # -- walking over wrapped rows, one line's wrapping at a time --

    @staticmethod
    def _last(history: History, width: int) -> tuple[int, int]:
        index = len(history.lines) - 1
        return index, len(wrap(history.lines[index].text, width)) - 1

    def _clamped(self, history: History, width: int) -> tuple[int, int]:
        index, row = self.anchor
        index = min(index, len(history.lines) - 1)
        return index, min(row, len(wrap(history.lines[index].text, width)) - 1)

    @staticmethod
    def _walk_up(history: History, width: int, place: tuple[int, int], steps: int) -> tuple[int, int]:
        index, row = place
        while steps > 0:
            if row >= steps:
                return index, row - steps
            if index == 0:
                return 0, 0
            steps -= row + 1
            index -= 1
            row = len(wrap(history.lines[index].text, width)) - 1
        return index, row

    @staticmethod
    def _walk_down(history: History, width: int, place: tuple[int, int], steps: int) -> tuple[int, int]:
        index, row = place
        while steps > 0:
            count = len(wrap(history.lines[index].text, width))
            if row + steps < count:
                return index, row + steps
            if index == len(history.lines) - 1:
                return index, count - 1
            steps -= count - row
            index, row = index + 1, 0
        return index, row
