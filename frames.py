"""The wire's vocabulary: events, their checks, and their JSON frames. No I/O.

Each event is a small frozen dataclass that validates its fields when made
and raises ``LocalProtocolError``; the decoder turns that into
``RemoteProtocolError`` for what came from the wire. ``netproto`` says
when each may be sent; this module says what each is and how it is
written: one JSON object per line (see ``netproto`` for an exchange).
"""

from __future__ import annotations

import enum
import time

from values import Pattern, Value, settle

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
    __hash__ = object.__hash__  # in C, not enum's Python-level hash of the name: see netproto

    CLIENT = "client"
    SERVER = "server"

    @property
    def other(self) -> "Role":
        return Role.SERVER if self is Role.CLIENT else Role.CLIENT


# --- Events ----------------------------------------------------------------
# Each validates its fields on creation and raises LocalProtocolError; the
# decoder turns that into RemoteProtocolError for events from the wire.
# (The complaints are built only when raised: this runs for every message.)
# They are small immutable values (``values.Value``): a message is made for
# every frame, and checks only what the wire can get wrong.


def _utf8_size(text: str) -> int | None:
    """Bytes of UTF-8 the text takes, or None if it cannot be encoded."""
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate smuggled in as \ud800
        return None


_NONCE_RE = Pattern(r"[0-9a-f]{32}")
_SESSION_RE = _NONCE_RE  # a chat's resume token: 128 random bits in hexadecimal


def _count(value: object, what: str) -> None:
    if type(value) is not int or not 0 <= value <= _MAX_COUNT:
        raise LocalProtocolError(f"{what} must be a whole number from 0 to {_MAX_COUNT}")


_MAX_COUNT = 2**53
_MAC_RE = Pattern(r"[0-9a-f]{64}")
class Hello(Value):
    """Opens the conversation: who is speaking, in which protocol version.

    ``auth`` and ``nonce`` are set when the speaker uses a shared secret.
    ``session`` names the chat: empty in a client's hello for a new chat, the
    new chat's token in the server's answer, the token of the chat to resume
    in both hellos of a resume. ``received`` tells how far the speaker has
    received the other's messages (see ``delivery``).
    """

    __slots__ = _fields = _compared = ("name", "version", "auth", "nonce", "session", "received")

    def __init__(self, name: str, version: int = PROTOCOL_VERSION, auth: str | None = None,
                 nonce: str = "", session: str = "", received: int = 0) -> None:
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
        if auth not in (None, AUTH_METHOD):
            raise LocalProtocolError(f"unsupported authentication {str(auth)[:20]!r}")
        if auth is not None and not (isinstance(nonce, str) and _NONCE_RE.fullmatch(nonce)):
            raise LocalProtocolError("hello nonce must be 32 hexadecimal digits")
        if not (session == "" or (isinstance(session, str) and _SESSION_RE.fullmatch(session))):
            raise LocalProtocolError("hello session must be 32 hexadecimal digits")
        _count(received, "hello received")
        for field, value in zip(self._fields, (name, version, auth, nonce, session, received)):
            settle(self, field, value)


class Proof(Value):
    """Shows knowledge of the shared secret: an HMAC-SHA256, in hexadecimal."""

    __slots__ = _fields = _compared = ("mac",)

    def __init__(self, mac: str) -> None:
        if not (isinstance(mac, str) and _MAC_RE.fullmatch(mac)):
            raise LocalProtocolError("proof must be 64 hexadecimal digits")
        settle(self, "mac", mac)


