"""Tests of shell/paint.TerminalPainter: what Screen draws through it, written with the
terminal's own strings, rendered by pyte as a terminal would show it; each draw one write."""

import curses
import os

import unicodedata

import pyte
import pytest

from _chat_curses.chat.frame import Frame
from _chat_curses.shell.paint import TerminalPainter
from _chat_curses.shell.screen import Screen
from _chat_curses.text.editor import LineEditor
from _chat_curses.text.history import History, Scrollback


@pytest.fixture(autouse=True)
def terminfo():
    """The terminal's description, as curses reads it for initscr (no screen needed)."""
    fd = os.open(os.devnull, os.O_WRONLY)
    try:
        curses.setupterm("xterm-256color", fd)
    finally:
        os.close(fd)


class Window:
    """What the painter asks of curses' window: its size, its encoding, the first refresh."""

    encoding = "utf-8"

    def __init__(self, rows, cols):
        self.rows, self.cols, self.refreshes = rows, cols, 0

    def getmaxyx(self):
        return self.rows, self.cols

    def refresh(self):
        self.refreshes += 1


class Terminal:
    """A screen of ``rows`` by ``cols`` drawn by the painter; what it wrote, write by write."""

    def __init__(self, monkeypatch, rows=10, cols=40, wraps_late=True):
        self.writes = []
        monkeypatch.setattr("_chat_curses.shell.paint.write_terminal", self.writes.append)
        self.window = Window(rows, cols)
        painter = TerminalPainter.of(self.window)
        painter.wraps_late = wraps_late
        self.screen = Screen(self.window, colour=False, painter=painter)
        self.shown = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.shown)

    def draw(self, history, status="status", prompt="> ", editor=True, title=""):
        """Draw a frame (``editor``: an editor, True for an empty one, None: locked)."""
        before = len(self.writes)
        editor = LineEditor() if editor is True else editor
        self.screen.draw(Frame(history, Scrollback(), status, prompt, editor, title))
        for data in self.writes[before:]:
            self.stream.feed(data)
        return self.writes[before:]

    def rows(self):
        return [nfc(row.rstrip()) for row in self.shown.display]

    def resize(self, rows, cols):
        self.window.rows, self.window.cols = rows, cols
        self.shown.resize(rows, cols)


def nfc(text):
    """pyte keeps a letter and its combining mark as one character."""
    return unicodedata.normalize("NFC", text)


def expected(history, rows, cols, status="status", prompt="> "):
    pane = history.last_rows(cols, rows - 2)
    texts = [nfc(text.rstrip()) for text, _ in pane] + [""] * (rows - 2 - len(pane))
    return texts + [status, prompt.rstrip()]


def history_of(*lines, kind="peer"):
    history = History()
    for text in lines:
        history.add(text, kind)
    return history


@pytest.mark.parametrize("rows,cols", [(24, 80), (60, 200), (5, 16)])
def test_every_draw_is_one_write_and_shows_what_the_pane_holds(monkeypatch, rows, cols):
    terminal = Terminal(monkeypatch, rows, cols)
    history = history_of()
    for number in range(rows * 3):
        history.add(f"message {number}, " + "words " * (number % 7), "peer" if number % 2 else "own")
        assert len(terminal.draw(history)) == 1
        assert terminal.rows() == expected(history, rows, cols)


def test_a_new_message_scrolls_the_region_and_writes_only_its_row(monkeypatch):
    terminal = Terminal(monkeypatch, 10, 40)
    history = history_of(*(f"old message number {n}" for n in range(20)))
    terminal.draw(history)
    history.add("the newest", "own")
    [write] = terminal.draw(history)
    assert b"\x1b[1;8r" in write and write.count(b"\x1b[1;10r") == 1  # scrolled, region put back
    assert b"the newest" in write and b"old message" not in write and b"status" not in write
    assert terminal.rows() == expected(history, 10, 40)


def test_an_unchanged_frame_writes_nothing(monkeypatch):
    terminal = Terminal(monkeypatch)
    history = history_of("hello")
    terminal.draw(history)
    assert terminal.draw(history) == []


def test_curses_starts_the_screen_once_and_again_after_a_suspension(monkeypatch):
    terminal = Terminal(monkeypatch)
    history = history_of("hello")
    terminal.draw(history)
    terminal.draw(history_of("hello", "again"))
    assert terminal.window.refreshes == 1  # it entered the program's mode; the rest is ours
    terminal.screen.painter.resumed()
    terminal.screen.repaint()
    [write] = terminal.draw(history)
    assert terminal.window.refreshes == 2 and write.startswith(b"\x1b[H\x1b[2J")
    assert terminal.rows() == expected(history, 10, 40)


