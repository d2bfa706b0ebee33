"""The chat_curses wire protocol's public face: sans-I/O, in the manner of h11.

Every connection starts with the secure ``Handshake`` (bytes in, events and
bytes out: keys, and the proof of who is on the other side), which ends in
a sealed channel; the chat's ``Protocol`` then takes bytes
(``receive_data``), hands out events (``next_event``) and turns events into
bytes (``send``), owning the turn state machine; neither touches a socket.
``Connection`` is the thin non-blocking socket wrapper a selector loop
drives. The implementation is ``_chat_curses.wire``; this module only hands
its names on.
"""

from _chat_curses.wire.channel import LineChannel, SealedChannel
from _chat_curses.wire.codec import format_utc, parse_utc
from _chat_curses.wire.connection import Connection
from _chat_curses.wire.delivery import Delivery, SequenceError
from _chat_curses.wire.events import (
    MAX_FRAME_BYTES,
    MAX_NAME_CHARS,
    MAX_TEXT_BYTES,
    NEED_DATA,
    PROTOCOL_VERSION,
    BrokenRecord,
    Bye,
    ConnectionClosed,
    Event,
    Hello,
    LocalProtocolError,
    Message,
    NotProven,
    Ping,
    ProtocolError,
    Refused,
    RemoteProtocolError,
    Role,
    Typing,
)
from _chat_curses.wire.handshake import Brings, ClientHello, Handshake, Proven
from _chat_curses.wire.protocol import Protocol, State
from _chat_curses.wire.record import ChatRecord

__all__ = [
    "PROTOCOL_VERSION", "MAX_FRAME_BYTES", "MAX_NAME_CHARS", "MAX_TEXT_BYTES", "NEED_DATA",
    "Handshake", "Brings", "ClientHello", "Proven", "LineChannel", "SealedChannel",
    "Protocol", "State", "Role", "ChatRecord", "Connection", "Delivery",
    "Event", "Hello", "Message", "Ping", "Typing", "Bye", "ConnectionClosed",
    "ProtocolError", "LocalProtocolError", "RemoteProtocolError", "BrokenRecord", "NotProven",
    "Refused", "SequenceError", "format_utc", "parse_utc",
]
