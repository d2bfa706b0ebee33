"""Tests of keyinput.py: bracketed pastes found in the key stream, however it is split."""

import curses

import pytest

from keyinput import MAX_PASTE_CHARS, PASTE_END, PASTE_START, Paste, PasteDecoder


def decode(*batches):
    decoder = PasteDecoder()
    out = []
    for batch in batches:
        out += decoder.feed(list(batch))
    return out, decoder


def test_plain_keys_pass_through():
    assert decode(["a", "b", curses.KEY_LEFT, "\r"])[0] == ["a", "b", curses.KEY_LEFT, "\r"]


def test_a_paste_becomes_one_event_with_newlines():
    out, decoder = decode(PASTE_START + "line one\rline two\r\nthree" + PASTE_END)
    assert out == [Paste("line one\nline two\nthree")]
    assert not decoder.in_paste


@pytest.mark.parametrize("split", range(1, 40))
def test_a_paste_split_anywhere_is_the_same(split):
    stream = "x" + PASTE_START + "a\rb\x1b[31m" + PASTE_END + "y"
    out, _ = decode(stream[:split], stream[split:])
    assert out == ["x", Paste("a\nb\x1b[31m"), "y"]


def test_a_paste_fed_one_key_at_a_time():
    stream = PASTE_START + "hi\rthere" + PASTE_END
    out, _ = decode(*[[key] for key in stream])
    assert out == [Paste("hi\nthere")]


def test_an_esc_that_is_not_a_marker_is_passed_on_with_what_follows():
    out, _ = decode(["\x1b", "[", "2", "x", "a"])
    assert out == ["\x1b", "[", "2", "x", "a"]


def test_an_esc_before_a_function_key():
    out, _ = decode(["\x1b", curses.KEY_UP])
    assert out == ["\x1b", curses.KEY_UP]


def test_a_lone_esc_waits_for_the_next_key():
    out, decoder = decode(["\x1b"])
    assert out == []
    assert decoder.feed(["q"]) == ["\x1b", "q"]


def test_a_partial_end_marker_inside_a_paste_is_text():
    out, _ = decode(PASTE_START + "a\x1b[20b" + PASTE_END)
    assert out == [Paste("a\x1b[20b")]


def test_an_esc_right_before_the_end_marker():
    out, _ = decode(PASTE_START + "a\x1b" + PASTE_END)
    assert out == [Paste("a\x1b")]


def test_function_keys_inside_a_paste_are_dropped():
    out, _ = decode([*PASTE_START, "a", curses.KEY_LEFT, "b", *PASTE_END])
    assert out == [Paste("ab")]


def test_an_unfinished_paste_holds_its_text():
    out, decoder = decode(PASTE_START + "half")
    assert out == [] and decoder.in_paste
    assert decoder.feed(list(" done" + PASTE_END)) == [Paste("half done")]


def test_a_huge_paste_is_cut():
    out, _ = decode(PASTE_START + "z" * (MAX_PASTE_CHARS + 5000) + PASTE_END)
    assert len(out[0].text) == MAX_PASTE_CHARS


def test_two_pastes_in_a_row():
    out, _ = decode(PASTE_START + "one" + PASTE_END + PASTE_START + "two" + PASTE_END)
    assert out == [Paste("one"), Paste("two")]
