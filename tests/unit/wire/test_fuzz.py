"""Property-based fuzzing of the decoder, in the manner of h11's fuzz tests.

Whatever bytes arrive, split however the network likes, the protocol either
hands out valid events or raises RemoteProtocolError; never another
exception, and it never holds more than one frame's limit of undecoded bytes.
"""

import itertools
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _chat_curses.wire.events import (
    MAX_FRAME_BYTES,
    NEED_DATA,
    Bye,
    ConnectionClosed,
    Hello,
    Message,
    Ping,
    RemoteProtocolError,
    Role,
)
from _chat_curses.wire.protocol import Protocol

EVENT_TYPES = (Hello, Message, Ping, Bye, ConnectionClosed)
FIELD_NAMES = ["type", "version", "name", "text", "sent", "reason", "seq", "ack", "received",
               "brings", "wants", "nonce", "key", "pake", "mac", "commit"]
TYPE_NAMES = ["hello", "message", "bye", "ping", "busy", "confirm", "reveal", "shout", ""]

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2**40), st.floats(allow_nan=False),
    st.sampled_from(TYPE_NAMES + ["code", "secret", "resume", "none", "2023-04-17T11:42:43Z",
                                  "a" * 32, "b" * 64, "c" * 66, "user"]),
    st.text(max_size=40),
)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
plausible_frames = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=5).map(
    lambda fields: json.dumps(fields, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n")
valid_frames = st.sampled_from([
    b'{"type":"hello","version": 3,"name":"user"}\n',
    b'{"type":"hello","version": 3,"name":"server","received":0}\n',
    b'{"type":"hello","version":3,"brings":"none","commit":"' + b"b" * 64 + b'"}\n',
    b'{"type":"reveal","nonce":"' + b"a" * 32 + b'","key":"' + b"0" * 64 + b'"}\n',
    b'{"type":"message","seq":1,"ack":0,"text":"hi","sent":"2023-04-17T11:42:43Z"}\n',
    b'{"type":"ping"}\n',
    b'{"type":"bye"}\n',
    b"\n",
])
long_runs = st.tuples(st.integers(0, 2 * MAX_FRAME_BYTES), st.sampled_from([b"x", b"{", b"\xff"])).map(
    lambda pair: pair[1] * pair[0])
streams = st.lists(st.one_of(st.binary(max_size=200), plausible_frames, valid_frames, long_runs),
                   max_size=8).map(b"".join)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


def feed(protocol: Protocol, chunks: list[bytes]) -> list:
    events = []
    for chunk in chunks + [b""]:  # b"" is the end of the stream
        protocol.receive_data(chunk)
        while (event := protocol.next_event()) is not NEED_DATA:
            assert isinstance(event, EVENT_TYPES)
            events.append(event)
            if isinstance(event, ConnectionClosed):
                return events
        assert protocol.buffered <= MAX_FRAME_BYTES
    return events


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=streams, cuts=st.lists(st.integers(min_value=0), max_size=12),
       role=st.sampled_from((Role.CLIENT, Role.SERVER)))
def test_any_bytes_in_any_split_parse_or_raise_the_remote_error(data, cuts, role):
    protocol = Protocol(role)
    try:
        events = feed(protocol, split(data, cuts))
    except RemoteProtocolError:
        return
    assert events and isinstance(events[-1], ConnectionClosed)


@settings(max_examples=200, deadline=None)
@given(data=streams, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_the_split_never_changes_the_outcome(data, cuts):
    def outcome(chunks):
        # Which complaint comes first may differ (an oversize tail can be
        # refused before an earlier bad frame is decoded); that there is one may not.
        try:
            return feed(Protocol(Role.SERVER), chunks)
        except RemoteProtocolError:
            return "refused"

    assert outcome(split(data, cuts)) == outcome([data])


# --- the secure handshake and the sealed channel, fed the same -----------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=streams, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_any_bytes_to_a_servers_handshake_are_a_hello_or_the_remote_error(data, cuts):
    from _chat_curses.wire.handshake import ClientHello, Handshake

    handshake = Handshake(Role.SERVER)
    try:
        for chunk in split(data, cuts) + [b""]:
            handshake.receive_data(chunk)
            event = handshake.next_event()
            assert event is NEED_DATA or isinstance(event, (ClientHello, ConnectionClosed))
            if event is not NEED_DATA:
                return
    except RemoteProtocolError:
        return


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=streams, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_any_bytes_after_a_commitment_are_not_proven_or_the_remote_error(data, cuts):
    """A server that answered a client bringing nothing waits for its reveal: whatever
    comes instead is the remote error, a reveal that is not the one committed to, or
    the connection closed; never a proof."""
    from _chat_curses.wire.events import NotProven
    from _chat_curses.wire.handshake import Brings, Handshake

    client, handshake = Handshake(Role.CLIENT, Brings.NONE), Handshake(Role.SERVER)
    handshake.receive_data(client.hello())
    handshake.next_event()
    handshake.accept()
    try:
        for chunk in split(data, cuts) + [b""]:
            handshake.receive_data(chunk)
            event = handshake.next_event()
            assert event is NEED_DATA or isinstance(event, ConnectionClosed)
            if event is not NEED_DATA:
                return
    except (RemoteProtocolError, NotProven):
        return
    assert handshake.proven is None


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_any_bytes_to_a_sealed_channel_open_nothing_and_raise_a_broken_record(data, cuts):
    from _chat_curses.wire.channel import SealedChannel
    from _chat_curses.wire.events import BrokenRecord

    channel = SealedChannel(bytes(32), bytes(range(32)))
    try:
        for chunk in split(data, cuts) + [b""]:
            channel.receive_data(chunk)
            assert channel.next_frame() is None  # nothing opens without the key
    except BrokenRecord:
        return
    assert channel.at_eof
