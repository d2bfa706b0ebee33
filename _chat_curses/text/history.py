"""The history pane's model: every line of the conversation, and the rows that show it.

``History`` keeps the lines as shown and wraps only those that reach the
screen; ``Scrollback`` says which of its rows the pane shows, the newest or
a place scrolled back to. No curses here: the rows are text, measured in
cells (``cells``).
"""

from __future__ import annotations

from collections import OrderedDict
from itertools import repeat
from collections.abc import Callable

from ..values import Value, settle
from .cells import WRAP_INDENT, wrap
from .validate import clean_lines


# The conversation's digest (SPEC 12): among the closing lines on screen, and the last of --log.
DIGEST = "digest"
# A line shown on this screen and never written anywhere (the pairing code).
PRIVATE = "private"


class Line(Value):
    """One history line as shown, with its kind: own, peer, system, warning, error,
    or ``PRIVATE``.

    A pasted message keeps its newlines; ``as_text`` indents what follows them.
    """

    __slots__ = _fields = _compared = ("text", "kind")

    def __init__(self, text: str, kind: str = "system") -> None:
        settle(self, "text", text)
        settle(self, "kind", kind)

    def as_text(self) -> str:
        """The line for a plain terminal or a transcript file, cleaned once more
        (``validate.clean``), whatever made it: nothing raw leaves through here."""
        return clean_lines(self.text).replace("\n", "\n" + " " * WRAP_INDENT)

    def as_rows(self, width: int) -> str:
        """The same for a plain terminal ``width`` cells wide: wrapped at spaces, as the
        history pane wraps it (the terminal would cut words and leave a lone ')')."""
        return "\n".join(wrap(clean_lines(self.text), width)) if width > 0 else self.as_text()


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

    def restore(self, lines: list[Line]) -> None:
        """Lines shown before, taken up again (a saved chat's): ``on_add`` heard of them then."""
        self.settle()
        self.lines.extend(lines)
        self._bottom = None

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
        if kept is None or kept[0] != width or kept[1] != height \
                or not 0 <= count - kept[2] <= height:
            rows = self.rows_ending_at(count - 1, None, width, height)
        else:
            rows = kept[3]
            for index in range(kept[2], count):
                rows = (rows + list(zip(self.wrapped(index, width)[-height:],
                                        repeat(self.lines[index].kind))))[-height:]
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
