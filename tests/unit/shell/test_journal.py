"""Tests of shell/journal.py: session files written, read back, cut short, damaged, foreign, private."""

import os

import pytest

from _chat_curses.shell.journal import (
    InUse,
    Journal,
    SessionError,
    load,
    session_path,
    state_folder,
)
from _chat_curses.wire.delivery import Delivery
from _chat_curses.wire.events import Role

from .helpers import SECRET, chat_with, new_saved

pytestmark = pytest.mark.usefixtures("state_home")


def test_a_journal_is_read_back_as_written():
    journal = Journal.create(new_saved())
    delivery = Delivery()
    for number in (1, 2, 3):
        delivery.keep(number, f'{{"type":"message","seq":{number}}}'.encode())
    delivery.received = 2
    delivery.acknowledge(1)
    journal.line("<t> [user]: hello", "own")
    journal.sync(chat_with(delivery, Role.SERVER), 1005.0)
    journal.close(delete=False)
    saved = load(session_path(Role.CLIENT, "127.0.0.1", 8000), Role.CLIENT, "127.0.0.1", 8000)
    assert saved.chat.secret == SECRET and saved.chat.peer == "server"
    assert saved.chat.turn is Role.SERVER
    assert saved.lines == [("Connection established.", "system"), ("<t> [user]: hello", "own")]
    kept = saved.chat.delivery
    assert (kept.sent, kept.received, kept.acked) == (3, 2, 1)
    assert kept.to_resend() == delivery.to_resend()
    assert saved.contact == 1005.0


def test_the_folder_and_the_file_are_private(state_home):
    Journal.create(new_saved()).close(delete=False)
    assert state_folder() == state_home / "chat-curses"
    assert oct(state_folder().stat().st_mode & 0o777) == "0o700"
    path = session_path(Role.CLIENT, "127.0.0.1", 8000)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_record_cut_short_by_a_crash_is_ignored():
    journal = Journal.create(new_saved())
    journal.line("kept", "system")
    journal.close(delete=False)
    path = session_path(Role.CLIENT, "127.0.0.1", 8000)
    with open(path, "ab") as file:
        file.write(b'{"line":"cut sh')  # kill -9 in the middle of a write
    saved = load(path, Role.CLIENT, "127.0.0.1", 8000)
    assert saved.lines[-1] == ("kept", "system")


def test_appending_costs_the_same_in_a_long_chat(monkeypatch):
    journal = Journal.create(new_saved())
    delivery = Delivery()
    written = []
    real_write = os.write
    monkeypatch.setattr("_chat_curses.shell.journal.os.write", lambda fd, data: written.append(len(data)) or real_write(fd, data))
    for number in range(1, 2001):
        delivery.keep(number, b'{"type":"message"}')
        delivery.acknowledge(number - 1)
        journal.sync(chat_with(delivery, Role.SERVER if number % 2 else Role.CLIENT), 1000.0)
    # what is new, never the whole history (the numbers grow a digit or two)
    assert max(written[-100:]) <= max(written[:100]) + 16


@pytest.mark.parametrize("content, complaint", [
    (b"", "not a chat_curses session"),
    (b"not json\n", "damaged"),
    (b'{"chat_curses_session": 99}\n', "not a chat_curses session"),
    (b'{"chat_curses_session": 2, "role": "client"}\n', "damaged"),
])
def test_a_damaged_file_is_a_session_error(content, complaint):
    path = session_path(Role.CLIENT, "127.0.0.1", 8000)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(SessionError, match=complaint):
        load(path, Role.CLIENT, "127.0.0.1", 8000)


def test_a_foreign_file_is_a_session_error():
    Journal.create(new_saved(port=9000)).close(delete=False)
    path = session_path(Role.CLIENT, "127.0.0.1", 9000)
    with pytest.raises(SessionError, match="another chat"):
        load(path, Role.CLIENT, "127.0.0.1", 8000)


def test_a_file_in_use_by_another_program_is_not_taken():
    journal = Journal.create(new_saved())
    with pytest.raises(InUse):
        Journal.claim(journal.path)
    journal.close(delete=False)
    Journal.claim(journal.path).close(delete=True)
    assert not journal.path.exists()


def test_hosts_become_safe_file_names():
    path = session_path(Role.SERVER, "fe80::1%eth0", 8000)
    assert path.name == "server-fe80__1_eth0-8000.session"
