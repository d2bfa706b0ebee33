"""The input line's model: text, cursor, and the window onto them. No curses here.

The cursor is an index into the text. It moves by whole characters: a
base character and the combining marks after it count as one, so the
cursor never lands between them and deleting takes them together.

``view(width)`` decides what part of a long line is on screen. The window
scrolls sideways only as far as needed to keep the cursor (and the
character under it) in view, so typing at the end of a long line moves the
text left one character at a time, the way readline does.
"""

from __future__ import annotations

from screentext import char_width, clip, cell_width


def _is_mark(char: str) -> bool:
    return char_width(char) == 0


class LineEditor:
    def __init__(self, text: str = "") -> None:
        self.text = text
        self.cursor = len(text)
        self._scroll = 0  # index of the first character on screen

    # -- cluster boundaries --

    def _next_boundary(self, index: int) -> int:
        if index >= len(self.text):
            return len(self.text)
        index += 1
        while index < len(self.text) and _is_mark(self.text[index]):
            index += 1
        return index

    def _previous_boundary(self, index: int) -> int:
        while index > 0:
            index -= 1
            if not _is_mark(self.text[index]):
                return index
        return 0

    # -- editing --

    def insert(self, chars: str) -> None:
        self.text = self.text[: self.cursor] + chars + self.text[self.cursor :]
        self.cursor += len(chars)

    def backspace(self) -> None:
        start = self._previous_boundary(self.cursor)
        self.text = self.text[:start] + self.text[self.cursor :]
        self.cursor = start

    def delete(self) -> None:
        end = self._next_boundary(self.cursor)
        self.text = self.text[: self.cursor] + self.text[end:]

    def left(self) -> None:
        self.cursor = self._previous_boundary(self.cursor)

    def right(self) -> None:
        self.cursor = self._next_boundary(self.cursor)

    def home(self) -> None:
        self.cursor = 0

    def end(self) -> None:
        self.cursor = len(self.text)

    def take(self) -> str:
        """Return the text and start a new, empty line."""
        text = self.text
        self.text, self.cursor, self._scroll = "", 0, 0
        return text

    # -- display --

    def view(self, width: int) -> tuple[str, int]:
        """The part of the text to show in ``width`` cells, and the cursor's column in it."""
        if width <= 0:
            return "", 0
        scroll = min(self._scroll, self.cursor)
        if scroll < len(self.text) and _is_mark(self.text[scroll]):
            scroll = self._previous_boundary(scroll)  # a mark was typed at the edge
        under = self.text[self.cursor : self._next_boundary(self.cursor)]
        need = max(cell_width(under), 1)
        column = cell_width(self.text[scroll : self.cursor])
        while scroll < self.cursor and column + need > width:
            step = self._next_boundary(scroll)
            column -= cell_width(self.text[scroll:step])
            scroll = step
        self._scroll = scroll
        return clip(self.text[scroll:], width), min(column, width - 1)
