"""A saved chat: what a session file holds, and its bytes read back, checked (SPEC 12).

Pure: ``shell.journal`` opens, writes and locks the file; what the file says
is read here. A session file is a journal of JSON lines: a header (the
role, address and port, our name, the chat's resume secret and how the
partner was verified, the partner's name and address, the window, when it
began), then one record per change, appended: a history line as shown
(``line``, ``kind``), a message we sent (``sent``, and its ``frame`` until
it is acknowledged), how far we have received (``received``), what the
partner acknowledged (``acked``), whose turn it is (``turn``), the last
contact (``contact``), a new name of the partner's (``peer``) or ours
(``name``), the conversation's digest (``digest``): written with the
partner's messages, so our messages since the last one are chained into it
as the file is read, from their frames.

``parse`` trusts nothing in it: another program, or a person, may have
written it. Every field must be of its kind, every number a sane number
(never NaN, negative or absurd), every time finite and not in the future,
every record one this version writes; the first thing that is not is the
reason, in words, for setting the file aside (``SessionError``). Nothing
is loaded in part. The text of its history lines is cleaned where it is
shown (``connecting.Reach.restore``), as text from the wire is.
"""

from __future__ import annotations

import json
import math

from ..limits import MAX_NAME_CHARS, MAX_REASON_CHARS, MAX_SESSION_BYTES
from ..text.validate import ValidationError, check_username
from ..wire.codec import decode
from ..wire.delivery import SequenceError
from ..wire.events import Message, RemoteProtocolError, Role
from ..wire.record import ChatRecord

FORMAT = 2  # 2: the chat's resume secret (SPEC 11) in place of its token
OVER_FORMAT = 1  # what proves a chat given up is over (``chat.farewell``)

# The kinds of history line a file may hold (a private line is never written).
KINDS = frozenset({"system", "own", "peer", "warning", "error", "digest"})
VERIFIED = frozenset({"", "code", "secret"})
# No chat numbers this many messages, or waits this long.
MAX_COUNT = 2 ** 40
MAX_WINDOW = 86400.0
# A clock may be set back a little between two runs; a file from further ahead is not sane.
CLOCK_SLACK = 3600.0


class SessionError(Exception):
    """A session file that cannot be used; the text says why."""


class Saved:
    """A chat as its session file keeps it: the chat's record, and what surrounds it here."""

    def __init__(self, role: Role, host: str, port: int, name: str, chat: ChatRecord,
                 peer_address: str, window: float, lines: list[tuple[str, str]] | None = None,
                 contact: float = 0.0) -> None:
        self.role, self.host, self.port, self.name = role, host, port, name
        self.chat, self.peer_address, self.window = chat, peer_address, window
        self.lines = [] if lines is None else lines  # (text, kind), as shown
        self.contact = contact  # wall-clock time of the last frame from the partner


def header(saved: Saved, started: float) -> dict:
    """The first record of a new session file."""
    chat = saved.chat
    return {"chat_curses_session": FORMAT, "role": saved.role.value, "host": saved.host,
            "port": saved.port, "name": saved.name, "secret": chat.secret.hex(),
            "verified": chat.verified, "peer": chat.peer, "peer_address": saved.peer_address,
            "window": saved.window, "started": started}


def over(chat: ChatRecord, until: float, name: str) -> dict:
    """What proves ``chat`` is over, kept until ``until``: its resume secret, and
    enough of its bookkeeping for the old chat's handshake (our ``name`` in it, the
    counters); nothing that was said."""
    delivery = chat.delivery
    return {"chat_curses_over": OVER_FORMAT, "secret": chat.secret.hex(), "peer": chat.peer,
            "name": name,
            "verified": chat.verified, "turn": chat.turn.value, "sent": delivery.sent,
            "received": delivery.received, "until": until}


def as_line(record: dict) -> bytes:
    """A record as one line of compact JSON in UTF-8, byte for byte what
    ``json.dumps(record, ensure_ascii=False, separators=(",", ":"))`` writes (the
    header, and what a new file starts with; a message's are ``changes`` and
    ``line_record``)."""
    return (_ENCODER.encode(record) + "\n").encode("utf-8")


def line_record(text: str, kind: str) -> bytes:
    """``as_line({"line": text, "kind": kind})``, a history line's record: one
    a message, written without the loop over its fields."""
    return f'{{"line":{_STRING(text)},"kind":{_STRING(kind)}}}\n'.encode("utf-8")


def state_of(chat: ChatRecord, name: str, digest: bytes | None = None) -> tuple:
    """What a session file keeps up with of ``chat`` (``name``: ours), to compare: the
    partner's name and ours, how far sent, received and acked are, the turn, the digest
    (``digest``, if given: the one the file has, left for a later record)."""
    delivery = chat.delivery
    return (chat.peer, name, delivery.sent, delivery.received, delivery.acked, chat.turn,
            chat.digest if digest is None else digest)


