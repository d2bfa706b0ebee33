"""Tests of shell/screen.Screen's drawing through curses (paint.CursesPainter), against a
window that keeps its cells as text: what ends up on each row, and how little is written
to get there. The painter that writes to the terminal itself: test_paint."""

import pytest

from _chat_curses.chat.frame import Frame
from _chat_curses.shell.paint import CursesPainter
from _chat_curses.shell.screen import Screen, _rows_moved_up
from _chat_curses.text.editor import LineEditor
from _chat_curses.text.history import History, Scrollback


class GridWindow:
    """The calls Screen makes on a curses window, on a grid of rows (attributes kept per row)."""

    def __init__(self, rows: int, cols: int) -> None:
        self.rows, self.cols = rows, cols
        self.text = [""] * rows
        self.attr = [0] * rows
        self.written = []  # the rows insstr wrote to, in order
        self.scrolled = []  # (lines, top, bottom) of each scroll
        self.region = (0, rows - 1)
        self.can_scroll = False
        self.cursor = (0, 0)

    def getmaxyx(self):
        return self.rows, self.cols

    def idlok(self, flag): pass

    def refresh(self): pass

    def clearok(self, flag): pass

    def erase(self):
        self.text, self.attr = [""] * self.rows, [0] * self.rows

    def move(self, y, x):
        self.cursor = (y, x)

    def clrtoeol(self):
        y, x = self.cursor
        self.text[y] = self.text[y][:x]

    def insstr(self, y, x, text, attr=0):
        assert x == 0 and not self.text[y], "a row is cleared before it is written"
        self.text[y], self.attr[y] = text[: self.cols], attr
        self.written.append(y)

    def addstr(self, y, x, text, attr=0):
        assert y < self.rows - 1, "addstr in the bottom row fails at its last cell"
        assert len(text) <= self.cols, "a row longer than the screen would wrap"
        self.insstr(y, x, text, attr)

    def setscrreg(self, top, bottom):
        assert 0 <= top <= bottom < self.rows
        self.region = (top, bottom)

    def scrollok(self, flag):
        self.can_scroll = flag

    def scroll(self, lines):
        assert self.can_scroll
        top, bottom = self.region
        for rows in (self.text, self.attr):
            rows[top : bottom + 1] = rows[top + lines : bottom + 1] + [rows is self.attr and 0 or ""] * lines
        self.scrolled.append((lines, top, bottom))


def frame(history, status="status", prompt="> "):
    return Frame(history, Scrollback(), status, prompt, LineEditor())


def expected_screen(history, rows, cols, status="status", prompt="> "):
    pane = history.last_rows(cols, rows - 2)
    texts = [text for text, _ in pane] + [""] * (rows - 2 - len(pane))
    return texts + [status.ljust(cols), prompt]


@pytest.mark.parametrize("rows,cols", [(24, 80), (60, 200), (5, 16)])
def test_a_new_message_scrolls_the_pane_and_writes_only_its_row(rows, cols):
    window = GridWindow(rows, cols)
    screen = Screen(window, colour=False, painter=CursesPainter(window))
    history = History()
    for number in range(rows * 2):
        history.add(f"message {number}", "peer")
    screen.draw(frame(history))
    assert window.text == expected_screen(history, rows, cols)
    window.written.clear()
    history.add("the newest", "own")
    screen.draw(frame(history))
    assert window.text == expected_screen(history, rows, cols)
    assert window.scrolled == [(1, 0, rows - 3)]
    assert window.written == [rows - 3]  # the new row; status and input are as they were
    assert window.region == (0, rows - 1)  # the whole window scrolls no more than before


def drawn_once(*lines, rows=10, cols=40):
    """A screen that has drawn a history of ``lines``, and its window, its writes forgotten."""
    window = GridWindow(rows, cols)
    screen = Screen(window, colour=False, painter=CursesPainter(window))
    history = History()
    for text in lines:
        history.add(text, "peer")
    screen.draw(frame(history))
    window.written.clear()
    return window, screen, history


