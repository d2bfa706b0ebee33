"""Tests of shell/app.py's own duties, apart from the screen: what reaches the disk before the wire."""

import os
import sys

import pytest

from _chat_curses.chat.setup import Settings
from _chat_curses.shell.app import App, warm_up_in_background
from _chat_curses.shell.journal import Journal, session_path
from _chat_curses.wire.delivery import Delivery
from _chat_curses.wire.events import Role

from .helpers import PLACE, a_frame, chat_with, load, new_saved

pytestmark = pytest.mark.usefixtures("state_home")


class Recorder:
    def __init__(self, order, what):
        self.order, self.what = order, what

    def __call__(self, *args, **keywords):
        self.order.append(self.what)


def test_what_goes_on_the_wire_is_on_disk_first():
    """A message sent, or one acknowledged, must already be in the session file:
    a crash between the two must never leave the partner ahead of the file."""
    app = App(Settings(role=Role.CLIENT))
    order = []
    app.keeper.save = Recorder(order, "disk")
    app.partner = type("Partner", (), {"write": Recorder(order, "wire")})()
    app.core.outgoing = [b'{"type":"message"}']
    app._carry_out()
    assert order == ["disk", "wire"]


def test_nothing_to_send_costs_no_sync():
    app = App(Settings(role=Role.CLIENT))
    order = []
    app.keeper.save = Recorder(order, "disk")
    app._carry_out()
    assert order == []


def test_lines_wait_for_the_sync_and_go_in_one_write(monkeypatch):
    journal = Journal.create(new_saved(), PLACE)
    writes, syncs = [], []
    real_write = os.write
    monkeypatch.setattr("_chat_curses.shell.journal.os.write", lambda fd, data: writes.append(data) or real_write(fd, data))
    monkeypatch.setattr("_chat_curses.shell.journal.os.fdatasync", lambda fd: syncs.append(fd))
    journal.line("<t> [user]: one", "own")
    journal.line("<t> [peer]: two", "peer")
    assert writes == [] and syncs == []
    delivery = Delivery()
    delivery.keep(1, a_frame(1))
    journal.sync(chat_with(delivery, Role.SERVER), 1000.0)
    assert len(writes) == 1 and syncs == []  # written: a killed program keeps it
    journal.flush()
    assert len(syncs) == 1  # on the disk: so does a crashed machine
    journal.sync(chat_with(delivery, Role.SERVER), 1000.0)  # nothing new: no write, no sync
    journal.flush()
    assert len(writes) == 1 and len(syncs) == 1
    journal.line("<t> [peer]: three", "peer")
    journal.close(delete=False)  # what is held is written when the file is closed
    saved = load(session_path(Role.CLIENT, PLACE, 8000))
    assert [text for text, _ in saved.lines][-3:] == ["<t> [user]: one", "<t> [peer]: two",
                                                      "<t> [peer]: three"]


def test_the_file_is_synced_per_message_at_a_persons_pace_and_once_a_second_in_a_burst(monkeypatch):
    from _chat_curses.shell.keeper import SessionKeeper

    from ..chat.helpers import connected, typed

    syncs = []
    monkeypatch.setattr("_chat_curses.shell.journal.os.fdatasync", lambda fd: syncs.append(fd))
    core, _ = connected()
    keeper = SessionKeeper(core, core.settings)
    keeper.start()
    core.history.on_add = keeper.line  # as App does
    typed(core, "one")
    keeper.flush(100.0)
    assert len(syncs) == 1 and keeper.sync_due is None  # the first at once
    core.outgoing.clear()
    core.history.add("a line", "system")
    keeper.flush(100.3)  # a burst: held for the rest of the second
    assert len(syncs) == 1 and keeper.sync_due == 101.0
    keeper.flush(100.9)
    assert len(syncs) == 1
    keeper.flush(101.0)  # due: synced
    assert len(syncs) == 2 and keeper.sync_due is None
    keeper.flush(105.0)  # nothing new: nothing to sync
    assert len(syncs) == 2 and keeper.sync_due is None
    core.history.add("later, at a person's pace", "system")
    keeper.flush(109.0)
    assert len(syncs) == 3


def test_the_warm_up_is_waited_for_on_the_way_out_and_loads_the_handshakes_modules():
    """A daemon thread stopped by the interpreter's exit inside the Rust extension's
    import aborts the process ("FATAL: exception not rethrown", exit -6 instead of
    130 after Ctrl-C): the warm-up must be a thread the interpreter joins."""
    thread = warm_up_in_background()
    assert not thread.daemon
    thread.join(10)
    assert not thread.is_alive()
    assert "spake2" in sys.modules and "cryptography.hazmat.primitives.ciphers.aead" in sys.modules
