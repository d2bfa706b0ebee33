"""Tests of text/history.py: the history's rows, its scrollback, and what it wraps when."""

import pytest

from _chat_curses.text import history as history_module
from _chat_curses.text.history import History, Line, Scrollback

# --- History -----------------------------------------------------------------


def test_last_rows_are_the_newest():
    history = History()
    for i in range(10):
        history.add(f"line {i}")
    assert history.last_rows(20, 3) == [("line 7", "system"), ("line 8", "system"), ("line 9", "system")]


def test_last_rows_with_few_lines():
    history = History()
    history.add("only", "own")
    assert history.last_rows(20, 5) == [("only", "own")]


def test_last_rows_cut_a_wrapped_line_at_the_top():
    history = History()
    history.add("aaaa bbbb cccc dddd", "peer")
    history.add("last")
    assert history.last_rows(9, 3) == [("    cccc", "peer"), ("    dddd", "peer"), ("last", "system")]


@pytest.mark.parametrize("width, height", [(0, 5), (5, 0), (-1, -1)])
def test_last_rows_of_nothing(width, height):
    history = History()
    history.add("x")
    assert history.last_rows(width, height) == []


def test_last_rows_wrap_only_what_is_shown(monkeypatch):
    history = History()
    for i in range(100_000):
        history.add(f"message number {i}")
    wrapped = []
    real_wrap = history_module.wrap
    monkeypatch.setattr(history_module, "wrap", lambda *a, **k: wrapped.append(1) or real_wrap(*a, **k))
    rows = history.last_rows(80, 22)
    assert len(rows) == 22 and rows[-1][0] == "message number 99999"
    assert len(wrapped) == 22


# --- lines as shown, and told of -----------------------------------------------------


def test_as_text_indents_for_a_plain_terminal():

    assert Line("<t> [u]: one\ntwo").as_text() == "<t> [u]: one\n    two"


def test_as_text_never_lets_a_raw_control_out_whatever_made_the_line():
    line = Line("a title \x1b]0;PWN\x07, a bell\x07\nand \u202e reversed")
    assert line.as_text() == "a title ^[]0;PWN^G, a bell^G\n    and <U+202E> reversed"


def test_history_tells_of_every_line():
    told = []
    history = History(on_add=told.append)
    history.add("a", "own")
    history.replace_last("b")
    assert [(line.text, line.kind) for line in told] == [("a", "own"), ("b", "system")]


# --- scrollback --------------------------------------------------------------------



def numbered(count, width_hint=""):
    history = History()
    for i in range(count):
        history.add(f"line {i}{width_hint}")
    return history


def texts(rows):
    return [text for text, _ in rows]


def test_following_shows_the_newest():
    history, view = numbered(30), Scrollback()
    assert texts(view.rows(history, 20, 3)) == ["line 27", "line 28", "line 29"]
    assert not view.scrolled


def test_page_up_keeps_one_row_of_context():
    history, view = numbered(30), Scrollback()
    view.page_up(history, 20, 5)
    assert texts(view.rows(history, 20, 5)) == ["line 21", "line 22", "line 23", "line 24", "line 25"]
    assert view.scrolled


def test_page_up_stops_at_the_first_row():
    history, view = numbered(30), Scrollback()
    for _ in range(20):
        view.page_up(history, 20, 5)
    assert texts(view.rows(history, 20, 5)) == ["line 0", "line 1", "line 2", "line 3", "line 4"]


def test_page_down_returns_to_following():
    history, view = numbered(30), Scrollback()
    view.page_up(history, 20, 5)
    view.page_up(history, 20, 5)
    view.page_down(history, 20, 5)
    assert view.scrolled
    view.page_down(history, 20, 5)
    assert not view.scrolled
    assert texts(view.rows(history, 20, 5))[-1] == "line 29"


