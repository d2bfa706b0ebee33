"""What the core's tests share: a core in a chat, with a partner's Protocol to talk to it.

No pty and no socket: the partner is a ``Protocol`` on the other side, which
decodes what the core sends and encodes what it receives.
"""

from _chat_curses.chat.core import ChatCore
from _chat_curses.chat.setup import Settings
from _chat_curses.wire.events import NEED_DATA, Hello, Role
from _chat_curses.wire.protocol import Protocol

T = 1000.0  # a monotonic clock of our own


def no_jitter():
    """The redial delay's random factor, fixed at 1."""
    return 1.0


def texts(core):
    return [line.text for line in core.history.lines]


def typed(core, text, now=T):
    """Type ``text`` then Enter, as separate reads (so the Enter is not taken for a paste)."""
    core.on_items([text], now)
    core.on_items(["\r"], now)


def connected(role=Role.CLIENT, heartbeat=5.0, window=300.0, typing=False):
    """A core in a chat with a partner whose Protocol decodes what the core sends."""
    core = ChatCore(Settings(role=role, host="127.0.0.1", port=8000, resume_window=window,
                             name="user" if role is Role.CLIENT else "server", heartbeat=heartbeat,
                             typing_notice=typing, code=""), jitter=no_jitter)
    core.start()
    ours, theirs = Protocol(role), Protocol(role.other)
    client, server = (ours, theirs) if role is Role.CLIENT else (theirs, ours)
    server.receive_data(client.send(Hello("user")))
    server.next_event()
    client.receive_data(server.send(Hello("server")))
    client.next_event()
    core.reach.connected(ours, "127.0.0.1:8000", T)
    return core, theirs


def reconnect(core, partner):
    """A new connection for the core's chat, as a resume makes one: a new Protocol on
    each side takes its chat up; the handshake is done. The partner's new Protocol."""
    ours, theirs = Protocol(core.role), Protocol(core.role.other)
    ours.take_up(core.chat)
    theirs.take_up(partner.chat)
    client, server = (ours, theirs) if core.role is Role.CLIENT else (theirs, ours)
    server.receive_data(client.send(client.hello("user")))
    server.next_event()
    client.receive_data(server.send(server.hello("server")))
    client.next_event()
    assert ours.resumed and ours.established
    return ours, theirs


def deliver(core, partner, event, now=T):
    """The partner sends ``event``: its bytes go through the core's Protocol, as the shell does."""
    core.protocol.receive_data(partner.send(event))
    while (decoded := core.protocol.next_event()) is not NEED_DATA:
        core.received(decoded, now)


def sent(core, partner):
    """What the core sent since last asked, as the partner decodes it."""
    for data in core.outgoing:
        partner.receive_data(data)
    core.outgoing.clear()
    events = []
    while (event := partner.next_event()) is not NEED_DATA:
        events.append(event)
    return events
