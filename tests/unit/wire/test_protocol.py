"""Tests of wire/protocol.py: framing under every split, the turn state machine, limits."""

import calendar
import json
import socket
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _chat_curses.limits import MAX_TEXT_BYTES
from _chat_curses.wire.codec import decode, encode, format_utc, message_frame, parse_utc
from _chat_curses.wire.connection import Connection
from _chat_curses.wire.events import (
    MAX_FRAME_BYTES,
    NEED_DATA,
    Bye,
    ConnectionClosed,
    Hello,
    LocalProtocolError,
    Message,
    Ping,
    RemoteProtocolError,
    Role,
    Typing,
)
from _chat_curses.wire.protocol import Protocol, State

T0 = 1681731763  # Mon Apr 17 11:42:43 2023 UTC


def events_from(protocol, data, *, eof=False):
    protocol.receive_data(data)
    if eof:
        protocol.receive_data(b"")
    found = []
    while (event := protocol.next_event()) is not NEED_DATA:
        found.append(event)
        if isinstance(event, ConnectionClosed):
            break
    return found


def server_after_hello():
    server = Protocol(Role.SERVER)
    assert events_from(server, b'{"type":"hello","version":3,"name":"user"}\n') == [Hello("user")]
    server.send(Hello("server"))
    return server


def chatting_pair():
    client, server = Protocol(Role.CLIENT), Protocol(Role.SERVER)
    exchange(client, server, Hello("user"))
    exchange(server, client, Hello("server"))
    return client, server


def exchange(sender, receiver, event):
    data = sender.send(event)
    assert events_from(receiver, data) == [event]


# --- frames ------------------------------------------------------------------

FRAMES = [
    (Hello("user"), b'{"type":"hello","version":3,"name":"user","received":0}\n'),
    (Hello("漢字", received=5), '{"type":"hello","version":3,"name":"漢字","received":5}\n'.encode()),
    (Message("hello", T0), b'{"type":"message","seq":1,"ack":0,"text":"hello","sent":"2023-04-17T11:42:43Z"}\n'),
    (Message('quote " and \\ and \n', T0),
     b'{"type":"message","seq":1,"ack":0,"text":"quote \\" and \\\\ and \\n","sent":"2023-04-17T11:42:43Z"}\n'),
    (Bye(), b'{"type":"bye"}\n'),
    (Bye("server busy"), b'{"type":"bye","reason":"server busy"}\n'),
]


@pytest.mark.parametrize("event, wire", FRAMES)
def test_encoding_is_one_json_line(event, wire):
    protocol = Protocol(Role.CLIENT)
    if isinstance(event, Message):
        protocol, _ = chatting_pair()
    assert protocol.send(event) == wire


def _receiver_for(event):
    if isinstance(event, Hello):
        return Protocol(Role.SERVER)
    if isinstance(event, Message):
        return chatting_pair()[1]
    return Protocol(Role.SERVER)


@pytest.mark.parametrize("event, wire", FRAMES)
def test_frame_whole(event, wire):
    assert events_from(_receiver_for(event), wire) == [event]


@pytest.mark.parametrize("event, wire", FRAMES)
def test_frame_byte_by_byte(event, wire):
    receiver = _receiver_for(event)
    found = []
    for i in range(len(wire)):
        found += events_from(receiver, wire[i : i + 1])
        if i < len(wire) - 1:
            assert found == [], "an event came out before its newline"
    assert found == [event]


@pytest.mark.parametrize("event, wire", FRAMES)
def test_frame_with_the_start_of_the_next_one_glued_on(event, wire):
    receiver = _receiver_for(event)
    assert events_from(receiver, wire + b'{"type":"by') == [event]
    assert receiver.buffered == len(b'{"type":"by')


TWO_FRAMES = b'{"type":"hello","version":3,"name":"user"}\n{"type":"bye"}\n'


@pytest.mark.parametrize("split", range(1, len(TWO_FRAMES)))
def test_two_frames_split_anywhere(split):
    server = Protocol(Role.SERVER)
    found = events_from(server, TWO_FRAMES[:split]) + events_from(server, TWO_FRAMES[split:])
    assert found == [Hello("user"), Bye()]


def test_crlf_and_blank_lines_are_tolerated():
    server = Protocol(Role.SERVER)
    assert events_from(server, b'\r\n\n{"type":"hello","version":3,"name":"u"}\r\n') == [Hello("u")]


