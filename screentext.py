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
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from itertools import accumulate

from values import Pattern, Value, settle

# Continuation rows of a wrapped history line start with this much space.
WRAP_INDENT = 4


@lru_cache(maxsize=4096)
def char_width(char: str) -> int:
    """Cells taken by one printable character: 0, 1 or 2."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    if "\u1160" <= char <= "\u11ff" or "\ud7b0" <= char <= "\ud7ff":
        return 0  # Hangul vowel and final jamo join the syllable before them, as terminals draw them
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 2
    return 1


def cell_width(text: str) -> int:
    """Cells taken by a line of text."""
    if text.isascii():
        return len(text)
    return sum(text.translate(_CELLS).encode("ascii"))


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
    # The widths of all characters are looked up once, and each row measures
    # only what it holds, so a 64 KiB line of CJK or emoji wraps in time
    # linear in its length, as ASCII does: the text is never measured or
    # copied again from a row to its end.
    cells = cells_of(text)
    rows: list[str] = []
    start, end = 0, len(text)
    while True:
        cut = fit_from(cells, start, width - len(prefix), end)
        if cut >= end:
            rows.append(prefix + text[start:])
            return rows
        space = _last_bare_space(text, start, cut)
        if space > start:
            rows.append(prefix + text[start:space])
            start = space + 1
        else:
            if cut == start:  # not one character fits: it gets a row of its own, marks and all
                cut += 1
                while cut < end and char_width(text[cut]) == 0:
                    cut += 1
            rows.append(prefix + text[start:cut])
            start = cut
        while start < end and text[start] == " " and not _carries_marks(text, start):
            start += 1
        prefix = indent
        if start >= end:
            return rows


def cells_of(text: str) -> bytes | None:
    """The width of each character of ``text`` as one byte (0, 1 or 2); None for ASCII, all 1."""
    if text.isascii():
        return None
    if len(text.encode("utf-8")) - len(text) > len(text) // 4:  # mostly non-ASCII: CJK, emoji
        return text.translate(_CELLS).encode("ascii")
    # Mostly ASCII (accented Latin): one cell each, then the few that may
    # not be (outside ASCII and the Latin letters) looked up.
    cells = bytearray(text.encode("ascii", "replace").translate(_ONE_CELL))
    for match in _MAYBE_NOT_ONE_CELL_RE.finditer(text):
        cells[match.start()] = ord(_CELLS[ord(match.group())])
    return bytes(cells)


def fit_from(cells: bytes | None, start: int, room: int, end: int) -> int:
    """Like ``fit``, from ``start``: the index of the first character that does not fit.

    A row of one-cell characters is recognised by counting (in C); others
    have their widths summed by ``accumulate`` and searched by ``bisect``.
    """
    room = max(room, 0)
    if cells is None:
        return min(start + room, end)
    while start < end:
        stop = min(start + max(room, 1), end)
        if cells.count(1, start, stop) == stop - start and stop - start <= room:
            fitting, used = stop - start, stop - start
        else:
            totals = list(accumulate(cells[start:stop]))
            fitting = bisect_right(totals, room)
            if fitting < len(totals):
                return start + fitting
            used = totals[-1]
        start += fitting
        room -= used
        if room <= 0:  # full: only zero-width marks may still join the row
            while start < end and cells[start] == 0:
                start += 1
            return start
    return end


_ONE_CELL = bytes([1]) * 256
# Outside ASCII and the Latin blocks up to U+02FF (the soft hyphen excepted),
# all of which take one cell.
_MAYBE_NOT_ONE_CELL_RE = Pattern(r"[^\x00-\x7f\u00a0-\u00ac\u00ae-\u02ff]")


class _CellTable(dict):
    """For ``str.translate``: a code point to its width in cells, as chr(0), chr(1) or chr(2)."""

    LIMIT = 1 << 16  # a stream of distinct characters cannot grow it without bound

    def __missing__(self, code: int) -> str:
        if len(self) >= self.LIMIT:
            self.clear()
        cells = self[code] = chr(char_width(chr(code)))
        return cells


_CELLS = _CellTable()


def _carries_marks(text: str, index: int) -> bool:
    """The character at ``index`` has combining marks after it."""
    return index + 1 < len(text) and char_width(text[index + 1]) == 0


def _last_bare_space(text: str, start: int, cut: int) -> int:
    """The last space from ``start`` up to ``cut`` to break the line at, or -1.

    A space that carries a combining mark (an accent shown on its own) is
    part of a character, so the line does not break there.
    """
    space = text.rfind(" ", start, cut + 1)
    while space > start and _carries_marks(text, space):
        space = text.rfind(" ", start, space)
    return space


class Line(Value):
    """One history line as shown, with its kind: own, peer, system, warning or error.

    A pasted message keeps its newlines; ``as_text`` indents what follows them.
    """

    __slots__ = _fields = _compared = ("text", "kind")

    def __init__(self, text: str, kind: str = "system") -> None:
        settle(self, "text", text)
        settle(self, "kind", kind)

    def as_text(self) -> str:
        """The line for a plain terminal or a transcript file."""
        return self.text.replace("\n", "\n" + " " * WRAP_INDENT)


class History:
    """Every line of the conversation, and the rows that show its end.

    Only the lines that reach the screen are wrapped, newest first, so the
    cost of a redraw does not grow with the length of the conversation.
    """

    # Wrapped lines kept for reuse: a redraw, or a key typed under a long
    # message, does not wrap again what is already on screen.
    WRAPPED_KEPT = 512

    def __init__(self, on_add: Callable[[Line], None] | None = None) -> None:
        self.lines: list[Line] = []
        self.on_add = on_add  # told of every line added or replaced (the --log file)
        self._unsettled = False  # the last line may still be replaced, unheard of
        # (index, width) -> (the line, its rows): a line replaced since is wrapped again
        self._wrapped: OrderedDict[tuple[int, int], tuple[Line, list[str]]] = OrderedDict()
        self._bottom: tuple[int, int, int, list[tuple[str, str]]] | None = None  # see last_rows

    def wrapped(self, index: int, width: int) -> list[str]:
        """Line ``index`` wrapped to ``width`` cells (do not change the list)."""
        key, line = (index, width), self.lines[index]
        kept = self._wrapped.get(key)
        if kept is None or kept[0] is not line:
            rows = wrap(line.text, width)
            self._wrapped[key] = line, rows
            if len(self._wrapped) > self.WRAPPED_KEPT:
                self._wrapped.popitem(last=False)
            return rows
        self._wrapped.move_to_end(key)
        return kept[1]

    def add(self, text: str, kind: str = "system", final: bool = True) -> None:
        """Add a line. One that is not ``final`` may still be replaced (a
        running count): ``on_add`` hears of it only once it is settled, when
        the next line comes or ``settle`` is called."""
        self.settle()
        self.lines.append(Line(text, kind))
        self._unsettled = not final
        if final and self.on_add is not None:
            self.on_add(self.lines[-1])

    def replace_last(self, text: str, kind: str = "system") -> None:
        self.lines[-1] = Line(text, kind)
        self._bottom = None
        if not self._unsettled and self.on_add is not None:
            self.on_add(self.lines[-1])

    def settle(self) -> None:
        """The last line will not be replaced any more: tell ``on_add`` of it."""
        if self._unsettled:
            self._unsettled = False
            if self.on_add is not None:
                self.on_add(self.lines[-1])

    def last_rows(self, width: int, height: int) -> list[tuple[str, str]]:
        """The bottom ``height`` rows at ``width`` cells, as (row text, kind), oldest first.

        The rows last asked for are kept: lines added since are wrapped and
        put below them, so following a chat costs what the new lines cost.
        """
        if width <= 0 or height <= 0:
            return []
        count, kept = len(self.lines), self._bottom
        if kept is None or kept[:2] != (width, height) or not 0 <= count - kept[2] <= height:
            rows = self.rows_ending_at(count - 1, None, width, height)
        else:
            rows = kept[3]
            for index in range(kept[2], count):
                kind = self.lines[index].kind
                rows = (rows + [(text, kind) for text in self.wrapped(index, width)[-height:]])[-height:]
        self._bottom = (width, height, count, rows)
        return rows

    def rows_ending_at(self, index: int, upto: int | None, width: int,
                       height: int) -> list[tuple[str, str]]:
        """The ``height`` rows that end with line ``index``, shown down to its
        row ``upto`` (exclusive; None for all of it), oldest first."""
        if width <= 0 or height <= 0:
            return []
        rows: list[tuple[str, str]] = []
        while index >= 0 and len(rows) < height:
            line = self.lines[index]
            wrapped = self.wrapped(index, width)[:upto]
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
        return index, len(history.wrapped(index, width)) - 1

    def _clamped(self, history: History, width: int) -> tuple[int, int]:
        index, row = self.anchor
        index = min(index, len(history.lines) - 1)
        return index, min(row, len(history.wrapped(index, width)) - 1)

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
            row = len(history.wrapped(index, width)) - 1
        return index, row

    @staticmethod
    def _walk_down(history: History, width: int, place: tuple[int, int], steps: int) -> tuple[int, int]:
        index, row = place
        while steps > 0:
            count = len(history.wrapped(index, width))
            if row + steps < count:
                return index, row + steps
            if index == len(history.lines) - 1:
                return index, count - 1
            steps -= count - row
            index, row = index + 1, 0
        return index, row
