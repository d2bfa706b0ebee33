"""Tests of text/keys.py: the keyboard's bytes as keys, text and pastes, however they are split."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _chat_curses.limits import MAX_TYPED_CHARS as MAX_TYPED_CHARS
from _chat_curses.text.keys import PASTE_END, PASTE_START, Key, KeyDecoder, Paste


def decode(*chunks, flush=False):
    """Feed the chunks (str is sent as UTF-8); return what came out, joined, and the decoder."""
    decoder = KeyDecoder()
    out = []
    for chunk in chunks:
        out += decoder.feed(chunk.encode() if isinstance(chunk, str) else chunk)
    if flush:
        out += decoder.flush()
    return joined(out), decoder


def joined(items):
    """Neighbouring runs of text as one string, as a person would read them."""
    out = []
    for item in items:
        if (isinstance(item, str) and out and isinstance(out[-1], str)
                and _is_text(item) and _is_text(out[-1])):
            out[-1] += item
        else:
            out.append(item)
    return out


def _is_text(item):
    return not (len(item) == 1 and (ord(item) < 0x20 or 0x7F <= ord(item) < 0xA0))


def every_split(data: bytes):
    for split in range(len(data) + 1):
        yield data[:split], data[split:]


# --- text ------------------------------------------------------------------------


def test_text_comes_as_one_run_and_controls_alone():
    assert decode("hello\rwor\x7fld")[0] == ["hello", "\r", "wor", "\x7f", "ld"]


def test_a_character_split_between_reads_comes_out_whole():
    data = "é漢😀".encode()
    for head, tail in every_split(data):
        assert decode(head, tail)[0] == ["é漢😀"]


def test_an_invalid_byte_becomes_a_replacement_and_the_rest_is_kept():
    assert decode(b"caf\xe9 au lait, 0123")[0] == ["caf\ufffd au lait, 0123"]
    assert decode(b"caf\xe9", b" au lait")[0] == ["caf\ufffd au lait"]


def test_a_truncated_character_at_the_very_end_is_replaced_on_flush():
    out, decoder = decode(b"ok\xe6\xbc")
    assert out == ["ok"]
    assert decoder.flush() == ["\ufffd"]


def test_space_separators_are_text():
    assert decode("a\u00a0b\u3000c\u2009d")[0] == ["a\u00a0b\u3000c\u2009d"]


# --- keys in every form -----------------------------------------------------------

FORMS = {
    "\x1b[A": "up", "\x1b[B": "down", "\x1b[C": "right", "\x1b[D": "left",
    "\x1bOA": "up", "\x1bOB": "down", "\x1bOC": "right", "\x1bOD": "left",
    "\x1b[H": "home", "\x1b[F": "end", "\x1bOH": "home", "\x1bOF": "end",
    "\x1b[1~": "home", "\x1b[7~": "home", "\x1b[4~": "end", "\x1b[8~": "end",
    "\x1b[3~": "delete", "\x1b[2~": "insert", "\x1b[5~": "page_up", "\x1b[6~": "page_down",
    "\x1b[1;5C": "ctrl-right", "\x1b[1;5D": "ctrl-left", "\x1b[1;3D": "alt-left",
    "\x1b[3;5~": "ctrl-delete", "\x1b[1;2C": "right", "\x1bO5C": "ctrl-right",
    "\x1bb": "alt-b", "\x1bf": "alt-f", "\x1bd": "alt-d", "\x1b\x7f": "alt-backspace",
}


@pytest.mark.parametrize("sequence, name", FORMS.items())
def test_every_form_of_a_key_split_at_every_byte(sequence, name):
    data = ("x" + sequence + "y").encode()
    for head, tail in every_split(data):
        assert decode(head, tail)[0] == ["x", Key(name), "y"], (head, tail)


def test_keypad_enter_is_enter():
    assert decode("a\x1bOM")[0] == ["a", "\r"]


@pytest.mark.parametrize("sequence", [
    "\x1b[15~", "\x1b[24;5~", "\x1bOP", "\x1b[[A", "\x1b[97;5u", "\x1b[27;5;13~",
    "\x1b[?1;2c", "\x1b[I", "\x1b[>0;95;0c", "\x1b[201~", "\x1b[1;5P", "\x1b[Z",
])
def test_unknown_sequences_never_land_in_the_text(sequence):
    data = ("ab" + sequence + "cd").encode()
    for head, tail in every_split(data):
        assert decode(head, tail)[0] == ["abcd"], (head, tail)


def test_an_overlong_unfinished_sequence_is_dropped_whole():
    assert decode("a\x1b[" + "1;" * 40 + "\rb")[0] == ["a", "\r", "b"]


def test_a_lone_esc_waits_then_is_the_esc_key():
    out, decoder = decode("\x1b")
    assert out == [] and decoder.pending
    assert decoder.flush() == [Key("escape")]
    assert not decoder.pending


def test_an_esc_whose_sequence_never_ends_is_dropped_on_flush():
    out, decoder = decode("a\x1b[1;")
    assert out == ["a"] and decoder.pending
    assert decoder.flush() == []


def test_esc_esc_is_one_esc_key_then_the_next():
    assert decode("\x1b\x1b[A")[0] == [Key("escape"), Key("up")]


# --- pastes -----------------------------------------------------------------------


def test_a_paste_becomes_one_event_with_newlines():
    out, decoder = decode(PASTE_START + "line one\rline two\r\nthree" + PASTE_END)
    assert out == [Paste("line one\nline two\nthree")]
    assert not decoder.in_paste


def test_a_paste_split_anywhere_is_the_same():
    data = ("x" + PASTE_START + "a\rb\x1b[31mé" + PASTE_END + "y").encode()
    for head, tail in every_split(data):
        assert decode(head, tail)[0] == ["x", Paste("a\nb\x1b[31mé"), "y"], (head, tail)


def test_a_paste_fed_one_byte_at_a_time():
    data = (PASTE_START + "hi\rthere é" + PASTE_END).encode()
    assert decode(*[bytes([b]) for b in data])[0] == [Paste("hi\nthere é")]


def test_a_partial_end_marker_inside_a_paste_is_text():
    assert decode(PASTE_START + "a\x1b[20b" + PASTE_END)[0] == [Paste("a\x1b[20b")]


def test_an_esc_right_before_the_end_marker():
    assert decode(PASTE_START + "a\x1b" + PASTE_END)[0] == [Paste("a\x1b")]


def test_an_unfinished_paste_holds_its_text():
    out, decoder = decode(PASTE_START + "half")
    assert out == [] and decoder.in_paste
    assert decoder.feed((" done" + PASTE_END).encode()) == [Paste("half done")]


def test_a_huge_paste_is_cut():
    out, _ = decode(PASTE_START + "z" * (MAX_TYPED_CHARS + 5000) + PASTE_END)
    assert len(out[0].text) == MAX_TYPED_CHARS


def test_two_pastes_in_a_row():
    out, _ = decode(PASTE_START + "one" + PASTE_END + PASTE_START + "two" + PASTE_END)
    assert out == [Paste("one"), Paste("two")]


# --- any bytes --------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=80), split=st.integers(min_value=0, max_value=80))
def test_any_bytes_in_any_split_decode_to_items_without_raw_escapes(data, split):
    out, _ = decode(data[:split], data[split:], flush=True)
    for item in out:
        assert isinstance(item, (str, Key, Paste))
        if isinstance(item, str):
            assert "\x1b" not in item or len(item) == 1


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.sampled_from(list("ab é漢😀\r") + list(FORMS)), max_size=30),
       split=st.integers(min_value=0, max_value=200))
def test_keys_and_text_come_out_the_same_however_split(pieces, split):
    data = "".join(pieces).encode()
    assert decode(data[:split], data[split:], flush=True)[0] == decode(data, flush=True)[0]
