"""Events as frames: one JSON object each, and times as the wire writes them. No I/O.

``encode`` turns an event into its frame, a JSON object in UTF-8 (the
channel frames it on the wire); ``decode`` turns a frame back into an
event, or raises ``RemoteProtocolError``. A message, the frame of nearly every exchange, is
written directly and read with json's own scanner. Times are UTC to the
second, ``2023-04-17T11:42:43Z``.
"""

from __future__ import annotations

import datetime
import time
from functools import lru_cache

from ..values import TWO_DIGITS
from .events import (
    Bye,
    Event,
    Hello,
    LocalProtocolError,
    Message,
    Ping,
    RemoteProtocolError,
    Typing,
)

# --- Times on the wire: "2023-04-17T11:42:43Z" -----------------------------

# Each message carries one, on the way out and on the way in. The date, the slow
# part of writing one, is worked out once a day and the time of day looked up
# (int() and strftime cost each message more than the rest of its time); one is
# read by datetime's own parser, in C, once it has the form.
_EPOCH_DAY = datetime.date(1970, 1, 1).toordinal()


def format_utc(seconds: int) -> str:
    day, moment = divmod(seconds, 86400)
    hour, moment = divmod(moment, 3600)
    minute, second = divmod(moment, 60)
    return f"{_date(day)}T{TWO_DIGITS[hour]}:{TWO_DIGITS[minute]}:{TWO_DIGITS[second]}Z"


def parse_utc(text: str) -> int:
    """Seconds since the epoch; ValueError for anything but a real moment (no 31
    April), written as ``format_utc`` writes it."""
    if len(text) != 20 or text[4::3] != "--T::Z":  # (ISO 8601 has other forms: not here)
        raise ValueError(f"not a time of the form 2023-04-17T11:42:43Z: {text!r}")
    moment = datetime.datetime.fromisoformat(text)  # (ValueError: no digits, or no such day)
    return ((moment.toordinal() - _EPOCH_DAY) * 86400 + moment.hour * 3600
            + moment.minute * 60 + moment.second)


@lru_cache(maxsize=64)
def _date(day: int) -> str:
    """Day ``day`` since 1970-01-01, written 2023-04-17."""
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86400))


# --- Frames ----------------------------------------------------------------


def _frame_fields(event: Event) -> dict:
    if isinstance(event, Hello):
        return {"type": "hello", "version": event.version, "name": event.name,
                "received": event.received}
    if isinstance(event, Message):
        return {"type": "message", "seq": event.seq, "ack": event.ack, "text": event.text,
                "sent": format_utc(event.sent)}
    if isinstance(event, Ping):
        return {"type": "ping", "ack": event.ack, **({"deaf": True} if event.deaf else {})}
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


def encode(event: Event) -> bytes:
    if type(event) is Message:
        return message_frame(event, event.seq, event.ack)
    return _JSON.encoder.encode(_frame_fields(event)).encode("utf-8")


def message_frame(message: Message, seq: int, ack: int) -> bytes:
    """The frame of ``message`` numbered ``seq``, acknowledging ``ack`` (of nearly
    every exchange: written directly, as the encoder would write its fields)."""
    return (f'{{"type":"message","seq":{seq},"ack":{ack},'
            f'"text":{_JSON.quote(message.text)},"sent":"{format_utc(message.sent)}"}}'
            ).encode("utf-8")


def _event_from(fields: dict) -> Event:
    kind = fields.get("type")
    if kind == "hello":
        return Hello(name=fields.get("name"), version=fields.get("version"),
                     received=fields.get("received", 0))
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
        # (in order: a class called with keywords makes a dict of them, each message)
        return Message(fields.get("text"), seconds, seq, fields.get("ack", 0))
    if kind == "ping":
        return Ping(fields.get("ack", 0), fields.get("deaf") is True)
    if kind == "typing":
        return Typing()
    if kind == "bye":
        return Bye(reason=fields.get("reason", ""))
    raise LocalProtocolError(f"unknown frame type {str(kind)[:20]!r}")


def decode(line: bytes) -> Event:
    """Turn one frame into an event, or raise RemoteProtocolError."""
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