def changes(was: tuple, now: tuple, frames: dict[int, bytes], contact: float | None) -> bytes:
    """The records that take a file from state ``was`` to ``now`` (``state_of`` each;
    ``frames``: the unacknowledged ones by number), as ``as_line`` writes them: one of
    each message sent before the last, then one of all that changed, in ``_apply``'s
    order, with the last ``contact`` if given; b"" for nothing. Written field by field,
    not through ``as_line``'s loop: a message's record is on its way to the wire."""
    peer, name, sent, received, acked, turn, digest = now
    was_peer, was_name, was_sent, was_received, was_acked, was_turn, was_digest = was
    records, fields = [], []
    if peer != was_peer:
        fields.append(f'"peer":{_STRING(peer)}')
    if name != was_name:
        fields.append(f'"name":{_STRING(name)}')
    for number in range(was_sent + 1, sent + 1):
        frame = frames.get(number)  # None if acknowledged already
        field = (f'"sent":{number}' if frame is None else
                 f'"sent":{number},"frame":{_STRING(frame.decode("utf-8"))}')
        if number < sent:  # (the last sent goes with the changes; any before it, each on its own)
            records.append(f"{{{field}}}\n")
        else:
            fields.append(field)
    if received != was_received:
        fields.append(f'"received":{received}')
    if acked != was_acked:
        fields.append(f'"acked":{acked}')
    if turn is not was_turn:
        fields.append(f'"turn":"{turn.value}"')  # (client or server, and a digest's hex: plain)
    if digest != was_digest:
        fields.append(f'"digest":"{digest.hex()}"')
    if contact is not None:
        fields.append(f'"contact":{float.__repr__(round(contact, 1))}')
    if fields:
        records.append(f"{{{','.join(fields)}}}\n")
    return "".join(records).encode("utf-8")


# Made once: json.dumps builds a new encoder per call when given options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_STRING = json.encoder.encode_basestring  # (json's C function, as the encoder uses it)


def parse_over(data: bytes, now: float) -> tuple[ChatRecord, str] | None:
    """The given-up chat an ``over`` record proves, and our name in it; None once its
    time is past. Raises SessionError, with the reason in words."""
    lines = data.split(b"\n")
    if len(lines) != 2 or lines[1]:
        raise SessionError("it is not one whole record")
    fields = _json(lines[0], 1)
    if not isinstance(fields, dict) or fields.get("chat_curses_over") != OVER_FORMAT:
        raise SessionError("it is not a chat_curses record of a chat given up")
    record = _Record(fields, 1)
    chat = ChatRecord(_secret(record), record.name("peer"),
                      verified=record.choice("verified", VERIFIED),
                      turn=Role(record.choice("turn", {"client", "server"})))
    delivery = chat.delivery
    delivery.sent = delivery.acked = record.count("sent")
    delivery.received = record.count("received")
    name = record.name("name")
    return (chat, name) if record.time("until", now + MAX_WINDOW) > now else None


def parse(data: bytes, role: Role, port: int, now: float) -> Saved:
    """The chat a session file of ours (``role``, ``port``) holds; ``now``: the
    wall-clock time. Raises SessionError, with the reason in words."""
    if len(data) > MAX_SESSION_BYTES:
        raise SessionError(f"it is larger than any chat makes ({len(data):,} bytes)")
    lines = data.split(b"\n")
    lines.pop()  # "" after the last newline, or a record a crash cut short: it never was
    if not lines:
        raise SessionError("it is empty")
    first = _json(lines[0], 1)
    if not isinstance(first, dict) or first.get("chat_curses_session") != FORMAT:
        raise SessionError("it is not a chat_curses session of this version")
    saved = _saved(_Record(first, 1), now)
    if (saved.role, saved.port) != (role, port):
        raise SessionError("it belongs to another chat")
    ours = []  # our messages sent since the last digest (``Journal.sync``)
    for number, raw in enumerate(lines[1:], 2):
        record = _json(raw, number)
        if not isinstance(record, dict):
            raise SessionError(f"it is damaged (line {number} is not a record)")
        _apply(saved, _Record(record, number), now, ours)
    for message in ours:  # sent before the digest was written: into it, as the chat did
        if message is None:  # (one written without its frame comes with a digest that has it)
            raise SessionError("it is damaged (a message it holds is missing from its digest)")
        saved.chat.chain(saved.role, message)
    return saved


def _message(frame: bytes, number: int) -> Message:
    """Our message ``number``, as the file keeps its frame (to send again, and for the digest)."""
    try:
        message = decode(frame)
    except RemoteProtocolError:
        message = None
    if not isinstance(message, Message) or message.seq != number:
        raise SessionError(f"it is damaged (message {number} it holds cannot be read)")
    return message


def _secret(record: _Record) -> bytes:
    return _bytes(record, "secret", "its resume secret")


def _bytes(record: _Record, key: str, what: str = "") -> bytes:
    """32 bytes, in hexadecimal."""
    try:
        value = bytes.fromhex(record.text(key, 64))
    except ValueError:
        value = b""
    if len(value) != 32:
        raise SessionError(f"it is damaged ({what or key} is malformed)")
    return value


