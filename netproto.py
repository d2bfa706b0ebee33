"""The chat_curses wire protocol's public face: sans-I/O, in the manner of h11.

``Protocol`` takes bytes (``receive_data``), hands out events
(``next_event``) and turns events into bytes (``send``); it owns the turn
state machine and never touches a socket. ``Connection`` is the thin
non-blocking socket wrapper a selector loop drives. The implementation is
``_chat_curses.wire``; this module only hands its names on.
"""

from _chat_curses.wire.codec import format_utc, parse_utc
from _chat_curses.wire.connection import Connection
from _chat_curses.wire.delivery import Delivery, SequenceError
from _chat_curses.wire.events import (
    MAX_FRAME_BYTES,
    MAX_NAME_CHARS,
    MAX_TEXT_BYTES,
    NEED_DATA,
    PROTOCOL_VERSION,
    AuthenticationError,
    Busy,
    Bye,
    ConnectionClosed,
    Event,
    Hello,
    LocalProtocolError,
    Message,
    Ping,
    Proof,
    ProtocolError,
    RemoteProtocolError,
    Role,
    Typing,
    WrongSecret,
)
from _chat_curses.wire.protocol import Protocol, State

__all__ = [
    "PROTOCOL_VERSION", "MAX_FRAME_BYTES", "MAX_NAME_CHARS", "MAX_TEXT_BYTES", "NEED_DATA",
    "Protocol", "State", "Role", "Connection", "Delivery",
    "Event", "Hello", "Proof", "Message", "Ping", "Typing", "Busy", "Bye", "ConnectionClosed",
    "ProtocolError", "LocalProtocolError", "RemoteProtocolError", "AuthenticationError",
    "WrongSecret", "SequenceError",
    "format_utc", "parse_utc",
]