def test_an_unchanged_frame_writes_nothing_and_a_changed_status_only_its_row():
    window, screen, history = drawn_once("hello")
    screen.draw(frame(history))
    assert window.written == [] and window.scrolled == []
    screen.draw(frame(history, status="bob is typing..."))
    assert window.written == [8]
    assert window.text == expected_screen(history, 10, 40, status="bob is typing...")


def test_a_pane_not_yet_full_fills_down_without_scrolling():
    window, screen, history = drawn_once("one")
    history.add("two", "own")
    screen.draw(frame(history))
    assert window.scrolled == [] and window.written == [1]
    assert window.text == expected_screen(history, 10, 40)


def test_a_new_size_draws_every_row_again():
    window = GridWindow(10, 40)
    screen = Screen(window, colour=False, painter=CursesPainter(window))
    history = History()
    for number in range(30):
        history.add(f"a somewhat longer message, number {number}", "peer")
    screen.draw(frame(history))
    window.rows, window.cols = 12, 20
    window.text, window.attr, window.region = [""] * 12, [0] * 12, (0, 11)
    screen.draw(frame(history))
    assert window.text == expected_screen(history, 12, 20)


def test_rows_moved_up():
    assert _rows_moved_up(["a", "b", "c"], ["b", "c", "d"]) == 1
    assert _rows_moved_up(["a", "b", "c"], ["c", "d", "e"]) == 2
    assert _rows_moved_up(["a", "b", "c"], ["a", "b", "c"]) == 0
    assert _rows_moved_up(["a", "b", "c"], ["x", "y", "z"]) == 0
    assert _rows_moved_up([None, None], ["a", "b"]) == 0
    assert _rows_moved_up([], []) == 0
    assert _rows_moved_up(["", "", ""], ["", "", ""]) == 0  # nothing to gain from scrolling blanks


def titled_screen(monkeypatch):
    """A screen on an xterm (which has a title), what it writes, its history."""
    writes = []
    monkeypatch.setattr("_chat_curses.shell.paint.write_terminal", writes.append)
    monkeypatch.setenv("TERM", "xterm-256color")
    window = GridWindow(10, 40)
    return writes, Screen(window, colour=False, painter=CursesPainter(window)), History()


def test_the_bell_and_a_new_title_go_out_in_one_write_with_the_draw(monkeypatch):
    writes, screen, history = titled_screen(monkeypatch)
    history.add("hello", "peer")
    screen.bell()
    assert writes == []  # not yet: it rings with the draw
    screen.draw(Frame(history, Scrollback(), "status", "> ", LineEditor(), "chat_curses: your turn"))
    assert writes == [b"\a\x1b]2;chat_curses: your turn\x07"]
    screen.draw(Frame(history, Scrollback(), "status", "> ", LineEditor(), "chat_curses: your turn"))
    assert len(writes) == 1  # the same title is not written again


def test_titles_that_take_turns_are_each_set_again_and_always_cleaned(monkeypatch):
    writes, screen, history = titled_screen(monkeypatch)
    titles = ["chat_curses: your turn", "chat_curses: eve\x1b]2;owned\x07's turn"] * 2
    for number in range(12):  # more names than are kept: made again, the same
        titles.append(f"chat_curses: user{number}'s turn")
    for title in titles:
        screen.draw(Frame(history, Scrollback(), "status", "> ", LineEditor(), title))
    assert writes[:4] == [b"\x1b]2;chat_curses: your turn\x07",
                          b"\x1b]2;chat_curses: eve^[]2;owned^G's turn\x07"] * 2
    assert len(writes) == len(titles) and all(b"\x1b]2;" + title.encode() in write for title, write
                                                in zip(titles[4:], writes[4:]))


def test_a_terminal_too_small_says_so_and_a_bigger_one_gets_the_chat_back():
    window, screen, history = drawn_once("hello", rows=2, cols=10)
    assert window.text == ["Terminal t", ""]
    window.rows, window.cols = 10, 40
    window.text, window.attr, window.region = [""] * 10, [0] * 10, (0, 9)
    screen.draw(frame(history))
    assert window.text == expected_screen(history, 10, 40)
