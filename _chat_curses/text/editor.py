"""The input line's model: text, cursor, and the window onto them. No curses here.

The cursor is an index into the text. It moves by whole characters: a
base character and the combining marks after it count as one, so the
cursor never lands between them and deleting takes them together.

``layout(first, width, most)`` lays the text out in rows for the input
area: the first row after the prompt, the rest the screen's width, at most
``most`` of them, scrolled so that the cursor is always in view.

Up and Down recall the messages sent before (``remember`` records them).
The line being typed when browsing starts is kept as the draft and comes
back when Down goes past the newest message.

The text may hold newlines (a pasted block); on screen they show as
``NEWLINE_MARK`` so the line keeps one row and its width in cells.
"""

from __future__ import annotations

from .cells import cell_width, cells_of, char_width, fit_from, last_bare_space

NEWLINE_MARK = "\u00b6"  # the pilcrow, one cell, in every console font


def _is_mark(char: str) -> bool:
    return char_width(char) == 0


def _in_word(char: str) -> bool:
    """Letters, digits and the marks on them make words, as readline counts them."""
    return char.isalnum() or char == "_" or _is_mark(char)


class LineEditor:
    def __init__(self, text: str = "") -> None:
        self.text = text
        self.cursor = len(text)
        self.sent: list[str] = []  # what was sent, oldest first, for recall
        self._browsing: int | None = None  # index into sent while recalling
        self._draft = ""
        self.killed = ""  # what Ctrl-U, -K, -W, Alt-d and Alt-Backspace took, for Ctrl-Y

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
        self._settle()

    def backspace(self) -> None:
        start = self._previous_boundary(self.cursor)
        self.text = self.text[:start] + self.text[self.cursor :]
        self.cursor = start
        self._settle()

    def delete(self) -> None:
        end = self._next_boundary(self.cursor)
        self.text = self.text[: self.cursor] + self.text[end:]
        self._settle()

    def _settle(self) -> None:
        """After an edit, step past marks that now belong to the character
        before the cursor (typing a letter just before a lone accent joins them)."""
        while 0 < self.cursor < len(self.text) and _is_mark(self.text[self.cursor]):
            self.cursor += 1

    def left(self) -> None:
        self.cursor = self._previous_boundary(self.cursor)

    def right(self) -> None:
        self.cursor = self._next_boundary(self.cursor)

    def home(self) -> None:
        self.cursor = 0

    def end(self) -> None:
        self.cursor = len(self.text)

    def kill_to_start(self) -> None:
        """Ctrl-U: delete everything before the cursor."""
        self._kill(0, self.cursor)

    def kill_to_end(self) -> None:
        """Ctrl-K: delete everything from the cursor on."""
        self._kill(self.cursor, len(self.text))

    def kill_word(self) -> None:
        """Ctrl-W (unix-word-rubout): delete back to the blank before the word."""
        start = self.cursor
        while start > 0 and self.text[start - 1].isspace():
            start -= 1
        while start > 0 and not self.text[start - 1].isspace():
            start -= 1
        self._kill(start, self.cursor)

    def kill_word_back(self) -> None:
        """Alt-Backspace (backward-kill-word): delete back to the start of the word."""
        self._kill(self._word_start(self.cursor), self.cursor)

    def kill_word_forward(self) -> None:
        """Alt-d (kill-word): delete to the end of the word."""
        self._kill(self.cursor, self._word_end(self.cursor))

    def word_left(self) -> None:
        """Ctrl-Left, Alt-b: to the start of this or the previous word."""
        self.cursor = self._word_start(self.cursor)

    def word_right(self) -> None:
        """Ctrl-Right, Alt-f: to the end of this or the next word."""
        self.cursor = self._word_end(self.cursor)

    def yank(self) -> None:
        """Ctrl-Y: put back what was killed last."""
        if self.killed:
            self.insert(self.killed)

    def _kill(self, start: int, end: int) -> None:
        if start < end:
            self.killed = self.text[start:end]
            self.text = self.text[:start] + self.text[end:]
            self.cursor = start

    def _word_start(self, index: int) -> int:
        while index > 0 and not _in_word(self.text[index - 1]):
            index -= 1
        while index > 0 and _in_word(self.text[index - 1]):
            index -= 1
        return index

    def _word_end(self, index: int) -> int:
        while index < len(self.text) and not _in_word(self.text[index]):
            index += 1
        while index < len(self.text) and _in_word(self.text[index]):
            index += 1
        return index

    def take(self) -> str:
        """Return the text and start a new, empty line."""
        text = self.text
        self._replace("")
        self._browsing = None
        return text

    # -- recall of sent messages --

    def remember(self, text: str) -> None:
        """Keep a sent message for Up to bring back."""
        self.sent.append(text)
        self._browsing = None

    def older(self) -> None:
        """Up: the message sent before the one shown (keeping the draft)."""
        if self._browsing is None:
            if not self.sent:
                return
            self._draft, self._browsing = self.text, len(self.sent)
        if self._browsing > 0:
            self._browsing -= 1
            self._replace(self.sent[self._browsing])

    def newer(self) -> None:
        """Down: the message sent after the one shown, then the draft again."""
        if self._browsing is None:
            return
        self._browsing += 1
        if self._browsing == len(self.sent):
            self._browsing = None
            self._replace(self._draft)
        else:
            self._replace(self.sent[self._browsing])

    def _replace(self, text: str) -> None:
        self.text, self.cursor = text, len(text)

    # -- display --

    def layout(self, first: int, width: int, most: int) -> tuple[list[str], int, int, int]:
        """The text in rows of ``width`` cells, the first row holding ``first``
        (the rest is the prompt's), at most ``most`` rows, scrolled so that the
        cursor is in view. Returns the rows shown, the cursor's row among them
        and its column (on the text's first row, counted after the prompt),
        and the number of the first row shown (0: the prompt's row is shown).

        Rows break after a space where a row has one, as the history pane
        wraps (the space stays at the row's end: the cursor may stand on it),
        else between characters, never between a character and its marks; a
        newline shows as NEWLINE_MARK. The cursor at the end of a full row
        stands at the start of a new one, so it is always visible.
        """
        text = self.text.replace("\n", NEWLINE_MARK)
        used = cell_width(text)
        if used < first and most >= 1:  # the usual (an empty line, a short one): one row
            return [text], 0, used if self.cursor == len(text) else cell_width(text[:self.cursor]), 0
        return self._wrapped(text, first, width, most)

    def _wrapped(self, text: str, first: int, width: int, most: int) -> tuple[list[str], int, int, int]:
        """``layout`` of ``text`` (the typed text, its newlines marked), row by row."""
        cells, end = cells_of(text), len(text)
        breaks = [0]  # where each row starts
        start, room = 0, max(first, 1)
        while start < end:
            cut = fit_from(cells, start, room, end)
            if cut == start:  # one character wider than the row: it gets a row of its own
                cut = start + 1
                while cut < end and char_width(text[cut]) == 0:
                    cut += 1
            if cut >= end:
                break
            if text[cut] != " " and text[cut - 1] != " ":  # in a word: break at its space
                space = last_bare_space(text, start, cut - 1)
                if space > start:
                    cut = space + 1
            breaks.append(cut)
            start, room = cut, max(width, 1)
        row = next(r for r in range(len(breaks) - 1, -1, -1) if breaks[r] <= self.cursor)
        column = cell_width(text[breaks[row] : self.cursor])
        if self.cursor == end and column >= (first if row == 0 else width):
            breaks.append(end)  # the end of a full row: the cursor opens the next one
            row, column = row + 1, 0
        top = max(0, min(row - most + 1, len(breaks) - most))
        shown = [text[breaks[r] : breaks[r + 1] if r + 1 < len(breaks) else end]
                 for r in range(top, min(top + max(most, 1), len(breaks)))]
        return shown, row - top, column, top
