"""The wire's vocabulary: the roles, the events and the protocol errors. No I/O.

Each event is a small immutable value (``values.Value``) that checks its
fields when made and raises ``LocalProtocolError``; the decoder (``codec``)
turns that into ``RemoteProtocolError`` for what came from the wire.
``protocol`` says when each may be sent; ``codec`` how each is written.
"""

from __future__ import annotations

from ..limits import MAX_NAME_CHARS, MAX_REASON_CHARS, MAX_TEXT_BYTES
from ..values import Value, settle

PROTOCOL_VERSION = 3
# One frame: the text at its worst escaped size plus the framing around it.
MAX_FRAME_BYTES = 2 * MAX_TEXT_BYTES + 1024


class ProtocolError(Exception):
    """Base of the two kinds of protocol error."""


class LocalProtocolError(ProtocolError):
    """We tried to do something the protocol does not allow."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol does not allow."""


class BrokenRecord(RemoteProtocolError):
    """A sealed record did not open, or was cut short: whoever changed it, the
    link is broken (SPEC 10), not the chat; nothing in it is believed."""


# What the secure handshake can end in, short of a proven peer (wire.handshake).
# None of them is proof of anything: a stranger can say each of them.


class NotProven(RemoteProtocolError):
    """The peer could not prove it holds the key: a wrong pairing code, another
    secret, no resume secret for this chat, or a changed handshake. ``how`` is
    what it was to prove with (``handshake.Brings``)."""

    def __init__(self, text: str, how: str) -> None:
        super().__init__(text)
        self.how = how


class Refused(RemoteProtocolError):
    """The peer turned the handshake down in plain words, before proving anything:
    busy, a chat it does not have, an older protocol, no code. ``kind`` says which."""

    BUSY, CHAT_OVER, OLD_VERSION, SAID = "busy", "chat over", "old version", "said"

    def __init__(self, text: str, kind: str) -> None:
        super().__init__(text)
        self.kind = kind


class Role:
    """A side of the chat: ``Role.CLIENT`` or ``Role.SERVER``, the only two;
    ``Role("client")`` is the one of that ``value``, ``other`` the partner's.

    As an enum's members, but plain objects: in Python 3.11 an enum member,
    its ``value`` or a property on it each cost what four plain attributes
    do, and the roles are asked for at every message (whose turn, who sent).
    """

    __slots__ = ("value", "other")
    CLIENT: Role
    SERVER: Role

    def __new__(cls, value: str | Role) -> Role:
        for role in (cls.CLIENT, cls.SERVER):
            if value == role.value or value is role:
                return role
        raise ValueError(f"{value!r} is not a Role")

    def __repr__(self) -> str:
        return f"Role.{self.value.upper()}"

    def __reduce__(self):  # (a copy, or a pickle read back, is the role itself)
        return Role, (self.value,)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a Role cannot be changed")


def _roles() -> None:
    client, server = object.__new__(Role), object.__new__(Role)
    for role, value, other in ((client, "client", server), (server, "server", client)):
        settle(role, "value", value)
        settle(role, "other", other)
    Role.CLIENT, Role.SERVER = client, server


_roles()


# --- Events ----------------------------------------------------------------
# Each validates its fields on creation and raises LocalProtocolError; the
# decoder turns that into RemoteProtocolError for events from the wire.
# (The complaints are built only when raised: this runs for every message,
# which checks only what the wire can get wrong.)


def _utf8_size(text: str) -> int | None:
    """Bytes of UTF-8 the text takes, or None if it cannot be encoded."""
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate smuggled in as \ud800
        return None


def _count(value: object, what: str) -> None:
    if type(value) is not int or not 0 <= value <= _MAX_COUNT:
        raise LocalProtocolError(f"{what} must be a whole number from 0 to {_MAX_COUNT}")


_MAX_COUNT = 2**53
# The times a message may carry: 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
MIN_TIME, MAX_TIME = 0, 253402300799