def test_a_repaint_and_a_new_size_write_every_row_again(monkeypatch):
    terminal = Terminal(monkeypatch, 10, 40)
    history = history_of(*(f"a somewhat longer message, number {n}" for n in range(30)))
    terminal.draw(history)
    terminal.shown.reset()  # the terminal lost what it showed (Ctrl-L is for this)
    terminal.screen.repaint()
    terminal.draw(history)
    assert terminal.rows() == expected(history, 10, 40)
    terminal.resize(12, 20)
    terminal.draw(history)
    assert terminal.rows() == expected(history, 12, 20)
    terminal.resize(2, 10)
    terminal.draw(history)
    assert terminal.rows() == ["Terminal t", ""]


def test_wide_characters_and_marks_land_in_their_cells(monkeypatch):
    terminal = Terminal(monkeypatch, 6, 16)
    history = history_of("漢字かな交じり文、漢字", "e\u0301te\u0301", "😀🎉 ok")
    terminal.draw(history)
    assert terminal.rows() == expected(history, 6, 16)
    assert terminal.shown.buffer[0][2].data == "字"  # each wide character takes two cells


def test_control_characters_never_reach_the_terminal_as_such(monkeypatch):
    terminal = Terminal(monkeypatch, 6, 40)
    terminal.screen.draw(Frame(history_of("safe"), Scrollback(), "status", "> ", LineEditor()))
    terminal.screen.painter.put(0, "a\x1b[2Jb\x07\x9bc", 0, False)
    terminal.screen.painter.finish(b"", None)
    [write] = terminal.writes[-1:]
    assert b"\x1b[2J" not in write and b"\x07" not in write and "\x9b".encode() not in write
    terminal.stream.feed(write)
    assert terminal.rows()[0] == "a^[[2Jb^G<U+009B>c"


def test_the_status_row_is_in_reverse_video_and_own_lines_bold(monkeypatch):
    terminal = Terminal(monkeypatch, 6, 30)
    terminal.draw(history_of("mine", kind="own"))
    assert terminal.shown.buffer[0][0].bold and not terminal.shown.buffer[0][0].reverse
    assert all(terminal.shown.buffer[4][x].reverse for x in range(30))  # padded to the width
    assert not terminal.shown.buffer[5][0].reverse  # and no attribute leaks past it


def test_the_bottom_right_cell_is_left_alone_where_writing_it_would_scroll(monkeypatch):
    terminal = Terminal(monkeypatch, 6, 20, wraps_late=False)
    editor = LineEditor()
    editor.insert("x" * 40)
    editor.home()  # the second row is full to the last cell
    terminal.draw(history_of("hello"), editor=editor)
    bottom = terminal.rows()[-1]
    assert bottom.endswith("x") and len(bottom) == 19
    assert terminal.rows()[0] == "hello"  # nothing scrolled away


def test_the_cursor_is_hidden_and_shown_only_when_that_changes(monkeypatch):
    terminal = Terminal(monkeypatch)
    history = history_of("hello")
    first = terminal.draw(history)[0]
    assert b"\x1b[?25h" in first or b"\x1b[?12l\x1b[?25h" in first
    assert (terminal.shown.cursor.y, terminal.shown.cursor.x) == (9, 2)
    [locked] = terminal.draw(history, prompt="Waiting for bob...", editor=None)
    assert b"\x1b[?25l" in locked
    [again] = terminal.draw(history_of("hello", "more"), prompt="Waiting for bob...", editor=None)
    assert b"\x1b[?25l" not in again and b"\x1b[?25h" not in again


def test_the_bell_and_a_new_title_go_out_in_the_draws_one_write(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    terminal = Terminal(monkeypatch)
    terminal.screen.has_title = True
    terminal.screen.bell()
    history = history_of("hello")
    [write] = terminal.draw(history, title="chat_curses: your turn")
    assert write.startswith(b"\a\x1b]2;chat_curses: your turn\x07") and b"hello" in write


def test_a_description_that_asks_for_delays_has_them_left_out(monkeypatch):
    fd = os.open(os.devnull, os.O_WRONLY)
    try:
        curses.setupterm("vt100", fd)  # its el is "\E[K$<3>", its cup ends "$<5>"
    finally:
        os.close(fd)
    terminal = Terminal(monkeypatch, 6, 30)
    history = history_of(*(f"line {n}" for n in range(8)))
    terminal.draw(history, status="status", prompt="> ")
    history.add("one more", "own")
    terminal.draw(history)
    assert not any(b"$<" in write for write in terminal.writes)
    assert terminal.rows() == expected(history, 6, 30)


def test_a_terminal_without_a_scrolling_region_gets_the_rows_written_again(monkeypatch):
    terminal = Terminal(monkeypatch, 8, 30)
    terminal.screen.painter.caps["csr"] = b""  # (as some old descriptions have it)
    history = history_of(*(f"line {n}" for n in range(10)))
    terminal.draw(history)
    history.add("one more", "own")
    [write] = terminal.draw(history)
    assert b"\x1b[1;6r" not in write and b"line 9" in write  # no region: the pane is rewritten
    assert terminal.rows() == expected(history, 8, 30)