class Message(Value):
    """One chat message; ``sent`` is the sender's clock, whole seconds since the epoch (UTC).

    ``seq`` numbers it (from 1, per direction) and ``ack`` acknowledges the
    other side's; ``Protocol.send`` fills both in (``numbered``). They are
    delivery's bookkeeping, not the message: equality leaves them out.
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
        if not _MIN_TIME <= sent <= _MAX_TIME:
            raise LocalProtocolError("message time is out of range")
        _count(seq, "message seq")
        _count(ack, "message ack")
        settle(self, "text", text)
        settle(self, "sent", sent)
        settle(self, "seq", seq)
        settle(self, "ack", ack)

    def numbered(self, seq: int, ack: int) -> "Message":
        """The same message with its number and acknowledgement."""
        _count(seq, "message seq")
        _count(ack, "message ack")
        message = object.__new__(Message)
        settle(message, "text", self.text)
        settle(message, "sent", self.sent)
        settle(message, "seq", seq)
        settle(message, "ack", ack)
        return message


class Ping(Value):
    """Says "still here" on a quiet link, and acknowledges messages (``ack``)."""

    __slots__ = _fields = ("ack",)
    _compared = ()

    def __init__(self, ack: int = 0) -> None:
        _count(ack, "ping ack")
        settle(self, "ack", ack)


class Typing(Value):
    """The side whose turn it is is writing (never what): a notice, not kept or numbered."""

    __slots__ = ()


class Busy(Value):
    """The server's answer to a hello while it is in a chat with someone else."""

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


class ConnectionClosed(Value):
    """The peer closed its side of the connection (end of file)."""

    __slots__ = ()


Event = Hello | Proof | Message | Ping | Typing | Busy | Bye | ConnectionClosed


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = _NeedData()


# --- Times on the wire: "2023-04-17T11:42:43Z" -----------------------------

_TIME_RE = Pattern(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_MIN_TIME = 0  # 1970-01-01T00:00:00Z
_MAX_TIME = 253402300799  # 9999-12-31T23:59:59Z


def format_utc(seconds: int) -> str:
    return time.strftime(_TIME_FORMAT, time.gmtime(seconds))


def parse_utc(text: str) -> int:
    """Seconds since the epoch; ValueError for anything but a real moment (no 31 April)."""
    match = _TIME_RE.fullmatch(text)
    if not match:
        raise ValueError(f"not a time of the form 2023-04-17T11:42:43Z: {text!r}")
    year, month, day, hour, minute, second = map(int, match.groups())
    if not (year >= 1 and 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)
            and hour < 24 and minute < 60 and second < 60):
        raise ValueError(f"no such moment: {text!r}")
    return _days_since_epoch(year, month, day) * 86400 + hour * 3600 + minute * 60 + second


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_since_epoch(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 in the proleptic Gregorian calendar (the
    "days from civil" method: years counted from March, in 400-year eras)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


# --- Frames ----------------------------------------------------------------


def _frame_fields(event: Event) -> dict:
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


class _JsonParts:
    """The codec's JSON tools, made when the first frame is written or read:
    importing json takes about 2 ms of start-up, before any chat needs it.
    From then on they are this object's own attributes.

    - ``encoder``: made once (json.dumps builds a new one per call when given options);
    - ``quote``: a JSON string as ``encoder`` writes it (in C, where json has it);
    - ``scan``: the decoder's own scanner, called directly (JSONDecoder.decode
      wraps it in two regular-expression matches for whitespace, which a frame
      strips first).
    """

    def __getattr__(self, name: str):
        import json
        from json.encoder import encode_basestring

        self.encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
        self.quote = encode_basestring
        self.scan = json.JSONDecoder(parse_constant=_refuse_constant).scan_once
        return getattr(self, name)


_JSON = _JsonParts()
_JSON_SPACE = b" \t\r\n"


def _encode(event: Event) -> bytes:
    if type(event) is Message:  # the frame of nearly every exchange, written directly
        return (f'{{"type":"message","seq":{event.seq},"ack":{event.ack},'
                f'"text":{_JSON.quote(event.text)},"sent":"{format_utc(event.sent)}"}}\n'
                ).encode("utf-8")
    return _JSON.encoder.encode(_frame_fields(event)).encode("utf-8") + b"\n"


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
        text = line.strip(_JSON_SPACE).decode("utf-8")
        fields, end = _JSON.scan(text, 0)
    except UnicodeDecodeError:
        raise RemoteProtocolError("frame is not valid UTF-8") from None
    except (ValueError, RecursionError, StopIteration):
        raise RemoteProtocolError("frame is not valid JSON") from None
    if end != len(text):
        raise RemoteProtocolError("frame is not valid JSON")
    if not isinstance(fields, dict):
        raise RemoteProtocolError("frame is not a JSON object")
    try:
        return _event_from(fields)
    except LocalProtocolError as error:
        raise RemoteProtocolError(str(error)) from None
