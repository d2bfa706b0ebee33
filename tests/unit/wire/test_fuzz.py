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
    Proof,
    RemoteProtocolError,
    Role,
)
from _chat_curses.wire.protocol import Protocol

EVENT_TYPES = (Hello, Proof, Message, Ping, Bye, ConnectionClosed)
FIELD_NAMES = ["type", "version", "name", "text", "sent", "auth", "nonce", "mac", "reason",
               "seq", "ack", "session", "received"]
TYPE_NAMES = ["hello", "message", "bye", "ping", "proof", "shout", ""]

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2**40), st.floats(allow_nan=False),
    st.sampled_from(TYPE_NAMES + ["hmac-sha256", "2023-04-17T11:42:43Z", "a" * 32, "user"]),
    st.text(max_size=40),
)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
plausible_frames = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=5).map(
    lambda fields: json.dumps(fields, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n")
valid_frames = st.sampled_from([
    b'{"type":"hello","version": 2,"name":"user"}\n',
    b'{"type":"hello","version": 2,"name":"server"}\n',
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
       role=st.sampled_from(list(Role)), secret=st.sampled_from([None, b"k"]))
def test_any_bytes_in_any_split_parse_or_raise_the_remote_error(data, cuts, role, secret):
    protocol = Protocol(role, secret=secret)
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