def test_new_lines_do_not_move_a_scrolled_view():
    history, view = numbered(30), Scrollback()
    view.page_up(history, 20, 5)
    before = view.rows(history, 20, 5)
    for i in range(10):
        history.add(f"new {i}")
    assert view.rows(history, 20, 5) == before
    while view.scrolled:
        view.page_down(history, 20, 5)
    assert texts(view.rows(history, 20, 5))[-1] == "new 9"


def test_a_history_shorter_than_the_pane_does_not_scroll():
    history, view = numbered(3), Scrollback()
    view.page_up(history, 20, 10)
    assert not view.scrolled
    assert texts(view.rows(history, 20, 10)) == ["line 0", "line 1", "line 2"]


def test_paging_counts_wrapped_rows():
    history = History()
    for i in range(6):
        history.add(f"m{i} aaaa bbbb cccc")  # three rows each at width 9
    view = Scrollback()
    view.page_up(history, 9, 4)
    # 18 rows in all; the last page is rows 14-17, one page up is rows 11-14
    assert texts(view.rows(history, 9, 4)) == ["    cccc", "m4 aaaa", "    bbbb", "    cccc"]
    assert view.anchor == (4, 2)


def test_a_resize_keeps_the_view_on_the_same_line():
    history = History()
    for i in range(40):
        history.add(f"line {i} " + "word " * 8)
    view = Scrollback()
    for _ in range(3):
        view.page_up(history, 30, 6)
    bottom_line = view.anchor[0]
    rows = view.rows(history, 80, 6)
    assert rows[-1][0].startswith(f"line {bottom_line} ")


def test_empty_history_and_zero_sizes():
    view = Scrollback()
    view.page_up(History(), 20, 5)
    assert not view.scrolled
    history = numbered(10)
    view.page_up(history, 20, 3)
    assert view.rows(history, 0, 3) == [] and view.rows(history, 20, 0) == []


# --- wrapped once per width ----------------------------------------------------------


def test_a_line_already_wrapped_at_a_width_is_not_wrapped_again(monkeypatch):
    history = History()
    history.add("é" + "word " * 13_000, "peer")
    history.add("newest")
    wrapped = []
    real_wrap = history_module.wrap
    monkeypatch.setattr(history_module, "wrap", lambda *a, **k: wrapped.append(a[1]) or real_wrap(*a, **k))
    for _ in range(5):
        history.last_rows(80, 22)
    assert wrapped == [80, 80]  # each line once
    history.last_rows(40, 22)
    assert wrapped == [80, 80, 40, 40]


# --- the bottom rows, kept from one draw to the next -----------------------------------


def _from_scratch(history, width, height):
    return history.rows_ending_at(len(history.lines) - 1, None, width, height)


@pytest.mark.parametrize("width,height", [(10, 3), (16, 8), (80, 24)])
def test_the_bottom_rows_follow_new_lines_as_if_drawn_afresh(width, height):
    history = History()
    texts = ["short", "a line long enough to wrap over several rows at narrow widths",
             "漢字かな交じり文" * 3, "x" * (width * height + 5), "last"]
    for number in range(40):
        history.add(texts[number % len(texts)], "peer" if number % 2 else "own")
        if number % 3 == 0:  # some draws see one new line, others several
            assert history.last_rows(width, height) == _from_scratch(history, width, height)
    assert history.last_rows(width, height) == _from_scratch(history, width, height)


def test_the_bottom_rows_follow_a_replaced_line_and_a_new_size():
    history = History()
    for number in range(10):
        history.add(f"line {number}")
    history.last_rows(20, 5)
    history.add("1 message ignored", final=False)
    assert history.last_rows(20, 5)[-1] == ("1 message ignored", "system")
    history.replace_last("2 messages ignored")
    assert history.last_rows(20, 5)[-1] == ("2 messages ignored", "system")
    assert history.last_rows(6, 4) == _from_scratch(history, 6, 4)
    for number in range(30):  # more new lines than the pane holds, at once
        history.add(f"more {number}")
    assert history.last_rows(6, 4) == _from_scratch(history, 6, 4)
    assert history.last_rows(0, 4) == [] and history.last_rows(6, 0) == []
