"""Tests of text/editor.py: editing, cursor moves by whole characters, sideways view."""

import pytest

from _chat_curses.text.cells import cell_width
from _chat_curses.text.editor import LineEditor

E_ACUTE = "e\u0301"


def editor_with(text, cursor=None):
    editor = LineEditor(text)
    if cursor is not None:
        editor.cursor = cursor
    return editor


def test_typing_appends_and_moves_the_cursor():
    editor = LineEditor()
    for char in "hi 漢":
        editor.insert(char)
    assert (editor.text, editor.cursor) == ("hi 漢", 4)


def test_insert_in_the_middle():
    editor = editor_with("held", 3)
    editor.insert("l")
    editor.insert("o")
    assert (editor.text, editor.cursor) == ("hellod", 5)


def test_backspace_and_delete():
    editor = editor_with("abcd", 2)
    editor.backspace()
    assert (editor.text, editor.cursor) == ("acd", 1)
    editor.delete()
    assert (editor.text, editor.cursor) == ("ad", 1)


@pytest.mark.parametrize("action", ["backspace", "left", "home"])
def test_nothing_happens_at_the_start(action):
    editor = editor_with("ab", 0)
    getattr(editor, action)()
    assert (editor.text, editor.cursor) == ("ab", 0)


@pytest.mark.parametrize("action", ["delete", "right", "end"])
def test_nothing_happens_at_the_end(action):
    editor = editor_with("ab")
    getattr(editor, action)()
    assert (editor.text, editor.cursor) == ("ab", 2)


def test_on_an_empty_line_every_key_is_harmless():
    editor = LineEditor()
    for action in ("backspace", "delete", "left", "right", "home", "end"):
        getattr(editor, action)()
    assert (editor.text, editor.cursor) == ("", 0)
    assert editor.layout(10, 10, 3) == ([""], 0, 0, 0)


def test_home_and_end():
    editor = editor_with("hello", 2)
    editor.home()
    assert editor.cursor == 0
    editor.end()
    assert editor.cursor == 5


def test_cursor_moves_over_a_character_and_its_marks_at_once():
    editor = editor_with("a" + E_ACUTE + "b", 0)
    editor.right()
    assert editor.cursor == 1
    editor.right()
    assert editor.cursor == 3  # over e and its accent together
    editor.left()
    assert editor.cursor == 1


def test_backspace_removes_the_marks_with_their_base():
    editor = editor_with("a" + E_ACUTE + "\u0302")
    editor.backspace()
    assert editor.text == "a"


def test_delete_removes_the_marks_with_their_base():
    editor = editor_with(E_ACUTE + "x", 0)
    editor.delete()
    assert editor.text == "x"


def test_take_returns_the_text_and_clears():
    editor = editor_with("message")
    assert editor.take() == "message"
    assert (editor.text, editor.cursor) == ("", 0)


# --- the input area: the cursor always in view --------------------------------------


def cursor_cell(editor, first, width, most):
    """Lay the editor out; check the rows fit and the cursor is on a shown row,
    inside it; the cursor's (row, column)."""
    rows, row, column, top = editor.layout(first, width, most)
    assert 1 <= len(rows) <= max(most, 1) and 0 <= row < len(rows)
    for number, text in enumerate(rows):
        room = first if number + top == 0 else width
        assert cell_width(text) <= room or len(text.rstrip("\u0301")) == 1  # a too-wide char alone
    room = first if row + top == 0 else width
    assert 0 <= column < room
    assert cell_width(rows[row]) >= column
    return row, column


@pytest.mark.parametrize("first, width", [(1, 1), (3, 5), (5, 11), (22, 80)])
@pytest.mark.parametrize("text", [
    "plain ascii text that is long",
    "漢字漢字漢字漢字漢字漢字",
    "a漢b字c😀d",
    (E_ACUTE + "x") * 10,
])
def test_at_every_cursor_position_the_cursor_is_in_view_and_nothing_overflows(text, first, width):
    editor = editor_with(text, 0)
    while True:
        cursor_cell(editor, first, width, 3)
        if editor.cursor == len(text):
            break
        editor.right()


# --- readline keys -------------------------------------------------------------


@pytest.mark.parametrize("text, cursor, action, after, cursor_after", [
    ("hello world", 6, "kill_to_start", "world", 0),
    ("hello world", 6, "kill_to_end", "hello ", 6),
    ("hello world", 11, "kill_word", "hello ", 6),
    ("hello world  ", 13, "kill_word", "hello ", 6),
    ("hello world", 8, "kill_word", "hello rld", 6),
    ("hello", 0, "kill_word", "hello", 0),
    ("   ", 3, "kill_word", "", 0),
    ("漢字 かな", 5, "kill_word", "漢字 ", 3),
    ("", 0, "kill_to_start", "", 0),
    ("", 0, "kill_to_end", "", 0),
])
def test_kill_commands(text, cursor, action, after, cursor_after):
    editor = editor_with(text, cursor)
    getattr(editor, action)()
    assert (editor.text, editor.cursor) == (after, cursor_after)


# --- recall ---------------------------------------------------------------------


def recalling(*sent):
    editor = LineEditor()
    for text in sent:
        editor.remember(text)
    return editor


def test_up_recalls_sent_messages_newest_first():
    editor = recalling("one", "two", "three")
    seen = []
    for _ in range(4):
        editor.older()
        seen.append(editor.text)
    assert seen == ["three", "two", "one", "one"]
    assert editor.cursor == len("one")


