"""The wire's vocabulary: events, their checks, and their JSON frames. No I/O.

Each event is a small frozen dataclass that validates its fields when made
and raises ``LocalProtocolError``; the decoder turns that into
``RemoteProtocolError`` for what came from the wire. ``netproto`` says
when each may be sent; this module says what each is and how it is
written: one JSON object per line (see ``netproto`` for an exchange).
"""

from __future__ import annotations

import datetime
import enum
import json
import re
import time
from dataclasses import dataclass, field
from typing import Union

PROTOCOL_VERSION = 2
MAX_TEXT_BYTES = 64 * 1024
MAX_NAME_CHARS = 32
MAX_REASON_CHARS = 200
# One frame, newline excluded: the text at its worst escaped size plus the
# framing around it.
MAX_FRAME_BYTES = 2 * MAX_TEXT_BYTES + 1024
AUTH_METHOD = "hmac-sha256"


class ProtocolError(Exception):
    """Base of the two kinds of protocol error."""


class LocalProtocolError(ProtocolError):
    """We tried to do something the protocol does not allow."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol does not allow."""


class AuthenticationError(RemoteProtocolError):
    """The two sides do not share the same secret (or only one has one)."""


class WrongSecret(AuthenticationError):
    """The peer's proof does not verify: it holds another secret, or guessed."""


class Role(enum.Enum):
    CLIENT = "client"
    SERVER = "server"

    @property
    def other(self) -> "Role":
        return Role.SERVER if self is Role.CLIENT else Role.CLIENT


# --- Events ----------------------------------------------------------------
# Each validates its fields on creation and raises LocalProtocolError; the
# decoder turns that into RemoteProtocolError for events from the wire.
# (The complaints are built only when raised: this runs for every message.)


def _utf8_size(text: str) -> int | None:
    """Bytes of UTF-8 the text takes, or None if it cannot be encoded."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate smuggled in as \ud800
        return None


_NONCE_RE = re.compile(r"[0-9a-f]{32}")
_SESSION_RE = _NONCE_RE  # a chat's resume token: 128 random bits in hexadecimal


def _count(value: object, what: str) -> None:
    if type(value) is not int or not 0 <= value <= _MAX_COUNT:
        raise LocalProtocolError(f"{what} must be a whole number from 0 to {_MAX_COUNT}")


_MAX_COUNT = 2**53
_MAC_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Hello:
    """Opens the conversation: who is speaking, in which protocol version.

    ``auth`` and ``nonce`` are set when the speaker uses a shared secret.
    ``session`` names the chat: empty in a client's hello for a new chat, the
    new chat's token in the server's answer, the token of the chat to resume
    in both hellos of a resume. ``received`` tells how far the speaker has
    received the other's messages (see ``delivery``).
    """

    name: str
    version: int = PROTOCOL_VERSION
    auth: str | None = None
    nonce: str = ""
    session: str = ""
    received: int = 0

    def __post_init__(self) -> None:
        if type(self.version) is not int:
            raise LocalProtocolError("hello version must be a whole number")
        if self.version != PROTOCOL_VERSION:
            raise LocalProtocolError(f"partner speaks protocol version {self.version}, "
                                     f"this program speaks {PROTOCOL_VERSION}")
        if not isinstance(self.name, str):
            raise LocalProtocolError("hello name must be text")
        if not 1 <= len(self.name) <= MAX_NAME_CHARS:
            raise LocalProtocolError(f"user name must be 1 to {MAX_NAME_CHARS} characters")
        if not self.name.strip():
            raise LocalProtocolError("user name is blank")
        if _utf8_size(self.name) is None:
            raise LocalProtocolError("user name is not valid Unicode")
        if self.auth not in (None, AUTH_METHOD):
            raise LocalProtocolError(f"unsupported authentication {str(self.auth)[:20]!r}")
        if self.auth is not None and not (isinstance(self.nonce, str)
                                          and _NONCE_RE.fullmatch(self.nonce)):
            raise LocalProtocolError("hello nonce must be 32 hexadecimal digits")
        if not (self.session == "" or (isinstance(self.session, str)
                                       and _SESSION_RE.fullmatch(self.session))):
            raise LocalProtocolError("hello session must be 32 hexadecimal digits")
        _count(self.received, "hello received")


@dataclass(frozen=True)
class Proof:
    """Shows knowledge of the shared secret: an HMAC-SHA256, in hexadecimal."""

    mac: str

    def __post_init__(self) -> None:
        if not (isinstance(self.mac, str) and _MAC_RE.fullmatch(self.mac)):
            raise LocalProtocolError("proof must be 64 hexadecimal digits")


@dataclass(frozen=True)
class Message:
    """One chat message; ``sent`` is the sender's clock, whole seconds since the epoch (UTC).

    ``seq`` numbers it (from 1, per direction) and ``ack`` acknowledges the
    other side's; ``Protocol.send`` fills both in.
    """

    text: str
    sent: int
    seq: int = field(default=0, compare=False)  # delivery's bookkeeping, not the message
    ack: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise LocalProtocolError("message text must be text")
        if not self.text.strip():
            raise LocalProtocolError("message is empty")
        size = _utf8_size(self.text)
        if size is None:
            raise LocalProtocolError("message is not valid Unicode")
        if size > MAX_TEXT_BYTES:
            raise LocalProtocolError(
                f"message is too long ({size:,} bytes; at most {MAX_TEXT_BYTES:,})")
        if type(self.sent) is not int:
            raise LocalProtocolError("message time must be whole seconds")
        if not _MIN_TIME <= self.sent <= _MAX_TIME:
            raise LocalProtocolError("message time is out of range")
        _count(self.seq, "message seq")
        _count(self.ack, "message ack")


@dataclass(frozen=True)
class Ping:
    """Says "still here" on a quiet link, and acknowledges messages (``ack``)."""

    ack: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        _count(self.ack, "ping ack")


@dataclass(frozen=True)
class Typing:
    """The side whose turn it is is writing (never what): a notice, not kept or numbered."""


@dataclass(frozen=True)
class Busy:
    """The server's answer to a hello while it is in a chat with someone else."""