def test_unknown_fields_are_ignored():
    server = Protocol(Role.SERVER)
    found = events_from(server, b'{"type":"hello","version":3,"name":"u","colour":"red"}\n')
    assert found == [Hello("u")]


def test_times_round_trip_in_utc():
    assert format_utc(T0) == "2023-04-17T11:42:43Z"
    assert parse_utc("2023-04-17T11:42:43Z") == T0


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=253402300799))
def test_every_moment_reads_back_as_the_calendar_has_it(seconds):
    text = format_utc(seconds)
    assert parse_utc(text) == seconds == calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


@pytest.mark.parametrize("text", ["2023-04-31T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
                                  "2023-13-01T00:00:00Z", "2023-00-10T00:00:00Z", "2023-01-00T00:00:00Z",
                                  "2023-01-01T24:00:00Z", "2023-01-01T00:60:00Z", "2023-01-01T00:00:60Z",
                                  "0000-01-01T00:00:00Z", "2023-01-01 00:00:00Z", "2023-1-01T00:00:00Z",
                                  "２０２３-01-01T00:00:00Z", "2023-01-01T00:00:00"])
def test_times_that_are_no_moment_are_refused(text):
    with pytest.raises(ValueError):
        parse_utc(text)


def _reference_moment(text):
    """What a time of the wire is, the long way: its form by a regular expression,
    the day by the calendar (None for no moment)."""
    import datetime
    import re

    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z", text)
    if not match:
        return None
    try:
        moment = datetime.datetime(*map(int, match.groups()), tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    return calendar.timegm(moment.utctimetuple())


@settings(max_examples=3000, deadline=None)
@given(st.one_of(
    st.text(alphabet="0123456789-:TZ +_\u0663\uff10 ", min_size=18, max_size=22),
    st.builds(lambda text, at, char: text[:at] + char + text[at + 1:],
              st.integers(min_value=0, max_value=253402300799).map(format_utc),
              st.integers(min_value=0, max_value=19),
              st.sampled_from("0123456789-:TZ +_\u0663\uff10\n"))))
def test_a_time_is_read_exactly_when_the_long_way_reads_it(text):
    expected = _reference_moment(text)
    if expected is None:
        with pytest.raises(ValueError):
            parse_utc(text)
    else:
        assert parse_utc(text) == expected


def test_leap_days_are_moments():
    assert parse_utc("2024-02-29T00:00:00Z") == calendar.timegm((2024, 2, 29, 0, 0, 0))
    assert parse_utc("2000-02-29T12:00:00Z") == calendar.timegm((2000, 2, 29, 12, 0, 0))


# --- the turn state machine --------------------------------------------------


def test_whole_conversation_in_turns():
    client, server = chatting_pair()
    assert client.our_turn and not server.our_turn
    assert client.established and server.established
    assert server.peer_name == "user" and client.peer_name == "server"
    for round_ in range(3):
        exchange(client, server, Message(f"from client {round_}", T0))
        assert server.our_turn and not client.our_turn
        exchange(server, client, Message(f"from server {round_}", T0))
        assert client.our_turn
    exchange(server, client, Bye())
    assert client.state is State.CLOSED and server.state is State.CLOSED


@pytest.mark.parametrize("leaver", ["client", "server"])
@pytest.mark.parametrize("moment", ["before hellos", "after client hello", "client turn", "server turn"])
def test_bye_is_legal_from_either_side_at_any_moment(leaver, moment):
    client, server = Protocol(Role.CLIENT), Protocol(Role.SERVER)
    steps = {
        "before hellos": [],
        "after client hello": [(client, server, Hello("u"))],
        "client turn": [(client, server, Hello("u")), (server, client, Hello("s"))],
        "server turn": [(client, server, Hello("u")), (server, client, Hello("s")),
                        (client, server, Message("hi", T0))],
    }[moment]
    for sender, receiver, event in steps:
        exchange(sender, receiver, event)
    sides = {"client": (client, server), "server": (server, client)}
    sender, receiver = sides[leaver]
    exchange(sender, receiver, Bye())
    assert sender.state is State.CLOSED and receiver.state is State.CLOSED


def test_client_may_not_send_twice_in_a_row():
    client, server = chatting_pair()
    exchange(client, server, Message("one", T0))
    with pytest.raises(LocalProtocolError, match="client may not send message"):
        client.send(Message("two", T0))


def test_server_may_not_speak_first():
    client, server = chatting_pair()
    with pytest.raises(LocalProtocolError, match="SERVER_TURN|CLIENT_TURN"):
        server.send(Message("me first", T0))


def test_message_before_hello_is_illegal_both_ways():
    with pytest.raises(LocalProtocolError):
        Protocol(Role.CLIENT).send(Message("hi", T0))
    server = Protocol(Role.SERVER)
    with pytest.raises(RemoteProtocolError, match="may not send message"):
        events_from(server, b'{"type":"message","seq":1,"ack":0,"text":"hi","sent":"2023-04-17T11:42:43Z"}\n')


def test_server_may_not_say_hello_first():
    with pytest.raises(LocalProtocolError):
        Protocol(Role.SERVER).send(Hello("s"))


def test_second_hello_is_a_remote_error():
    server = server_after_hello()
    client_hello = b'{"type":"hello","version":3,"name":"again"}\n'
    with pytest.raises(RemoteProtocolError, match="hello"):
        events_from(server, client_hello)


def test_out_of_turn_message_from_peer_is_a_remote_error():
    client, server = chatting_pair()
    exchange(client, server, Message("one", T0))
    out_of_turn = b'{"type":"message","seq":2,"ack":0,"text":"two","sent":"2023-04-17T11:42:43Z"}\n'
    with pytest.raises(RemoteProtocolError, match="client may not send message"):
        events_from(server, out_of_turn)
    assert server.state is State.ERROR


def test_nothing_after_bye():
    client, server = chatting_pair()
    exchange(client, server, Bye())
    with pytest.raises(LocalProtocolError):
        server.send(Bye())
    with pytest.raises(RemoteProtocolError):
        events_from(server, b'{"type":"bye"}\n')


def test_a_remote_error_sticks():
    server = Protocol(Role.SERVER)
    with pytest.raises(RemoteProtocolError):
        events_from(server, b"GET / HTTP/1.1\r\n")
    with pytest.raises(RemoteProtocolError):
        server.next_event()
    with pytest.raises(RemoteProtocolError):
        server.receive_data(b"more")
    with pytest.raises(LocalProtocolError):
        server.send(Hello("s"))
    # but a bye, to tell the peer why, may still go out
    assert server.send(Bye("protocol error")) == b'{"type":"bye","reason":"protocol error"}\n'
    assert server.state is State.ERROR


# --- bad input from the wire -------------------------------------------------

BAD_FRAMES = [
    (b"GET / HTTP/1.1\r\n", "not valid JSON"),
    (b"\xff\xfe\n", "not valid UTF-8"),
    (b'{"type":"hello","version":3,"name":"\xc3"}\n', "not valid UTF-8"),
    (b"[1,2,3]\n", "not a JSON object"),
    (b'"hello"\n', "not a JSON object"),
    (b'{"type":"shout"}\n', "unknown frame type"),
    (b'{"name":"u"}\n', "unknown frame type"),
    (b'{"type":"hello","version":1,"name":"u"}\n', "version 1"),
    (b'{"type":"hello","version":true,"name":"u"}\n', "whole number"),
    (b'{"type":"hello","version":"1","name":"u"}\n', "whole number"),
    (b'{"type":"hello","version":3}\n', "name"),
    (b'{"type":"hello","version":3,"name":""}\n', "1 to 32"),
    (b'{"type":"hello","version":3,"name":"' + b"x" * 33 + b'"}\n', "1 to 32"),
    (b'{"type":"hello","version":3,"name":["u"]}\n', "must be text"),
    (b'{"type":"hello","version":3,"name":"\\ud800"}\n', "not valid Unicode"),
    (b'{"type":"hello","version":NaN,"name":"u"}\n', "not valid JSON"),
    (b"[" * 100_000 + b"\n", "not valid JSON"),
]


@pytest.mark.parametrize("wire, complaint", BAD_FRAMES)
def test_bad_frames_are_remote_errors(wire, complaint):
    with pytest.raises(RemoteProtocolError, match=complaint):
        events_from(Protocol(Role.SERVER), wire)


BAD_MESSAGES = [
    (b'{"type":"message","seq":1,"ack":0,"text":"","sent":"2023-04-17T11:42:43Z"}\n', "empty"),
    (b'{"type":"message","seq":1,"ack":0,"text":"   ","sent":"2023-04-17T11:42:43Z"}\n', "empty"),
    (b'{"type":"message","seq":1,"ack":0,"text":5,"sent":"2023-04-17T11:42:43Z"}\n', "must be text"),
    (b'{"type":"message","seq":1,"ack":0,"text":"hi"}\n', "send time"),
    (b'{"type":"message","seq":1,"ack":0,"text":"hi","sent":1681731763}\n', "send time"),
    (b'{"type":"message","seq":1,"ack":0,"text":"hi","sent":"yesterday"}\n', "malformed"),
    (b'{"type":"message","seq":1,"ack":0,"text":"hi","sent":"2023-13-45T99:99:99Z"}\n', "malformed"),
    (b'{"type":"message","seq":1,"ack":0,"text":"hi","sent":"0001-01-01T00:00:00Z"}\n', "out of range"),
]


@pytest.mark.parametrize("wire, complaint", BAD_MESSAGES)
def test_bad_messages_are_remote_errors(wire, complaint):
    _, server = chatting_pair()
    with pytest.raises(RemoteProtocolError, match=complaint):
        events_from(server, wire)


def test_control_characters_in_text_pass_the_protocol_for_the_cleaner():
    _, server = chatting_pair()
    wire = b'{"type":"message","seq":1,"ack":0,"text":"\\u001b[2J\\u202e hi","sent":"2023-04-17T11:42:43Z"}\n'
    assert events_from(server, wire) == [Message("\x1b[2J\u202e hi", T0)]


# --- size limits -------------------------------------------------------------


def test_largest_message_fits_and_one_more_byte_does_not():
    client, server = chatting_pair()
    exchange(client, server, Message("x" * MAX_TEXT_BYTES, T0))
    with pytest.raises(LocalProtocolError, match="too long"):
        server.send(Message("y" * (MAX_TEXT_BYTES + 1), T0))


def test_largest_message_of_escaped_characters_still_fits():
    client, server = chatting_pair()
    exchange(client, server, Message('"' * MAX_TEXT_BYTES, T0))


def test_oversize_text_from_peer_is_refused():
    _, server = chatting_pair()
    text = "x" * (MAX_TEXT_BYTES + 1)
    wire = json.dumps({"type": "message", "seq": 1, "text": text,
                       "sent": "2023-04-17T11:42:43Z"}).encode() + b"\n"
    with pytest.raises(RemoteProtocolError, match="too long"):
        events_from(server, wire)


def test_endless_line_is_refused_as_soon_as_it_passes_the_limit():
    server = Protocol(Role.SERVER)
    chunk = b"x" * 4096
    with pytest.raises(RemoteProtocolError, match="larger than"):
        for _ in range(MAX_FRAME_BYTES // len(chunk) + 2):
            server.receive_data(chunk)
            assert server.buffered <= MAX_FRAME_BYTES + len(chunk)
            assert server.next_event() is NEED_DATA


def test_huge_frame_arriving_whole_is_refused():
    server = Protocol(Role.SERVER)
    with pytest.raises(RemoteProtocolError, match="larger than"):
        events_from(server, b"x" * (MAX_FRAME_BYTES + 1) + b"\n")


# --- end of file -------------------------------------------------------------


def test_eof_gives_connection_closed():
    assert events_from(Protocol(Role.SERVER), b"", eof=True) == [ConnectionClosed()]


def test_eof_in_the_middle_of_a_frame_is_an_error():
    with pytest.raises(RemoteProtocolError, match="middle of a frame"):
        events_from(Protocol(Role.SERVER), b'{"type":"he', eof=True)


def test_frames_before_eof_still_come_out():
    found = events_from(Protocol(Role.SERVER), b'{"type":"hello","version":3,"name":"u"}\n', eof=True)
    assert found == [Hello("u"), ConnectionClosed()]


# --- events validate themselves ----------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: Hello(""),
    lambda: Hello("x" * 33),
    lambda: Hello("u", version=1),
    lambda: Message("", T0),
    lambda: Message("hi", -1),
    lambda: Message("hi", 1.5),
    lambda: Bye("r" * 201),
])
def test_events_refuse_bad_fields(make):
    with pytest.raises(LocalProtocolError):
        make()