class Hello(Value):
    """Opens the chat on a connection, once the secure handshake is done: who is
    speaking, in which protocol version, and how far the speaker has received
    the other's messages (``received``, see ``delivery``: 0 in a new chat)."""

    __slots__ = _fields = _compared = ("name", "version", "received")

    def __init__(self, name: str, version: int = PROTOCOL_VERSION, received: int = 0) -> None:
        if type(version) is not int:
            raise LocalProtocolError("hello version must be a whole number")
        if version != PROTOCOL_VERSION:
            raise LocalProtocolError(f"partner speaks protocol version {version}, "
                                     f"this program speaks {PROTOCOL_VERSION}")
        if not isinstance(name, str):
            raise LocalProtocolError("hello name must be text")
        if not 1 <= len(name) <= MAX_NAME_CHARS:
            raise LocalProtocolError(f"user name must be 1 to {MAX_NAME_CHARS} characters")
        if not name.strip():
            raise LocalProtocolError("user name is blank")
        if _utf8_size(name) is None:
            raise LocalProtocolError("user name is not valid Unicode")
        _count(received, "hello received")
        settle(self, "name", name)
        settle(self, "version", version)
        settle(self, "received", received)


class Message(Value):
    """One chat message; ``sent`` is the sender's clock, whole seconds since the epoch (UTC).

    ``seq`` numbers it (from 1, per direction) and ``ack`` acknowledges the
    other side's, as it came from the wire; a message we send is numbered in
    its frame (``ChatRecord.post``), and has 0 for both. They are delivery's
    bookkeeping, not the message: equality leaves them out.
    """

    __slots__ = _fields = ("text", "sent", "seq", "ack")
    _compared = ("text", "sent")

    def __init__(self, text: str, sent: int, seq: int = 0, ack: int = 0) -> None:
        if not isinstance(text, str):
            raise LocalProtocolError("message text must be text")
        if not text.strip():
            raise LocalProtocolError("message is empty")
        size = _utf8_size(text)
        if size is None:
            raise LocalProtocolError("message is not valid Unicode")
        if size > MAX_TEXT_BYTES:
            raise LocalProtocolError(
                f"message is too long ({size:,} bytes; at most {MAX_TEXT_BYTES:,})")
        if type(sent) is not int:
            raise LocalProtocolError("message time must be whole seconds")
        if not MIN_TIME <= sent <= MAX_TIME:
            raise LocalProtocolError("message time is out of range")
        _count(seq, "message seq")
        _count(ack, "message ack")
        settle(self, "text", text)
        settle(self, "sent", sent)
        settle(self, "seq", seq)
        settle(self, "ack", ack)


class Ping(Value):
    """Says "still here" on a quiet link, and acknowledges messages (``ack``);
    ``deaf``: the sender has heard nothing on this link for a while (the way to
    it may be stalled though its own way is not: the client tries a new path)."""

    __slots__ = _fields = ("ack", "deaf")
    _compared = ()

    def __init__(self, ack: int = 0, deaf: bool = False) -> None:
        _count(ack, "ping ack")
        settle(self, "ack", ack)
        settle(self, "deaf", deaf is True)


class Typing(Value):
    """The side whose turn it is is writing (never what): a notice, not kept or numbered."""

    __slots__ = ()


class Bye(Value):
    """Ends the conversation, from either side, at any moment.

    A normal goodbye has no reason; a reason says why the connection is
    being refused or broken off.
    """

    __slots__ = _fields = _compared = ("reason",)

    def __init__(self, reason: str = "") -> None:
        if not isinstance(reason, str):
            raise LocalProtocolError("bye reason must be text")
        if len(reason) > MAX_REASON_CHARS:
            raise LocalProtocolError("bye reason is too long")
        if _utf8_size(reason) is None:
            raise LocalProtocolError("bye reason is not valid Unicode")
        settle(self, "reason", reason)


# A goodbye's reason that ends a chat given up while the link was down (``chat.farewell``):
# over the sealed link, so only the partner can say it.
GIVEN_UP = "this chat was given up"


class ConnectionClosed(Value):
    """The peer closed its side of the connection (end of file)."""

    __slots__ = ()


Event = Hello | Message | Ping | Typing | Bye | ConnectionClosed


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = _NeedData()
