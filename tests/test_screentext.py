"""Tests of screentext.py: cell widths, clipping, word wrap, the history's rows."""

import pytest

from screentext import History, cell_width, char_width, clip, fit, pad, wrap

E_ACUTE = "e\u0301"  # e + combining acute: one cell
WIDE = "漢"  # two cells
EMOJI = "😀"  # two cells


@pytest.mark.parametrize("char, width", [
    ("a", 1), (" ", 1), ("é", 1), ("\u0301", 0), ("\u20dd", 0), ("\ufe0f", 0),
    (WIDE, 2), ("ｱ", 1), ("Ａ", 2), (EMOJI, 2), ("한", 2),
])
def test_char_width(char, width):
    assert char_width(char) == width


@pytest.mark.parametrize("text, width", [
    ("", 0), ("hello", 5), ("漢字", 4), (E_ACUTE * 3, 3), ("a😀b", 4),
])
def test_cell_width(text, width):
    assert cell_width(text) == width


@pytest.mark.parametrize("text, cells, expected", [
    ("hello", 3, "hel"),
    ("hello", 0, ""),
    ("hello", -1, ""),
    ("hello", 99, "hello"),
    ("漢字", 3, "漢"),  # the second wide character would straddle the edge
    ("漢字", 1, ""),
    ("a漢", 2, "a"),
    (E_ACUTE + "x", 1, E_ACUTE),  # the mark stays with its base
    ("ab" + "\u0301\u0302", 2, "ab\u0301\u0302"),
    ("😀😀", 3, "😀"),
])
def test_clip_never_splits_a_character(text, cells, expected):
    assert clip(text, cells) == expected
    assert cell_width(clip(text, cells)) <= max(cells, 0)


def test_fit_includes_trailing_marks():
    assert fit("a\u0301\u0301b", 1) == 3


@pytest.mark.parametrize("text, cells, expected", [
    ("ab", 4, "ab  "), ("abcdef", 4, "abcd"), ("漢字", 3, "漢 "), ("", 2, "  "),
])
def test_pad(text, cells, expected):
    assert pad(text, cells) == expected


# --- wrap --------------------------------------------------------------------


def test_short_line_is_one_row():
    assert wrap("hello", 10) == ["hello"]


def test_wraps_at_spaces_with_an_indent():
    assert wrap("the quick brown fox jumps", 12) == ["the quick", "    brown", "    fox", "    jumps"]


def test_long_word_is_broken_between_characters():
    # at 4 cells the indent shrinks to 1 so that a row still holds text
    assert wrap("abcdefghij", 4) == ["abcd", " efg", " hij"]


@pytest.mark.parametrize("width", range(1, 30))
@pytest.mark.parametrize("text", [
    "<Mon Apr 17 11:42:43 2023> [user]: hello there, how are you today?",
    "漢字かな交じり文の折り返しを確かめる、とても長い一行のテキストです",
    "😀😁😂🤣 emoji and words mixed 😃😄 together",
    "e\u0301" * 40,
    "mixed 漢字 and e\u0301 marks and ｱｲｳ halfwidth",
    "a" * 100,
])
def test_wrap_keeps_every_character_and_fits_rows(text, width):
    rows = wrap(text, width)
    for row in rows:
        # a row is over width only when one character is wider than the row itself
        assert cell_width(row) <= width or (width == 1 and cell_width(row.strip()) == 2)
    assert "".join(rows).replace(" ", "") == text.replace(" ", "")


def test_wrap_never_separates_marks_from_their_base():
    for width in range(1, 10):
        for row in wrap("ae\u0301\u0302b" * 5, width):
            assert not row.lstrip(" ").startswith(("\u0301", "\u0302"))


def test_wide_character_at_the_edge_moves_to_the_next_row():
    assert wrap("abc漢", 4) == ["abc", " 漢"]
    assert wrap("漢字漢字", 5) == ["漢字", "  漢", "  字"]


def test_zero_width_gives_no_rows():
    assert wrap("hello", 0) == []


def test_narrow_screens_shrink_the_indent():
    assert wrap("aa bb cc", 3) == ["aa", " bb", " cc"]
    assert wrap("aa bb cc", 2) == ["aa", "bb", "cc"]


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
    import screentext

    real_wrap = screentext.wrap
    monkeypatch.setattr(screentext, "wrap", lambda *a, **k: wrapped.append(1) or real_wrap(*a, **k))
    rows = history.last_rows(80, 22)
    assert len(rows) == 22 and rows[-1][0] == "message number 99999"
    assert len(wrapped) == 22


# --- multi-line messages ----------------------------------------------------------


def test_lines_after_a_newline_are_indented():
    assert wrap("head: one\ntwo\nthree", 20) == ["head: one", "    two", "    three"]


def test_a_long_pasted_line_wraps_within_its_indent():
    assert wrap("h\naaa bbb ccc", 9) == ["h", "    aaa", "    bbb", "    ccc"]


def test_blank_pasted_lines_are_kept():
    assert wrap("a\n\nb", 10) == ["a", "    ", "    b"]


def test_as_text_indents_for_a_plain_terminal():
    from screentext import Line

    assert Line("<t> [u]: one\ntwo").as_text() == "<t> [u]: one\n    two"


def test_history_tells_of_every_line():
    told = []
    history = History(on_add=told.append)
    history.add("a", "own")
    history.replace_last("b")
    assert [(line.text, line.kind) for line in told] == [("a", "own"), ("b", "system")]


# --- scrollback --------------------------------------------------------------------

from screentext import Scrollback


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


# --- hardening: wrapping is linear whatever the script, and done once --------------


def test_hangul_vowel_and_final_jamo_take_no_cell():
    assert char_width("\u1160") == 0 and char_width("\u11a8") == 0 and char_width("\ud7b0") == 0
    assert cell_width("\u1100\u1161\u11a8") == 2  # one syllable, as terminals draw it


@pytest.mark.parametrize("unit", ["e\u0301 word ", "漢字 ", "😀 ", "Ünïcödé "])
@pytest.mark.parametrize("width", [16, 80])
def test_a_long_line_measures_each_character_a_bounded_number_of_times(monkeypatch, unit, width):
    import screentext

    calls = []
    real = screentext.char_width
    monkeypatch.setattr(screentext, "char_width", lambda c: calls.append(c) or real(c))
    monkeypatch.setattr(screentext, "_CELLS", screentext._CellTable())
    text = (unit * (64 * 1024 // len(unit)))[:64 * 1024]
    rows = wrap(text, width)
    assert "".join(rows).replace(" ", "") == text.replace(" ", "")
    # each distinct character is measured once, plus a few per row, not the rest of the line per row
    assert len(calls) <= 4 * len(rows) + len(set(text)) + 10


def test_a_line_already_wrapped_at_a_width_is_not_wrapped_again(monkeypatch):
    import screentext

    history = History()
    history.add("é" + "word " * 13_000, "peer")
    history.add("newest")
    wrapped = []
    real_wrap = screentext.wrap
    monkeypatch.setattr(screentext, "wrap", lambda *a, **k: wrapped.append(a[1]) or real_wrap(*a, **k))
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