def test_events_are_frozen():
    with pytest.raises(AttributeError):
        Hello("u").name = "v"


# --- Connection over a real socket pair ---------------------------------------


@pytest.fixture
def socket_pair():
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def drain(conn):
    return list(conn.receive())


def test_connection_carries_events_both_ways(socket_pair):
    a, b = socket_pair
    client = Connection(a, Protocol(Role.CLIENT))
    server = Connection(b, Protocol(Role.SERVER))
    client.send(Hello("user"))
    assert drain(server) == [Hello("user")]
    server.send(Hello("server"))
    assert drain(client) == [Hello("server")]
    client.send(Message("hi", T0))
    assert drain(server) == [Message("hi", T0)]


def test_connection_receive_stops_when_nothing_is_waiting(socket_pair):
    a, _ = socket_pair
    assert drain(Connection(a, Protocol(Role.SERVER))) == []


def test_connection_reports_eof(socket_pair):
    a, b = socket_pair
    server = Connection(b, Protocol(Role.SERVER))
    a.close()
    assert drain(server) == [ConnectionClosed()]


def test_connection_queues_what_the_socket_cannot_take(socket_pair):
    a, b = socket_pair
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    client = Connection(a, Protocol(Role.CLIENT))
    server = Connection(b, Protocol(Role.SERVER))
    client.send(Hello("user"))
    drain(server)
    server.send(Hello("server"))
    drain(client)
    big = "z" * MAX_TEXT_BYTES
    client.send(Message(big, T0))  # larger than the socket buffers: must not block
    assert client.wants_write
    got = []
    for _ in range(1000):
        client.flush()
        got += drain(server)
        if got:
            break
    assert got == [Message(big, T0)]
    assert not client.wants_write