def _saved(first: _Record, now: float) -> Saved:
    chat = ChatRecord(_secret(first), first.name("peer"), verified=first.choice("verified", VERIFIED))
    window = first.number("window", MAX_WINDOW)
    if window <= 0:
        raise SessionError("it is damaged (its window is not above 0)")
    return Saved(role=Role(first.choice("role", {"client", "server"})),
                 host=first.text("host", 255), port=first.port("port"), name=first.name("name"),
                 chat=chat, peer_address=first.text("peer_address", 300), window=window,
                 contact=first.time("started", now))


# What a record of changes may hold (with "frame", beside "sent").
CHANGES = frozenset(("peer", "name", "sent", "received", "acked", "turn", "digest", "contact"))


def _apply(saved: Saved, record: _Record, now: float, ours: list[Message | None]) -> None:
    """One record after the first: a history line, or what a turn of the loop
    changed (any of the fields below, applied in this order). ``ours``: our
    messages since the last digest, kept up to date (None: one whose frame the
    file does not hold, which a digest must follow)."""
    delivery, fields = saved.chat.delivery, record.fields
    try:
        if "line" in fields:
            saved.lines.append((record.text("line", None), record.choice("kind", KINDS)))
            return
        if not fields.keys() & CHANGES:
            raise SessionError(f"it is damaged (line {record.at} is no record this "
                               f"version writes)")
        if "peer" in fields:  # the partner came back under another name
            saved.chat.peer = record.name("peer")
        if "name" in fields:  # so did we
            saved.name = record.name("name")
        if "sent" in fields:
            number = record.count("sent")
            if "frame" in fields:
                frame = record.text("frame", None).encode("utf-8")
                delivery.keep(number, frame)
                ours.append(_message(frame, number))  # (one numbered so: it is sent again as it is)
            else:  # sent, and acknowledged before the file heard of it
                delivery.sent = delivery.acked = max(delivery.sent, number)
                delivery.unacked.clear()
                ours.append(None)
        if "received" in fields:
            delivery.received = record.count("received")
        if "acked" in fields:
            delivery.acknowledge(record.count("acked"))
        if "turn" in fields:
            saved.chat.turn = Role(record.choice("turn", {"client", "server"}))
        if "digest" in fields:  # (a message sent in the same record is in it)
            saved.chat.digest = _bytes(record, "digest")
            ours.clear()
        if "contact" in fields:
            saved.contact = record.time("contact", now)
    except (ValueError, SequenceError) as error:
        if isinstance(error, SessionError):
            raise
        raise SessionError(f"it is damaged (line {record.at}: {error})"[:MAX_REASON_CHARS]) \
            from None


class _Record:
    """One record's fields, each taken only if it is of its kind."""

    def __init__(self, fields: dict, number: int) -> None:
        self.fields, self.at = fields, number

    def _bad(self, key: str, what: str) -> SessionError:
        return SessionError(f"it is damaged (line {self.at}: {key} is not {what})")

    def _get(self, key: str):
        if key not in self.fields:
            raise SessionError(f"it is damaged (line {self.at} has no {key})")
        return self.fields[key]

    def text(self, key: str, most: int | None) -> str:
        value = self._get(key)
        if not isinstance(value, str) or (most is not None and len(value) > most):
            raise self._bad(key, "a text" if most is None else f"a text of at most {most}")
        return value

    def name(self, key: str) -> str:
        value = self.text(key, MAX_NAME_CHARS)
        try:
            if check_username(value) == value:
                return value
        except ValidationError:
            pass
        raise self._bad(key, "a name")

    def choice(self, key: str, allowed) -> str:
        value = self._get(key)
        if not isinstance(value, str) or value not in allowed:
            raise self._bad(key, "one of " + ", ".join(sorted(repr(item) for item in allowed)))
        return value

    def count(self, key: str) -> int:
        value = self._get(key)
        if type(value) is not int or not 0 <= value <= MAX_COUNT:
            raise self._bad(key, "a count of messages")
        return value

    def port(self, key: str) -> int:
        value = self._get(key)
        if type(value) is not int or not 1 <= value <= 65535:
            raise self._bad(key, "a port")
        return value

    def number(self, key: str, most: float) -> float:
        value = self._get(key)
        if type(value) not in (int, float) or not math.isfinite(value) or not 0 <= value <= most:
            raise self._bad(key, f"a number from 0 to {most:g}")
        return float(value)

    def time(self, key: str, now: float) -> float:
        return self.number(key, now + CLOCK_SLACK)


def _json(raw: bytes, number: int):
    try:
        return json.loads(raw, parse_constant=_not_a_number)
    except (ValueError, RecursionError):
        raise SessionError(f"it is damaged (line {number} is not JSON)") from None


def _not_a_number(name: str):
    raise ValueError(f"{name} is not a number")
