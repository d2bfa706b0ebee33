"""Tests of wire/channel.py and wire/record.py: the seam where frames are sealed, and the
chat's record that outlives its connections."""

import struct

import pytest

from _chat_curses.wire.channel import LineChannel
from _chat_curses.wire.events import (
    MAX_FRAME_BYTES,
    NEED_DATA,
    LocalProtocolError,
    Message,
    RemoteProtocolError,
    Role,
)
from _chat_curses.wire.protocol import Protocol
from _chat_curses.wire.record import ChatRecord

T0 = 1681731763


def frames_of(channel, data, split):
    """Feed ``data`` whole (None), byte by byte (-1) or in two at ``split``; the frames."""
    parts = [data] if split is None else (
        [data[i:i + 1] for i in range(len(data))] if split == -1 else [data[:split], data[split:]])
    found = []
    for part in parts:
        channel.receive_data(part)
        while (frame := channel.next_frame()) is not None:
            found.append(bytes(frame))
    return found


# --- the line channel ------------------------------------------------------------------


@pytest.mark.parametrize("split", [None, -1, 1, 5, 9])
def test_lines_are_frames_under_every_split(split):
    channel = LineChannel()
    data = b'{"a":1}\n\n  \r\n{"b":2}\r\n{"c":'
    assert frames_of(channel, data, split) == [b'{"a":1}', b'{"b":2}']
    assert channel.buffered == len(b'{"c":') and not channel.at_eof


def test_sealing_a_frame_ends_its_line():
    assert LineChannel().seal(b'{"type":"bye"}') == b'{"type":"bye"}\n'


def test_the_end_of_the_connection_is_told_once_the_frames_are_taken():
    channel = LineChannel()
    channel.receive_data(b'{"a":1}\n')
    channel.receive_data(b"")
    assert not channel.at_eof  # a frame still waits
    assert channel.next_frame() == b'{"a":1}' and channel.next_frame() is None
    assert channel.at_eof


def test_a_frame_cut_by_the_end_of_the_connection_is_a_protocol_error():
    channel = LineChannel()
    channel.receive_data(b'{"type":"mess')
    channel.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="middle of a frame"):
        channel.next_frame()


def test_an_oversized_frame_is_refused_before_it_is_held():
    channel = LineChannel()
    channel.receive_data(b"x" * MAX_FRAME_BYTES)
    with pytest.raises(RemoteProtocolError, match="larger than"):
        channel.receive_data(b"xx")


# --- the seam: any channel with the same four methods carries the chat -----------------


class CountedChannel:
    """A channel of the test's own: a length prefix and a frame counter of its own around
    each frame, so that a frame that reaches the wire unsealed, or twice, shows."""

    def __init__(self):
        self._buffer, self._closed, self.at_eof = bytearray(), False, False
        self.sealed = self.opened = 0

    @property
    def buffered(self):
        return len(self._buffer)

    def seal(self, frame):
        self.sealed += 1
        return struct.pack(">II", len(frame), self.sealed) + frame

    def receive_data(self, data):
        self._closed = self._closed or not data
        self._buffer += data

    def next_frame(self):
        if len(self._buffer) < 8:
            self.at_eof = self._closed and not self._buffer
            return None
        size, number = struct.unpack(">II", self._buffer[:8])
        if len(self._buffer) < 8 + size:
            return None
        self.opened += 1
        if number != self.opened:
            raise RemoteProtocolError("a frame out of order")
        frame = bytes(self._buffer[8:8 + size])
        del self._buffer[:8 + size]
        return frame


def exchange(sender, receiver, data):
    receiver.receive_data(data)
    found = []
    while (event := receiver.next_event()) is not NEED_DATA:
        found.append(event)
    return found


def test_a_chat_and_its_resume_cross_any_channel_unchanged_above_it():
    client = Protocol(Role.CLIENT, channel=CountedChannel())
    server = Protocol(Role.SERVER, channel=CountedChannel())
    exchange(client, server, client.send(client.hello("user")))
    exchange(server, client, server.send(server.hello("server")))
    assert exchange(client, server, client.send(Message("hello", T0))) == [Message("hello", T0)]
    assert exchange(server, client, server.send(Message("reply", T0))) == [Message("reply", T0)]
    lost = client.send(Message("lost with the link", T0 + 1))  # never arrives
    assert b"lost with the link" in lost and lost.startswith(struct.pack(">I", len(lost) - 8))
    # a new connection, with a channel of its own, takes the chat up and resends
    again = Protocol(Role.CLIENT, channel=CountedChannel())
    again.take_up(client.chat)
    answer = Protocol(Role.SERVER, channel=CountedChannel())
    exchange(again, answer, again.send(again.hello("user")))
    answer.take_up(server.chat)
    exchange(answer, again, answer.send(answer.hello("server")))
    resent = again.resend()
    assert resent.startswith(struct.pack(">II", len(resent) - 8, 2))  # sealed by the new channel
    assert exchange(again, answer, resent) == [Message("lost with the link", T0 + 1)]
    assert answer.chat is server.chat and server.chat.delivery.received == 2


# --- the chat's record ---------------------------------------------------------------


def test_a_message_posted_while_the_link_is_down_is_numbered_kept_and_passes_the_turn():
    chat = ChatRecord(b"a" * 32, "server")
    frame = chat.post(Message("written offline", T0), Role.CLIENT)
    assert b'"seq":1' in frame and b'"ack":0' in frame and not frame.endswith(b"\n")
    assert chat.delivery.to_resend() == [frame] and chat.turn is Role.SERVER
    with pytest.raises(LocalProtocolError, match="the server's turn"):
        chat.post(Message("again", T0), Role.CLIENT)
    assert chat.delivery.waiting == 1  # nothing kept of what was refused


def test_a_message_too_large_once_encoded_is_refused_and_nothing_changes():
    chat = ChatRecord(b"a" * 32, "server")
    with pytest.raises(LocalProtocolError, match="too long once encoded"):
        chat.post(Message("\x01" * (64 * 1024), T0), Role.CLIENT)  # each escaped as \u0001
    assert chat.delivery.sent == 0 and chat.turn is Role.CLIENT


def test_the_turn_is_the_records_and_follows_the_connection():
    client, server = Protocol(Role.CLIENT), Protocol(Role.SERVER)
    exchange(client, server, client.send(client.hello("user")))
    exchange(server, client, server.send(server.hello("server")))
    assert client.chat.turn is Role.CLIENT and server.chat.peer == "user"
    exchange(client, server, client.send(Message("one", T0)))
    assert client.chat.turn is Role.SERVER and server.chat.turn is Role.SERVER
