"""Text measured in terminal cells: widths, clipping and word wrap. No curses here.

A terminal shows most characters in one cell, East Asian wide and fullwidth
characters (CJK, most emoji) in two, and combining marks in none: they sit
on the character before them. Every function here counts in cells and
never separates a character from the marks that follow it.

Text that reaches these functions is already clean (``validators.clean``):
it holds no control characters.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate

from ..values import Pattern

# Continuation rows of a wrapped history line start with this much space.
WRAP_INDENT = 4


@lru_cache(maxsize=4096)
def char_width(char: str) -> int:
    """Cells taken by one printable character: 0, 1 or 2."""
    import unicodedata  # here, not at the top: ASCII needs none of its tables (once per character)

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
    if text.isascii():  # (the status bar, at every draw)
        return text[:cells].ljust(cells) if cells > 0 else ""
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
    if "\n" not in text and cell_width(text) <= width:
        return [text]  # the usual, a message of one row: nothing to break
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
        space = last_bare_space(text, start, cut)
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


def last_bare_space(text: str, start: int, cut: int) -> int:
    """The last space from ``start`` up to ``cut`` to break the line at, or -1.

    A space that carries a combining mark (an accent shown on its own) is
    part of a character, so the line does not break there.
    """
    space = text.rfind(" ", start, cut + 1)
    while space > start and _carries_marks(text, space):
        space = text.rfind(" ", start, space)
    return space