def test_connection_yields_good_events_before_raising_on_a_bad_one(socket_pair):
    a, b = socket_pair
    server = Connection(b, Protocol(Role.SERVER))
    a.sendall(b'{"type":"hello","version":3,"name":"u"}\nGARBAGE\n')
    found = []
    with pytest.raises(RemoteProtocolError):
        for event in server.receive():
            found.append(event)
    assert found == [Hello("u")]


def test_events_buffered_in_the_protocol_come_out_without_new_data(socket_pair):
    a, b = socket_pair
    server = Connection(b, Protocol(Role.SERVER))
    a.sendall(b'{"type":"hello","version":3,"name":"u"}\n{"type":"bye"}\n')
    first = next(server.receive())  # the caller stops after one event
    assert first == Hello("u")
    assert drain(server) == [Bye()]


def test_close_with_linger_delivers_the_queued_goodbye(socket_pair):
    a, b = socket_pair
    client = Connection(a, Protocol(Role.CLIENT))
    client.send(Bye())
    client.close(linger=1.0)
    server = Connection(b, Protocol(Role.SERVER))
    assert drain(server) == [Bye()]
    assert drain(server) == [ConnectionClosed()]  # the selector calls again: the end is readable


# --- pings -------------------------------------------------------------------


def test_pings_are_legal_from_either_side_in_either_turn():
    client, server = chatting_pair()
    for _ in range(2):
        exchange(client, server, Ping())
        exchange(server, client, Ping())
        assert client.our_turn
    exchange(client, server, Message("hi", T0))
    exchange(client, server, Ping())
    exchange(server, client, Ping())
    assert server.our_turn


