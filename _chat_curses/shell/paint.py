"""Putting rows on the terminal, for ``screen.Screen``, which decides what changed.

Two painters take the same few orders: forget what the screen shows, scroll
part of it up, make a row hold a text, and end the draw with the cursor
placed (or hidden).

``TerminalPainter`` writes the terminal's own control strings (its terminfo
entry: ``cup``, ``el``, ``csr``...) into one buffer, and the whole draw,
the bell and title with it, leaves in one write. irssi draws this way too.
Screen already knows which rows changed, so nothing compares the whole
screen again; a message costs the same at 200x60 as at 80x24. curses still
sets the terminal up, reads its description and puts it back.

``CursesPainter`` draws through curses' window, for consoles that have no
terminfo (Windows) and for when the keys are read through curses (which
refreshes the window it reads from).
"""

from __future__ import annotations

import contextlib

from ..text.cells import clip
from ..text.validate import clean
from .terminal import curses, terminfo, write_terminal

# What TerminalPainter needs of the terminal's description (all but the first
# three may be missing: the draw then does without).
CAPABILITIES = ("cup", "el", "clear", "csr", "ind", "sgr0", "bold", "dim", "rev", "setaf",
                "cnorm", "civis")
# A row that holds one of these would move the cursor or change the terminal's
# modes; the cleaner keeps them out of the history, and the painter makes sure.
CONTROLS = frozenset(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))


def painter_for(window: "curses.window", through_curses: bool = False):
    """The painter for this terminal: straight to it where its description allows."""
    if not through_curses:
        painter = TerminalPainter.of(window)
        if painter is not None:
            return painter
    return CursesPainter(window)


class TerminalPainter:
    """Draws with the terminal's control strings, each draw one write."""

    def __init__(self, window: "curses.window", caps: dict[str, bytes], wraps_late: bool) -> None:
        self.window, self.caps = window, caps
        self.el, self.sgr0 = caps["el"], caps["sgr0"]  # (each row's, at every draw)
        self.encoding = getattr(window, "encoding", "utf-8") or "utf-8"
        self.wraps_late = wraps_late  # its last column can be written without scrolling (xenl)
        self.out: list[bytes] = []
        self.rows = 0
        self.row_starts: list[bytes] = []  # cup to each row's first cell
        self.styles: dict[int, bytes] = {}
        self.places: dict[tuple[int, int], bytes] = {}  # cup, made once for each place
        self.regions: dict[tuple[int, int], bytes] = {}  # csr, likewise
        self.scrolls: dict[tuple[int, int, int], bytes] = {}  # a part scrolled, likewise
        self.cursor: tuple[int, int] | None = None  # where it was left, None: hidden
        self.visible: bool | None = None
        self.entered = False  # curses has put the terminal in the program's mode

    @classmethod
    def of(cls, window: "curses.window") -> TerminalPainter | None:
        caps = {name: terminfo(name) for name in CAPABILITIES}
        if not (caps["cup"] and caps["el"] and caps["clear"]):  # (None: no terminfo at all)
            return None
        wraps_late = curses.tigetflag("xenl") > 0 or not curses.tigetflag("am") > 0
        return cls(window, caps, wraps_late)

    def repaint(self) -> None:
        """Every cell is written anew by the next draw (Screen forgets what it showed)."""

    def resumed(self) -> None:
        """The terminal was given back to the shell and is ours again (after SIGCONT)."""
        self.entered = False

    def clear(self, rows: int) -> None:
        """Blank the screen of ``rows`` rows; nothing on it is known any more."""
        if not self.entered:  # curses writes its own start (the alternate screen) first
            self.entered = True
            with contextlib.suppress(curses.error):
                self.window.refresh()
        if rows != self.rows:
            self.rows, self.row_starts = rows, [self._move(y, 0) for y in range(rows)]
            self.scrolls = {}
        self.out.append(self.caps["clear"])
        self.cursor = None  # (the draw's end places it)

    def scroll(self, top: int, bottom: int, lines: int) -> bool:
        """Rows ``top`` to ``bottom`` move up by ``lines``, blank rows coming in below;
        False where the terminal has no scrolling region (the rows are written anew)."""
        caps = self.caps
        if not (caps["csr"] and caps["ind"]):
            return False
        scrolling = self.scrolls.get((top, bottom, lines))
        if scrolling is None:  # (each made once: a chat scrolls its pane by one row, mostly)
            scrolling = self.scrolls[top, bottom, lines] = b"".join([
                self._region(top, bottom), self.row_starts[bottom], caps["ind"] * lines,
                self._region(0, self.rows - 1)])
        self.out.append(scrolling)
        return True

    def put(self, y: int, text: str, attr: int, bottom: bool) -> None:
        """Row ``y`` holds ``text`` (which fits the row) and nothing else."""
        if not text.isprintable() and not CONTROLS.isdisjoint(text):
            text = clean(text)
        if bottom and not self.wraps_late:  # its last cell would scroll the whole screen
            text = clip(text, self.window.getmaxyx()[1] - 1)
        data = text.encode(self.encoding, "replace")
        if attr:
            style = self.styles.get(attr) or self._style(attr)
            self.out += [self.row_starts[y], self.el, style, data, self.sgr0]
        else:
            self.out += [self.row_starts[y], self.el, data]

    def finish(self, pending: bytes, cursor: tuple[int, int] | None) -> None:
        """The draw goes out in one write: ``pending`` (the bell, the title) first,
        the rows, and the cursor shown at ``cursor`` (row, column) or hidden."""
        out, self.out = self.out, []
        visible = cursor is not None
        if visible is not self.visible:
            self.visible = visible
            out.append(self.caps["cnorm"] if visible else self.caps["civis"])
        if visible and (out or cursor != self.cursor):
            out.append(self._move(*cursor))
        self.cursor = cursor
        if out or pending:
            write_terminal(pending + b"".join(out))

    def _move(self, y: int, x: int) -> bytes:
        """The string that puts the cursor at row ``y``, column ``x``."""
        place = self.places.get((y, x))
        if place is None:
            place = self.places[y, x] = curses.tparm(self.caps["cup"], y, x)
        return place

    def _region(self, top: int, bottom: int) -> bytes:
        """The string that makes rows ``top`` to ``bottom`` the scrolling region."""
        region = self.regions.get((top, bottom))
        if region is None:
            region = self.regions[top, bottom] = curses.tparm(self.caps["csr"], top, bottom)
        return region

    def _style(self, attr: int) -> bytes:
        """The control strings that set ``attr`` (made once for each)."""
        style = self.styles.get(attr)
        if style is None:
            caps = self.caps
            style = caps["sgr0"]
            for flag, name in ((curses.A_BOLD, "bold"), (curses.A_DIM, "dim"),
                               (curses.A_REVERSE, "rev")):
                if attr & flag:
                    style += caps[name]
            pair = (attr & curses.A_COLOR) >> 8  # ncurses' PAIR_NUMBER
            if pair and caps["setaf"]:
                with contextlib.suppress(curses.error):
                    foreground = curses.pair_content(pair)[0]
                    if foreground >= 0:
                        style += curses.tparm(caps["setaf"], foreground)
            self.styles[attr] = style
        return style


