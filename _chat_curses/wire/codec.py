"""Events as frames: one JSON object each, and times as the wire writes them. No I/O.

``encode`` turns an event into its frame, a JSON object in UTF-8 (the
channel frames it on the wire); ``decode`` turns a frame back into an
event, or raises ``RemoteProtocolError``. A message, the frame of nearly every exchange, is
written directly and read with json's own scanner. Times are UTC to the
second, ``2023-04-17T11:42:43Z``, parsed by arithmetic.
"""

from __future__ import annotations

import time
from functools import lru_cache

from ..values import TWO_DIGITS, Pattern
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
# part, is worked out once a day; the time of day is looked up, two digits at a
# time (int() and strftime cost each message more than the rest of its time).
_TIME_RE = Pattern(r"([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
_OF_TWO_DIGITS = {digits: number for number, digits in enumerate(TWO_DIGITS)}


def format_utc(seconds: int) -> str:
    day, moment = divmod(seconds, 86400)
    hour, moment = divmod(moment, 3600)
    minute, second = divmod(moment, 60)
    return f"{_date(day)}T{TWO_DIGITS[hour]}:{TWO_DIGITS[minute]}:{TWO_DIGITS[second]}Z"


def parse_utc(text: str) -> int:
    """Seconds since the epoch; ValueError for anything but a real moment (no 31 April)."""
    match = _TIME_RE.fullmatch(text)
    if not match:
        raise ValueError(f"not a time of the form 2023-04-17T11:42:43Z: {text!r}")
    date, hour, minute, second = match.groups()
    of = _OF_TWO_DIGITS.get
    hour, minute, second = of(hour), of(minute), of(second)
    if hour is None or hour >= 24 or minute is None or second is None:
        raise ValueError(f"no such moment: {text!r}")
    return _day(date) * 86400 + hour * 3600 + minute * 60 + second


@lru_cache(maxsize=64)
def _date(day: int) -> str:
    """Day ``day`` since 1970-01-01, written 2023-04-17."""
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86400))


@lru_cache(maxsize=64)
def _day(date: str) -> int:
    """Days since 1970-01-01 to ``date``, written 2023-04-17; ValueError for no such day."""
    year, month, day = int(date[:4]), int(date[5:7]), int(date[8:10])
    if not (year >= 1 and 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)):
        raise ValueError(f"no such day: {date!r}")
    return _days_since_epoch(year, month, day)


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