def test_a_ping_says_when_its_sender_hears_nothing_and_a_plain_one_stays_as_it_was():
    client, server = chatting_pair()
    server.receive_data(client.send(Ping(deaf=True)))
    assert server.next_event().deaf
    plain = client.send(Ping())
    server.receive_data(plain)
    assert not server.next_event().deaf
    for junk in ("yes", 1, None):  # only true is true
        assert not decode(json.dumps({"type": "ping", "ack": 0, "deaf": junk}).encode()).deaf


def test_ping_during_the_handshake_is_illegal():
    with pytest.raises(RemoteProtocolError, match="may not send ping"):
        events_from(Protocol(Role.SERVER), b'{"type":"ping"}\n')


# --- hardening: verdicts that do not depend on the split, liveness by frames --------


def _verdict(chunks):
    """What a server makes of these chunks: the events, or the error's class."""
    server = Protocol(Role.SERVER)
    events = []
    try:
        for chunk in chunks:
            events += events_from(server, chunk)
    except RemoteProtocolError as error:
        return type(error).__name__
    return events


def _frame_of_exactly(size):
    """A hello frame padded with an unknown field to exactly ``size`` bytes."""
    head = b'{"type":"hello","version":3,"name":"user","pad":"'
    return head + b"x" * (size - len(head) - 2) + b'"}'


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r\r\n", b"x\n", b"x\r\n"])
def test_a_frame_at_the_limit_gets_one_verdict_however_it_is_split(ending):
    wire = _frame_of_exactly(MAX_FRAME_BYTES) + ending
    whole = _verdict([wire])
    for split in range(len(wire) - 4, len(wire)):
        assert _verdict([wire[:split], wire[split:]]) == whole, split
    assert (whole == [Hello("user")]) == (ending in (b"\n", b"\r\n"))


