"""Tests of chat/lines.py: the lines the chat shows, and the notes of strangers turned away."""

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