def test_down_comes_back_to_the_draft():
    editor = recalling("one", "two")
    editor.insert("half typ")
    editor.older()
    editor.older()
    assert editor.text == "one"
    editor.newer()
    assert editor.text == "two"
    editor.newer()
    assert (editor.text, editor.cursor) == ("half typ", 8)
    editor.newer()
    assert editor.text == "half typ"


def test_recall_with_nothing_sent_keeps_the_line():
    editor = editor_with("draft")
    editor.older()
    editor.newer()
    assert editor.text == "draft"


def test_a_recalled_message_can_be_edited_and_sent():
    editor = recalling("helo")
    editor.older()
    editor.left()
    editor.insert("l")
    assert editor.take() == "hello"
    editor.remember("hello")
    editor.older()
    assert editor.text == "hello"
    editor.older()
    assert editor.text == "helo"


def test_sending_ends_browsing():
    editor = recalling("a", "b")
    editor.older()
    editor.take()
    editor.newer()
    assert editor.text == ""


def test_typing_before_a_lone_accent_joins_them_and_the_cursor_steps_past():
    editor = LineEditor()
    editor.insert("\u0301")
    editor.left()
    editor.insert("a")  # the accent now belongs to the a
    assert (editor.text, editor.cursor) == ("a\u0301", 2)
    editor.backspace()
    assert (editor.text, editor.cursor) == ("", 0)


# --- word moves, word kills and yank (readline, irssi) --------------------------------


def test_word_moves_go_to_word_starts_and_ends():
    editor = editor_with("one, two  three", 15)
    editor.word_left()
    assert editor.cursor == 10
    editor.word_left()
    assert editor.cursor == 5
    editor.word_left()
    assert editor.cursor == 0
    editor.word_right()
    assert editor.cursor == 3
    editor.word_right()
    assert editor.cursor == 8


def test_alt_backspace_and_alt_d_kill_words_and_ctrl_y_yanks_them_back():
    editor = editor_with("path/to/file.txt rest", 16)
    editor.kill_word_back()
    assert editor.text == "path/to/file. rest" and editor.killed == "txt"
    editor.home()
    editor.kill_word_forward()
    assert editor.text == "/to/file. rest" and editor.killed == "path"
    editor.end()
    editor.yank()
    assert editor.text == "/to/file. restpath"


def test_every_kill_fills_the_yank_buffer():
    editor = editor_with("hello world", 5)
    editor.kill_to_end()
    assert editor.killed == " world"
    editor.kill_to_start()
    assert editor.killed == "hello" and editor.text == ""
    editor.yank()
    assert editor.text == "hello"


def test_words_keep_their_accents():
    editor = editor_with("cafe\u0301 au", 8)
    editor.word_left()
    editor.word_left()
    assert editor.cursor == 0
    editor.word_right()
    assert editor.cursor == 5


# --- the input area: rows that grow upwards --------------------------------------------


def test_a_long_text_wraps_onto_rows_the_first_after_the_prompt():
    editor = LineEditor("x" * 300)
    rows, row, column, top = editor.layout(22, 80, 8)
    assert [len(text) for text in rows] == [22, 80, 80, 80, 38]
    assert (row, column, top) == (4, 38, 0)


def test_the_cursor_at_the_end_of_a_full_row_opens_the_next():
    rows, row, column, top = LineEditor("x" * 22).layout(22, 80, 8)
    assert rows == ["x" * 22, ""] and (row, column) == (1, 0)


@pytest.mark.parametrize("text", ["漢字" * 20, "😀a" * 20, "e\u0301" * 40, "ab漢" * 15])
@pytest.mark.parametrize("first, width", [(5, 10), (1, 3), (9, 9), (2, 2)])
def test_wide_characters_and_marks_are_never_split_and_rows_fit(text, first, width):
    rows, _, _, _ = LineEditor(text).layout(first, width, 1000)
    assert "".join(rows) == text
    for number, row in enumerate(rows):
        room = first if number == 0 else width
        assert cell_width(row) <= room or len(row.rstrip("\u0301")) == 1  # one char wider than the row
        assert not row.startswith("\u0301")


def test_the_input_area_wraps_at_spaces_where_it_can_as_the_history_does():
    editor = LineEditor("hello world, a longword")
    rows, row, column, top = editor.layout(8, 10, 10)
    assert rows == ["hello ", "world, a ", "longword"]
    assert (row, column) == (2, 8)  # the cursor at the end, on the last row
    editor.cursor = 6  # on the w of world: the start of the second row
    assert editor.layout(8, 10, 10)[1:3] == (1, 0)
    assert LineEditor("x" * 25).layout(8, 10, 10)[0] == ["x" * 8, "x" * 10, "x" * 7]  # no space


def test_beyond_the_most_rows_the_area_scrolls_to_keep_the_cursor_in_view():
    editor = LineEditor("".join(f"{i:02d}" for i in range(50)))  # 100 characters
    rows, row, column, top = editor.layout(10, 10, 3)
    assert rows == ["4041424344", "4546474849", ""] and (row, column, top) == (2, 0, 8)
    editor.home()
    rows, row, column, top = editor.layout(10, 10, 3)
    assert top == 0 and (row, column) == (0, 0) and rows[0] == "0001020304"


def test_line_breaks_show_as_a_mark_in_the_area():
    rows, _, _, _ = LineEditor("a\nb").layout(10, 10, 3)
    assert rows == ["a\u00b6b"]