@pytest.mark.parametrize("name", [" ", "   ", "\u3000"])
def test_a_blank_name_on_the_wire_is_refused(name):
    server = Protocol(Role.SERVER)
    with pytest.raises(RemoteProtocolError, match="blank"):
        events_from(server, json.dumps({"type": "hello", "version":3, "name": name}).encode() + b"\n")


def test_a_peer_dripping_an_unfinished_frame_is_not_alive(socket_pair, monkeypatch):
    a, b = socket_pair
    clock = [1000.0]
    monkeypatch.setattr("_chat_curses.wire.connection.time.monotonic", lambda: clock[0])
    conn = Connection(b, Protocol(Role.SERVER))
    a.sendall(b'{"type":"hello","version":3,"name":"user"}\n')
    clock[0] = 1001.0
    assert drain(conn) == [Hello("user")]
    assert conn.last_received == 1001.0
    for byte in b'{"type":"ping"':  # a frame that never ends, one byte at a time
        clock[0] += 1.0
        a.sendall(bytes([byte]))
        assert drain(conn) == []
    assert conn.last_received == 1001.0
    clock[0] += 1.0
    a.sendall(b"}\n")
    conn.protocol.send(Hello("server"))
    assert drain(conn) == [Ping()]
    assert conn.last_received == clock[0]


# --- the message frame, written directly -------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=200).filter(lambda text: text.strip()),
       st.integers(min_value=1, max_value=2**53), st.integers(min_value=0, max_value=2**53))
def test_the_message_frame_is_what_the_json_encoder_writes(text, seq, ack):
    from _chat_curses.wire.codec import _JSON, _frame_fields, decode, encode

    try:
        message = Message(text, T0, seq, ack)
    except LocalProtocolError:  # a lone surrogate: no frame is made
        return
    frame = encode(message)
    assert frame == _JSON.encoder.encode(_frame_fields(message)).encode("utf-8")
    decoded = decode(frame)
    assert decoded == message and (decoded.seq, decoded.ack) == (seq, ack)


def test_events_are_values_that_cannot_change():
    message = Message("hi", T0, 3, 2)
    with pytest.raises(AttributeError):
        message.text = "changed"
    with pytest.raises(AttributeError):
        del message.sent
    assert message == Message("hi", T0) and hash(message) == hash(Message("hi", T0))
    assert message != Message("hi", T0 + 1) and Bye() != Typing() and Typing() != Ping()
    assert Ping(4) == Ping() and Hello("a") != Hello("b")
    assert repr(message) == f"Message(text='hi', sent={T0}, seq=3, ack=2)"

def test_a_message_is_numbered_in_its_frame():
    frame = message_frame(Message("hi", T0), 7, 6)
    numbered = decode(frame)
    assert (numbered.text, numbered.sent, numbered.seq, numbered.ack) == ("hi", T0, 7, 6)
    assert frame == encode(Message("hi", T0, 7, 6))


class CountedReads:
    """A real socket whose recv calls are counted."""

    def __init__(self, sock):
        self.sock, self.reads = sock, 0

    def __getattr__(self, name):
        return getattr(self.sock, name)

    def recv(self, size):
        self.reads += 1
        return self.sock.recv(size)


def test_a_frame_is_taken_in_one_read_with_no_read_that_would_block(socket_pair):
    a, b = socket_pair
    counted = CountedReads(b)
    server = Connection(counted, Protocol(Role.SERVER))
    a.sendall(Protocol(Role.CLIENT).send(Hello("user")))
    assert drain(server) == [Hello("user")]
    assert counted.reads == 1
    a.sendall(b"\n" * 100_000)  # more than one read's worth: read until a read comes up short
    assert drain(server) == []
    assert counted.reads == 1 + 100_000 // 65536 + 1
    a.close()
    assert drain(server) == [ConnectionClosed()]
