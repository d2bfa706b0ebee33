"""What the shell's tests share: a saved chat to write and read back, and a chat to sync."""

import os
import time

from _chat_curses.chat.saved import Saved, parse
from _chat_curses.shell.journal import Journal, claim
from _chat_curses.wire.codec import encode
from _chat_curses.wire.events import Message, Role
from _chat_curses.wire.record import ChatRecord

from ..shared import SECRET

PLACE = "127.0.0.1"  # where the saved chat goes


def new_saved(**changes):
    saved = Saved(role=Role.CLIENT, host="127.0.0.1", port=8000, name="user",
                  chat=ChatRecord(SECRET, "server"), peer_address="127.0.0.1:8000", window=300.0,
                  lines=[("Connection established.", "system")], contact=1000.0)
    for name, value in changes.items():
        setattr(saved, name, value)
    return saved


def load(path, role=Role.CLIENT, port=8000):
    """The chat a session file holds, read as the program takes it up (and let go)."""
    fd, data = claim(path)
    os.close(fd)
    return parse(data, role, port, time.time())


def chat_with(delivery, turn=Role.SERVER):
    """A chat record holding ``delivery``, its turn ``turn``, as the journal syncs it."""
    return ChatRecord(SECRET, "server", delivery, turn)


def a_frame(number: int) -> bytes:
    """The frame of our message ``number``, as the session file keeps it."""
    return encode(Message(f"message {number}", 1_700_000_000, number, 0))


def killed_and_taken_up(journal: Journal) -> tuple[Journal, Saved]:
    """The program killed (its file closed, nothing more written: held lines are lost)
    and started again: the file claimed and taken up, as the keeper does."""
    os.close(journal._fd)
    fd, data = claim(journal.path)
    saved = parse(data, journal.role, 8000, time.time())
    return Journal(journal.path, fd, journal.role).take_up(saved), saved