@dataclass(frozen=True)
class Bye:
    """Ends the conversation, from either side, at any moment.

    A normal goodbye has no reason; a reason says why the connection is
    being refused or broken off.
    """

    reason: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.reason, str):
            raise LocalProtocolError("bye reason must be text")
        if len(self.reason) > MAX_REASON_CHARS:
            raise LocalProtocolError("bye reason is too long")
        if _utf8_size(self.reason) is None:
            raise LocalProtocolError("bye reason is not valid Unicode")


@dataclass(frozen=True)
class ConnectionClosed:
    """The peer closed its side of the connection (end of file)."""


Event = Union[Hello, Proof, Message, Ping, Typing, Busy, Bye, ConnectionClosed]


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = _NeedData()


# --- Times on the wire: "2023-04-17T11:42:43Z" -----------------------------

_TIME_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_MIN_TIME = 0  # 1970-01-01T00:00:00Z
_MAX_TIME = 253402300799  # 9999-12-31T23:59:59Z


def format_utc(seconds: int) -> str:
    return time.strftime(_TIME_FORMAT, time.gmtime(seconds))


def parse_utc(text: str) -> int:
    match = _TIME_RE.fullmatch(text)
    if not match:
        raise ValueError(f"not a time of the form 2023-04-17T11:42:43Z: {text!r}")
    # raises ValueError for a month 13, a 31 April...
    moment = datetime.datetime(*map(int, match.groups()), tzinfo=datetime.timezone.utc)
    return int(moment.timestamp())


# --- Frames ----------------------------------------------------------------


def _fields(event: Event) -> dict:
    if isinstance(event, Hello):
        fields = {"type": "hello", "version": event.version, "name": event.name}
        if event.auth is not None:
            fields.update(auth=event.auth, nonce=event.nonce)
        if event.session:
            fields.update(session=event.session, received=event.received)
        return fields
    if isinstance(event, Proof):
        return {"type": "proof", "mac": event.mac}
    if isinstance(event, Message):
        return {"type": "message", "seq": event.seq, "ack": event.ack, "text": event.text,
                "sent": format_utc(event.sent)}
    if isinstance(event, Ping):
        return {"type": "ping", "ack": event.ack}
    if isinstance(event, Busy):
        return {"type": "busy"}
    if isinstance(event, Typing):
        return {"type": "typing"}
    if isinstance(event, Bye):
        return {"type": "bye", "reason": event.reason} if event.reason else {"type": "bye"}
    raise LocalProtocolError(f"{type(event).__name__} cannot be sent")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


# Made once: json.dumps and json.loads build a new one per call when given options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _encode(event: Event) -> bytes:
    return _ENCODER.encode(_fields(event)).encode("utf-8") + b"\n"


def _event_from(fields: dict) -> Event:
    kind = fields.get("type")
    if kind == "hello":
        return Hello(name=fields.get("name"), version=fields.get("version"),
                     auth=fields.get("auth"), nonce=fields.get("nonce", ""),
                     session=fields.get("session", ""), received=fields.get("received", 0))
    if kind == "proof":
        return Proof(mac=fields.get("mac"))
    if kind == "message":
        sent = fields.get("sent")
        if not isinstance(sent, str):
            raise LocalProtocolError("message has no send time")
        try:
            seconds = parse_utc(sent)
        except ValueError:
            raise LocalProtocolError("message send time is malformed") from None
        seq = fields.get("seq")
        if type(seq) is not int or seq < 1:
            raise LocalProtocolError("message has no sequence number")
        return Message(text=fields.get("text"), sent=seconds, seq=seq, ack=fields.get("ack", 0))
    if kind == "ping":
        return Ping(ack=fields.get("ack", 0))
    if kind == "busy":
        return Busy()
    if kind == "typing":
        return Typing()
    if kind == "bye":
        return Bye(reason=fields.get("reason", ""))
    raise LocalProtocolError(f"unknown frame type {str(kind)[:20]!r}")


def _decode(line: bytes) -> Event:
    """Turn one frame (without its newline) into an event, or raise RemoteProtocolError."""
    try:
        fields = _DECODER.decode(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise RemoteProtocolError("frame is not valid UTF-8") from None
    except (ValueError, RecursionError):
        raise RemoteProtocolError("frame is not valid JSON") from None
    if not isinstance(fields, dict):
        raise RemoteProtocolError("frame is not a JSON object")
    try:
        return _event_from(fields)
    except LocalProtocolError as error:
        raise RemoteProtocolError(str(error)) from None
