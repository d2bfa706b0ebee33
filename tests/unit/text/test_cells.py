"""Tests of text/cells.py: cell widths, clipping, word wrap."""

import pytest

from _chat_curses.text.cells import cell_width, char_width, clip, fit, pad, wrap

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
    ("ab", 2, "ab"), ("ab", 0, ""), ("ab", -3, ""), ("é", 3, "é  "), ("aé", 1, "a"),
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


# --- multi-line messages ----------------------------------------------------------


def test_lines_after_a_newline_are_indented():
    assert wrap("head: one\ntwo\nthree", 20) == ["head: one", "    two", "    three"]


def test_a_long_pasted_line_wraps_within_its_indent():
    assert wrap("h\naaa bbb ccc", 9) == ["h", "    aaa", "    bbb", "    ccc"]


def test_blank_pasted_lines_are_kept():
    assert wrap("a\n\nb", 10) == ["a", "    ", "    b"]


# --- hardening: wrapping is linear whatever the script, and done once --------------


def test_hangul_vowel_and_final_jamo_take_no_cell():
    assert char_width("\u1160") == 0 and char_width("\u11a8") == 0 and char_width("\ud7b0") == 0
    assert cell_width("\u1100\u1161\u11a8") == 2  # one syllable, as terminals draw it


@pytest.mark.parametrize("unit", ["e\u0301 word ", "漢字 ", "😀 ", "Ünïcödé "])
@pytest.mark.parametrize("width", [16, 80])
def test_a_long_line_measures_each_character_a_bounded_number_of_times(monkeypatch, unit, width):
    from _chat_curses.text import cells

    calls = []
    real = cells.char_width
    monkeypatch.setattr(cells, "char_width", lambda c: calls.append(c) or real(c))
    monkeypatch.setattr(cells, "_CELLS", cells._CellTable())
    text = (unit * (64 * 1024 // len(unit)))[:64 * 1024]
    rows = wrap(text, width)
    assert "".join(rows).replace(" ", "") == text.replace(" ", "")
    # each distinct character is measured once, plus a few per row, not the rest of the line per row
    assert len(calls) <= 4 * len(rows) + len(set(text)) + 10
