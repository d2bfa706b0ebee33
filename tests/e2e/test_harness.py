"""The harness itself: its screen must show what xterm would, or the tests read
rows a real terminal scrolled away (tests/e2e/terminal.py, XtermScreen)."""

import subprocess

import pytest

from .terminal import XtermScreen, XtermStream


def render(data: bytes, rows: int = 6, cols: int = 10) -> list[str]:
    screen = XtermScreen(cols, rows)
    XtermStream(screen).feed(data)
    return [line.rstrip() for line in screen.display]


def lines(*rows: str) -> bytes:
    return b"".join(b"\x1b[%d;1H%s" % (number, row.encode()) for number, row in enumerate(rows, 1))


def test_scroll_up_within_the_region_moves_rows_up_and_leaves_blanks_at_its_bottom():
    data = lines("a", "b", "c", "d", "e", "f") + b"\x1b[2;5r\x1b[2S"  # region: rows 2 to 5
    assert render(data) == ["a", "d", "e", "", "", "f"]


def test_scroll_down_within_the_region_moves_rows_down_and_leaves_blanks_at_its_top():
    data = lines("a", "b", "c", "d", "e", "f") + b"\x1b[1;5r\x1b[3T"
    assert render(data) == ["", "", "", "a", "b", "f"]


def test_a_scroll_larger_than_the_region_empties_it():
    data = lines("a", "b", "c", "d", "e", "f") + b"\x1b[9S"
    assert render(data) == [""] * 6


def test_repeat_draws_the_last_character_again():
    assert render(b"\x1b[1;1Hx\x1b[4b")[0] == "xxxxx"


@pytest.mark.parametrize("capability, sequence", [("indn", rb"\E[%p1%dS"), ("rin", rb"\E[%p1%dT"),
                                                  ("rep", rb"%p1%c\E[%p2%{1}%-%db")])
def test_these_are_the_sequences_xterm_s_description_gives(capability, sequence):
    try:
        found = subprocess.run(["infocmp", "-1", "xterm"], capture_output=True).stdout
    except FileNotFoundError:
        pytest.skip("no infocmp here")
    assert b"\t%s=%s," % (capability.encode(), sequence) in found
