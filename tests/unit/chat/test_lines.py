"""Tests of chat/lines.py: the lines the chat shows, and the notes of strangers turned away."""

import os
import subprocess
import sys
import time

import pytest

from _chat_curses.chat import lines
from _chat_curses.chat.core import ChatCore as Chat
from _chat_curses.chat.lines import IGNORED_LINES_SHOWN
from _chat_curses.chat.setup import Settings
from _chat_curses.wire.events import Role


def listening():
    """A server whose flags answered the questions: its door is open."""
    chat = Chat(Settings(role=Role.SERVER, host="127.0.0.1", port=8000, name="server"))
    chat.start()
    return chat


def texts(chat):
    return [line.text for line in chat.history.lines]


def test_strangers_are_listed_then_counted_on_one_line():
    chat = listening()
    chat.history.add("Trying to connect to another user...")
    for number in range(1, 8):
        chat.reach.note_ignored(f"10.0.0.{number}:1", "no handshake within 10 s")
    assert IGNORED_LINES_SHOWN == 3
    assert texts(chat) == [
        "Trying to connect to another user...",
        "Ignored connection from 10.0.0.1:1: no handshake within 10 s",
        "Ignored connection from 10.0.0.2:1: no handshake within 10 s",
        "Ignored connection from 10.0.0.3:1: no handshake within 10 s",
        "Ignored 4 more connections; the last from 10.0.0.7:1: no handshake within 10 s",
    ]


def test_one_more_is_said_in_the_singular():
    chat = listening()
    for number in range(1, 5):
        chat.reach.note_ignored(f"10.0.0.{number}:1", "it closed the connection")
    assert texts(chat)[-1] == "Ignored 1 more connection; the last from 10.0.0.4:1: it closed the connection"


def test_a_streak_broken_by_another_line_starts_again():
    chat = listening()
    for number in range(1, 6):
        chat.reach.note_ignored(f"10.0.0.{number}:1", "x")
    chat.history.add("Warning: something else")
    chat.reach.note_ignored("10.0.0.9:1", "x")
    assert texts(chat)[-1] == "Ignored connection from 10.0.0.9:1: x"
    assert sum(text.startswith("Ignored connection") for text in texts(chat)) == 4


def test_a_message_line_shows_a_name_that_draws_as_nothing_with_markers():
    from _chat_curses.chat.lines import format_message

    line = format_message(1681731763, "ser\u034fver\ufe0f", "hello\u00a0there")
    assert line.endswith("[ser<U+034F>ver<U+FE0F>]: hello\u00a0there")


def test_a_running_count_reaches_the_log_once_with_its_last_value():
    logged = []
    chat = listening()
    chat.history.on_add = logged.append
    for number in range(1, 1001):
        chat.reach.note_ignored(f"10.0.0.{number % 250}:{number}", "x")
    assert len(logged) == 3  # the summary is still counting
    chat.history.add("Connection established.")
    assert [line.text for line in logged[3:]] == [
        "Ignored 997 more connections; the last from 10.0.0.0:1000: x",
        "Connection established.",
    ]


# A fresh interpreter per zone (time.tzset there, never in the test run): format_time
# against time.ctime, second by second across hours, summer time's start and end
# (an hour, half an hour), a zone 5:45 from UTC, and times far from now.
CTIME_CHILD = r"""
import random, sys, time
sys.path.insert(0, sys.argv[1])
time.tzset()
from _chat_curses.chat import lines
moments = [0, -1, 86399, 2**31 - 1, 2**31, 253402300799, 1681731763]
for year_start in (1681731763 - 90 * 86400, 1681731763 + 100 * 86400, 951782400, 1711846800):
    moments += range(year_start - 86400 * 200, year_start + 86400 * 200, 900)  # both changes
moments += range(1711846800 - 4000, 1711846800 + 4000)  # second by second, over hours
random.seed(7)
moments += [random.randrange(-2**33, 2**35) for _ in range(20000)]
wrong = [(s, lines.format_time(s), time.ctime(s)) for s in moments
         if lines.format_time(s) != time.ctime(s)]
print("WRONG", wrong[:5], len(wrong))
print("FLOAT", lines.format_time(1681731763.9) == time.ctime(1681731763.9))
"""


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York",
                                  "Australia/Lord_Howe", "Asia/Kathmandu", "America/St_Johns"])
def test_a_time_is_written_as_ctime_writes_it_in_any_zone(zone):
    if not os.path.exists(f"/usr/share/zoneinfo/{zone}"):
        pytest.skip(f"no zone {zone} on this machine")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    done = subprocess.run([sys.executable, "-c", CTIME_CHILD, root], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "TZ": zone})
    assert "WRONG [] 0" in done.stdout, done.stdout + done.stderr
    assert "FLOAT True" in done.stdout


def test_a_second_time_within_the_hour_is_not_converted_again(monkeypatch):
    calls = []
    real = time.ctime
    monkeypatch.setattr(lines, "_hour", (0, 0, "", ""))  # (no hour learnt yet)
    monkeypatch.setattr(time, "ctime", lambda seconds: calls.append(seconds) or real(seconds))
    first = lines.format_time(1681731763)
    assert lines.format_time(1681731763 + 7) == real(1681731763 + 7)
    assert lines.format_time(1681731763 + 1) == real(1681731763 + 1)
    assert calls == [1681731763] and first == real(1681731763)
