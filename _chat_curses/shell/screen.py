"""The view: ``Screen`` draws a ``chat.frame.Frame``, touching only what changed.

The layout, top to bottom: history rows, a status row in reverse video,
the input area. It knows nothing of the chat: what to show comes in the
frame. It decides which rows changed and has a painter (``shell.paint``)
put them on the terminal. It also carries out the screen's part of what
the core asks: the bell, a flash, the title, a repaint, suspending and
resuming.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

from ..chat.frame import Frame
from ..text.cells import cell_width, clip, pad, wrap
from ..text.validate import clean
from .paint import painter_for
from .terminal import BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, cursor_normal, curses, write_terminal


# A blank row, and the status row's kind (as history rows are (text, kind)).
BLANK, STATUS = ("", ""), "status"


class Screen:
    """Draws frames. The layout, top to bottom: history rows,
    one status row in reverse video, one input row."""

    MIN_ROWS, MIN_COLS = 3, 16
    # The typed text keeps at least this many cells beside the prompt; a longer
    # prompt wraps onto rows of its own above it (a narrow screen shows it whole).
    MIN_FIELD = 12

    def __init__(self, window: "curses.window", colour: bool = True, painter=None) -> None:
        self.window = window
        self.painter = painter or painter_for(window)
        self.styles = line_styles(colour)
        self.title = ""
        self._titles: dict[str, bytes] = {}  # the titles set so far: what sets each
        self.has_title = has_title(os.environ.get("TERM", ""))
        self.input_height = 1  # rows of the input area, as last drawn
        self.size = (0, 0)  # rows and columns, as last drawn
        self.shown: list[tuple[str, str] | None] = []  # each row's text and kind of line, as drawn
        self.pending = b""  # the bell and the title, written with the next draw
        self._locked: tuple = (None,) * 4  # a locked line's words, and the rows they wrap onto
        self._most = 1  # rows the input area may take (a third of the screen; set with the size)

    def measure(self) -> tuple[tuple[int, int], bool]:
        """The history pane's width and height (with the input area as last drawn),
        and whether the terminal is too small to draw the chat (it says so, and waits)."""
        rows, cols = self.window.getmaxyx()
        height = rows - 1 - self.input_height
        return (cols, height if height > 0 else 0), rows < self.MIN_ROWS or cols < self.MIN_COLS

    def follow_terminal_size(self) -> None:
        """Adopt the terminal's new size at once (after SIGWINCH)."""
        try:
            size = os.get_terminal_size(sys.__stdout__.fileno())
            curses.resizeterm(size.lines, size.columns)
        except (OSError, ValueError, curses.error):
            pass

    def repaint(self) -> None:
        """Repaint every cell on the next draw (Ctrl-L)."""
        self.size = (0, 0)  # nothing on screen is to be trusted
        self.painter.repaint()

    def bell(self) -> None:
        """The terminal's bell (BEL): the one alert that passes SSH, tmux and screen.
        It rings with the next draw, in the same write as the title."""
        self.pending += b"\a"

    def flash(self) -> None:
        """A visible flash of the screen (or the bell, where the terminal has none)."""
        with contextlib.suppress(curses.error):
            curses.flash()

    def set_title(self, title: str) -> None:
        """Whose turn it is, in the terminal's title, where the terminal has one."""
        if title != self.title and self.has_title:
            self.title = title
            setting = self._titles.get(title)
            if setting is None:  # (a chat has two titles, which take turns: each made once)
                if len(self._titles) >= 8:
                    self._titles.clear()
                setting = self._titles[title] = \
                    b"\x1b]2;" + clean(title).encode("utf-8", "replace") + b"\x07"
            self.pending += setting

    def suspend(self) -> None:
        """Stop the program (Ctrl-Z, SIGTSTP) with the terminal as the shell
        had it, and come back whole when the shell continues it.

        A process group that no shell controls (an orphaned one) cannot be
        stopped: the kernel drops the signal, and the chat simply goes on.
        """
        if not hasattr(signal, "SIGTSTP"):
            return
        write_terminal(BRACKETED_PASTE_OFF + cursor_normal())
        with contextlib.suppress(curses.error):
            curses.endwin()
        handler = signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        try:
            os.kill(os.getpid(), signal.SIGTSTP)  # returns once continued
        finally:
            signal.signal(signal.SIGTSTP, handler)
        self.resume()

    def resume(self) -> None:
        """After SIGCONT: the shell may have put the terminal back in its own
        mode (line editing, echo) while we were stopped. Restore ours and repaint."""
        with contextlib.suppress(curses.error):
            curses.reset_prog_mode()
        write_terminal(BRACKETED_PASTE_ON)
        self.follow_terminal_size()  # it may have been resized meanwhile
        self.painter.resumed()
        self.repaint()

    def draw(self, frame: Frame) -> None:
        """Draw the frame, touching only the rows that changed since the last draw.

        When new history lines push the old ones up, the pane is scrolled
        (a scrolling region on the terminal, where it has one) and only the
        new rows are written; a row that is as it was is left alone.
        """
        if frame.title:
            self.set_title(frame.title)
        rows, cols = self.window.getmaxyx()
        if (rows, cols) != self.size:  # a new size: nothing on screen can be trusted
            self.size, self.shown = (rows, cols), [None] * rows
            self._most = max(1, min(rows // 3, rows - self.MIN_ROWS + 1))  # the input's rows, at most
            self.painter.clear(rows)
        if rows < self.MIN_ROWS or cols < self.MIN_COLS:
            self._show([], [(clip("Terminal too small", cols), "")] + [BLANK] * (rows - 1))
            place = None
        else:
            prompt, lead, typed, cursor = self._input_rows(frame, rows, cols)
            typed, at = lead + typed, len(lead)  # the prompt's last row, on the field's first
            self.input_height = len(typed)
            top = rows - len(typed)
            # The history's own (row, kind) pairs: a row still shown is the same
            # object as before, which makes finding what scrolled cheap.
            pane = frame.scrollback.rows(frame.history, cols, top - 1)
            if len(pane) < top - 1:  # (a new list: the history keeps its own)
                pane = pane + [BLANK] * (top - 1 - len(pane))
            below = [(pad(frame.status, cols), STATUS)]
            for number, text in enumerate(typed):
                below.append(((prompt if number == at else "") + text, ""))
            self._show(pane, below)
            place = None if cursor is None else (top + cursor[0], cursor[1])
        pending, self.pending = self.pending, b""  # the bell and the title, in the same write
        self.painter.finish(pending, place)

    def _show(self, pane: list[tuple[str, str]], below: list[tuple[str, str]]) -> None:
        """Make the screen's rows hold ``pane``, the history's, which may scroll as a
        whole, and ``below`` it the rest (each row: its text, which fits, and the kind
        of its line)."""
        shown, height = self.shown, len(pane)
        first = height  # the first row of the pane that may have changed
        before = shown[:height]
        if before != pane:
            moved = _rows_moved_up(before, pane)
            if moved and self.painter.scroll(0, height - 1, moved):
                shown[:height] = before[moved:] + [BLANK] * moved
                first = height - moved  # (the rows above it are the old ones, moved up)
            else:
                first = 0
        last, put, styles = height + len(below) - 1, self.painter.put, self.styles
        for y in range(first, height):
            row = pane[y]
            # (A history row still shown is the same object as before: told apart
            # by identity, without comparing its text.)
            if row is not shown[y] and row != shown[y]:
                shown[y] = row
                put(y, row[0], styles.get(row[1], 0), y == last)
        for y, row in enumerate(below, height):
            if row != shown[y]:
                shown[y] = row
                put(y, row[0], styles.get(row[1], 0), y == last)

    def _input_rows(self, frame: Frame, rows: int, cols: int):
        """The input area: the prompt (the rows it wraps onto above the field, and
        what shares the field's first row), the rows of typed text, and where the
        cursor goes (from the area's top).

        It grows upwards as the text wraps, up to a third of the screen, and
        scrolls within itself beyond that, the cursor always in view. A locked
        line's words wrap too, within the same room.
        """
        most = self._most
        if frame.editor is None:  # (the same words at each turn: wrapped once)
            if self._locked[:3] != (frame.prompt, cols, most):
                self._locked = (frame.prompt, cols, most, wrap(frame.prompt, cols, 0)[:most] or [""])
            return "", [], self._locked[3], None
        prompt, lead, room = frame.prompt, [], cols - self.MIN_FIELD
        start = cell_width(prompt)
        if start > room and most == 1:  # (no row to spare: it is cut)
            prompt = clip(prompt, room - 1).rstrip() + " "
            start = cell_width(prompt)
        elif start > room:
            *lead, last = wrap(prompt.rstrip(), cols, 0)
            prompt = last + " " if cell_width(last) < room else ""
            lead = (lead if prompt else lead + [last])[-(most - 1):]
            start = cell_width(prompt)
        shown, row, column, top = frame.editor.layout(cols - start, cols, most - len(lead))
        if top > 0:  # scrolled within itself past the prompt's row
            prompt, lead, start = "", [], 0
        return prompt, lead, shown, (len(lead) + row, (start if row == 0 else 0) + column)


def _rows_moved_up(before: list, after: list) -> int:
    """By how many rows ``after`` is ``before`` moved up with new rows below
    (0 when it is not): how far a scrolling pane scrolls."""
    if before == after:
        return 0
    for moved in range(1, len(after)):
        if after[0] == before[moved] and after[: len(after) - moved] == before[moved:]:
            return moved
    return 0


def has_title(term: str) -> bool:
    """The xterm, screen and tmux families have a title; the console and vt100 do not."""
    return term.startswith(("xterm", "screen", "tmux", "rxvt", "alacritty", "kitty", "foot",
                            "wezterm", "ghostty", "putty", "gnome", "konsole", "vte"))


def line_styles(colour: bool) -> dict[str, int]:
    """curses attributes for each kind of history line.

    With colours: own lines green, the partner's cyan, the program's yellow,
    errors red, all on the terminal's own background. Without (NO_COLOR, or
    a monochrome terminal): own lines bold and the program's dim.
    """
    plain = {"own": curses.A_BOLD, "peer": curses.A_NORMAL, "system": curses.A_DIM,
             "private": curses.A_BOLD, "digest": curses.A_BOLD,
             "warning": curses.A_BOLD, "error": curses.A_BOLD, STATUS: curses.A_REVERSE}
    if not colour or not curses.has_colors():
        return plain
    try:
        curses.start_color()
        curses.use_default_colors()  # -1 below: keep the terminal's background
        pairs = {"own": curses.COLOR_GREEN, "peer": curses.COLOR_CYAN,
                 "system": curses.COLOR_YELLOW, "private": curses.COLOR_YELLOW,
                 "digest": curses.COLOR_YELLOW,
                 "warning": curses.COLOR_YELLOW,
                 "error": curses.COLOR_RED}
        styles = {}
        for number, (kind, foreground) in enumerate(pairs.items(), start=1):
            curses.init_pair(number, foreground, -1)
            styles[kind] = curses.color_pair(number)
    except curses.error:
        return plain
    styles["warning"] |= curses.A_BOLD
    styles["private"] |= curses.A_BOLD
    styles["digest"] |= curses.A_BOLD
    styles["error"] |= curses.A_BOLD
    return styles | {STATUS: curses.A_REVERSE}