class CursesPainter:
    """Draws through curses' window: curses compares it with the screen and writes the difference."""

    def __init__(self, window: "curses.window") -> None:
        self.window = window
        self.visible: bool | None = None
        window.idlok(True)  # the pane scrolls with the terminal's own scrolling, where it has one

    def repaint(self) -> None:
        self.window.clearok(True)

    def resumed(self) -> None:
        """(curses takes the terminal back at its next refresh; the repaint follows.)"""

    def clear(self, rows: int) -> None:
        self.window.erase()

    def scroll(self, top: int, bottom: int, lines: int) -> bool:
        window = self.window
        with contextlib.suppress(curses.error):
            window.setscrreg(top, bottom)
            window.scrollok(True)
            window.scroll(lines)
            window.scrollok(False)
            window.setscrreg(0, window.getmaxyx()[0] - 1)
        return True

    def put(self, y: int, text: str, attr: int, bottom: bool) -> None:
        window = self.window
        try:
            window.move(y, 0)
            window.clrtoeol()
            if bottom:
                # insstr neither wraps nor moves the cursor, so the bottom-right
                # cell can be written without the error addstr raises there.
                window.insstr(y, 0, text, attr)
            else:  # addstr, elsewhere: insstr shifts the row along for every character
                window.addstr(y, 0, text, attr)
        except curses.error:
            pass

    def finish(self, pending: bytes, cursor: tuple[int, int] | None) -> None:
        if pending:
            write_terminal(pending)
        visible = cursor is not None
        if visible is not self.visible:
            self.visible = visible
            with contextlib.suppress(curses.error):
                curses.curs_set(1 if visible else 0)
        if cursor is not None:
            with contextlib.suppress(curses.error):
                self.window.move(*cursor)
        self.window.refresh()
