"""Tests of wire/delivery.py and of the protocol's numbering, acknowledging and resuming.

Every message carries a number per direction and an acknowledgement; the
outbox keeps what is not acknowledged; a new connection resumes the chat
and sends the rest again; duplicates are ignored and gaps refused, through
every split of the byte stream.
"""

import pytest

from _chat_curses.wire.delivery import DUPLICATE, NEW, Delivery, SequenceError
from _chat_curses.wire.events import NEED_DATA, Message, Ping, RemoteProtocolError, Role
from _chat_curses.wire.protocol import Protocol, State
from _chat_curses.wire.record import ChatRecord

T0 = 1681731763
RESUME_SECRET = bytes(range(32))  # what the handshake gives a new chat, on both sides


def events(protocol, data, split=None):
    """Feed ``data`` (in two parts at ``split``, or byte by byte when split is -1); the events."""
    parts = [data] if split is None else (
        [data[i:i + 1] for i in range(len(data))] if split == -1 else [data[:split], data[split:]])
    found = []
    for part in parts:
        protocol.receive_data(part)
        while (event := protocol.next_event()) is not NEED_DATA:
            found.append(event)
    return found


def hellos(client, server, split=None):
    for sender, receiver in [(client, server), (server, client)]:
        events(receiver, sender.send(sender.hello(sender.our_role.value)), split)
    assert client.established and server.established


def new_chat():
    client = Protocol(Role.CLIENT, resume_secret=RESUME_SECRET)
    server = Protocol(Role.SERVER, resume_secret=RESUME_SECRET)
    hellos(client, server)
    return client, server


# --- Delivery alone --------------------------------------------------------------


def test_numbers_acknowledgements_and_the_outbox():
    delivery = Delivery()
    for number in (1, 2, 3):
        delivery.keep(number, f"frame {number}".encode())
    assert delivery.waiting == 3
    delivery.acknowledge(2)
    assert delivery.to_resend() == [b"frame 3"] and delivery.acked == 2
    delivery.acknowledge(1)  # an old acknowledgement changes nothing
    assert delivery.waiting == 1
    with pytest.raises(SequenceError):
        delivery.acknowledge(4)  # more than was ever sent


def test_the_receiver_takes_the_next_ignores_what_it_has_and_refuses_a_gap():
    delivery = Delivery()
    assert [delivery.accept(1), delivery.accept(2), delivery.accept(1)] == [NEW, NEW, DUPLICATE]
    with pytest.raises(SequenceError, match="missing"):
        delivery.accept(4)


# --- the protocol numbers and acknowledges ---------------------------------------


@pytest.mark.parametrize("split", [None, -1, 5, 40])
def test_messages_are_numbered_per_direction_and_acknowledged(split):
    client, server = new_chat()
    one = events(server, client.send(Message("one", T0)), split)
    assert one == [Message("one", T0)] and one[0].seq == 1 and one[0].ack == 0
    reply = events(client, server.send(Message("reply", T0)), split)
    assert reply[0].seq == 1 and reply[0].ack == 1  # the server has the client's 1
    assert client.chat.delivery.waiting == 0 and server.chat.delivery.waiting == 1
    two = events(server, client.send(Message("two", T0)), split)
    assert two[0].seq == 2 and server.chat.delivery.waiting == 0


def test_pings_carry_the_acknowledgement():
    client, server = new_chat()
    events(server, client.send(Message("one", T0)))
    ping = events(client, server.send(Ping()))
    assert ping[0].ack == 1 and client.chat.delivery.waiting == 0


def test_a_duplicate_is_ignored_and_a_gap_is_a_protocol_error():
    client, server = new_chat()
    frame = client.send(Message("one", T0))
    assert events(server, frame) == [Message("one", T0)]
    assert events(server, frame) == []  # sent again: ignored, the turn unchanged
    assert server.state is State.SERVER_TURN
    client2, server2 = new_chat()
    client2.send(Message("one", T0))  # lost on the way
    events(server2, client2.send(Ping()))
    gap = b'{"type":"message","seq":2,"ack":0,"text":"two","sent":"2023-04-17T11:42:43Z"}\n'
    with pytest.raises(RemoteProtocolError, match="missing"):
        events(server2, gap)


def test_acknowledging_what_was_never_sent_is_a_protocol_error():
    client, server = new_chat()
    with pytest.raises(RemoteProtocolError, match="only 0 were sent"):
        events(client, b'{"type":"ping","ack":5}\n')


# --- resuming a chat on a new connection ----------------------------------------------


def resume(client_old, server_old, split=None):
    """New protocols for both sides, taking up the old ones' chat records (as a
    connection does once its handshake has proved the chat's resume secret)."""
    client, server = Protocol(Role.CLIENT), Protocol(Role.SERVER)
    client.take_up(client_old.chat)
    server.take_up(server_old.chat)
    hellos(client, server, split)
    assert client.resumed and server.resumed
    return client, server


@pytest.mark.parametrize("split", [None, -1, 7])
def test_a_message_lost_with_the_old_link_arrives_once_after_resuming(split):
    client_old, server_old = new_chat()
    assert client_old.chat.secret == server_old.chat.secret == RESUME_SECRET
    events(server_old, client_old.send(Message("delivered", T0)))
    events(client_old, server_old.send(Message("reply", T0)))
    client_old.send(Message("lost in a dead link", T0))  # TCP took it; the route dropped it
    client, server = resume(client_old, server_old, split)
    assert client.turn is Role.SERVER and server.turn is Role.CLIENT  # not yet the same
    assert (client.chat.turn, server.chat.turn) == (client.turn, server.turn)
    resent = client.resend()
    assert events(server, resent, split) == [Message("lost in a dead link", T0)]
    assert server.turn is Role.SERVER  # now they agree
    assert events(server, resent) == []  # a second copy is ignored
    events(client, server.send(Message("and the answer", T0)), split)
    assert client.chat.delivery.waiting == 0 and client.turn is Role.CLIENT


def test_what_the_partner_already_has_is_not_sent_again():
    client_old, server_old = new_chat()
    events(server_old, client_old.send(Message("arrived, never acknowledged", T0)))
    assert client_old.chat.delivery.waiting == 1
    client, server = resume(client_old, server_old)
    assert client.chat.delivery.waiting == 0 and client.resend() == b""
    assert client.turn is Role.SERVER and server.turn is Role.SERVER


@pytest.mark.parametrize("wire, complaint", [
    (b'{"type":"hello","version":3,"name":"u","received":-1}\n', "received"),
    (b'{"type":"hello","version":3,"name":"u","received":"9"}\n', "received"),
    (b'{"type":"hello","version":3,"name":"u","received":true}\n', "received"),
])
def test_malformed_resume_hellos_are_protocol_errors(wire, complaint):
    with pytest.raises(RemoteProtocolError, match=complaint):
        events(Protocol(Role.SERVER), wire)


def test_a_client_cannot_be_resumed_after_its_hello():
    client = Protocol(Role.CLIENT)
    client.send(client.hello("u"))
    with pytest.raises(Exception, match="before our hello"):
        client.take_up(ChatRecord(RESUME_SECRET, "server"))
