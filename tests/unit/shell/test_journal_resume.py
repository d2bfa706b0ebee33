"""Two sides, each with its session file, through crashes and resumes: the digest
a file reads back after a kill -9 is the one its chat had at the last sync, and
once everything is delivered again both sides agree on every message and digest.

The sides are the real ``Protocol`` and ``Journal``, synced where the program
syncs them (before the wire for what we send, after the draw for what came); the
link between them is a list of frames on their way, lost when it drops.
"""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _chat_curses.chat.saved import parse
from _chat_curses.shell.journal import Journal
from _chat_curses.wire.events import NEED_DATA, Hello, Message, Ping, Role
from _chat_curses.wire.protocol import Protocol

from ..shared import SECRET, conversation_digest, pair
from .helpers import killed_and_taken_up, new_saved

pytestmark = pytest.mark.usefixtures("state_home")


class Side:
    """One program: its protocol (None while the link is down), its chat, its file."""

    def __init__(self, protocol: Protocol) -> None:
        self.role, self.protocol, self.chat = protocol.our_role, protocol, protocol.chat
        self.delivered: list[tuple[str, int, int, str]] = []  # what its digest chains
        saved = new_saved(role=self.role, chat=self.chat, name=self.role.value)
        self.journal = Journal.create(saved, "127.0.0.1")
        self.clock = 1000.0
        self.sync()

    def sync(self) -> None:
        """As the program syncs: what the file must read back until the next one."""
        self.clock += 0.5
        self.journal.sync(self.chat, self.clock)
        delivery = self.chat.delivery
        self.synced = (list(self.delivered), delivery.sent, delivery.received,
                       dict(delivery.unacked))

    def read_back(self):
        saved = parse(self.journal.path.read_bytes(), self.role, 8000, time.time())
        delivered, sent, received, unacked = self.synced
        assert saved.chat.digest == conversation_digest(delivered)
        assert (saved.chat.delivery.sent, saved.chat.delivery.received) == (sent, received)
        assert saved.chat.delivery.unacked == unacked
        return saved

    def killed(self) -> None:
        """kill -9 and started again: the file taken up as the keeper takes it up."""
        self.read_back()
        self.journal, saved = killed_and_taken_up(self.journal)
        self.chat, self.delivered, self.protocol = saved.chat, list(self.synced[0]), None


def dropped(client: Side, server: Side, way: dict) -> None:
    """The connection is gone, and what was on its way with it."""
    way[Role.CLIENT].clear()
    way[Role.SERVER].clear()
    client.protocol = server.protocol = None


def connected(client: Side, server: Side, way: dict) -> None:
    """A new connection, the chat resumed on it: hellos, then what each side's partner lacks."""
    dropped(client, server, way)  # (the old one, if any)
    for side in (client, server):
        side.protocol = Protocol(side.role, resume_secret=SECRET)
        side.protocol.take_up(side.chat)
    server.protocol.receive_data(client.protocol.send(client.protocol.hello("client")))
    assert isinstance(server.protocol.next_event(), Hello)
    client.protocol.receive_data(server.protocol.send(server.protocol.hello("server")))
    assert isinstance(client.protocol.next_event(), Hello)
    for side in (client, server):
        again = side.protocol.resend()
        side.sync()
        if again:  # (b"" would be the end of the connection)
            way[side.role.other].append(again)


def take(side: Side, way: dict, most: int | None = None) -> None:
    """What is on its way to ``side`` arrives (``most`` frames of it), then the draw's sync."""
    if side.protocol is None:
        return
    arriving = way[side.role][:most]
    del way[side.role][:len(arriving)]
    for data in arriving:
        side.protocol.receive_data(data)
        while (event := side.protocol.next_event()) is not NEED_DATA:
            if isinstance(event, Message):
                side.delivered.append((side.role.other.value, event.seq, event.sent, event.text))
    side.sync()


_STEPS = st.lists(st.sampled_from([
    "client says", "server says", "to client", "to server", "one to client", "one to server",
    "client pings", "server pings", "link drops", "client killed", "server killed",
    "reconnect", "client posts while down", "server posts while down"]), max_size=50)


@settings(max_examples=150, deadline=None)
@given(_STEPS)
def test_two_sides_killed_anywhere_resume_with_the_same_messages_and_digest(steps):
    client, server = (Side(protocol) for protocol in pair())
    sides = {"client": client, "server": server}
    way = {Role.CLIENT: [], Role.SERVER: []}  # frames on their way to each
    said = 0
    try:
        for step in steps:
            who, _, what = step.partition(" ")
            side = sides.get(who)
            if what in ("says", "posts while down"):
                said += 1
                message = Message(f"{who} {said}", 1_700_000_000 + said)
                if what == "says" and side.protocol is not None and side.protocol.our_turn:
                    data = side.protocol.send(message)
                elif what != "says" and side.protocol is None and side.chat.turn is side.role:
                    side.chat.post(message, side.role)
                    data = None
                else:
                    continue
                side.delivered.append((who, side.chat.delivery.sent, message.sent, message.text))
                side.sync()  # on disk before the wire
                if data is not None:
                    way[side.role.other].append(data)
            elif what == "pings" and side.protocol is not None:
                data = side.protocol.send(Ping())  # (it acknowledges what came)
                side.sync()
                way[side.role.other].append(data)
            elif what == "killed":
                side.killed()
                dropped(client, server, way)  # (its connection went with it)
            elif step == "link drops":
                dropped(client, server, way)
            elif step == "reconnect" and client.protocol is None:
                connected(client, server, way)
            elif step.startswith("one to") or step.startswith("to"):
                take(sides[step.rsplit(" ", 1)[1]], way, 1 if step.startswith("one") else None)
        for side in (client, server):
            side.read_back()
        connected(client, server, way)  # everything delivered at last
        for side in (client, server, client, server):
            take(side, way)
        assert client.delivered == server.delivered
        assert client.chat.digest == server.chat.digest == conversation_digest(client.delivered)
        for side in (client, server):
            side.read_back()
    finally:
        for side in (client, server):
            side.journal.close(delete=True)
