"""Tests of chat/saved.py: a session file's bytes read back, and every way they can lie."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _chat_curses.chat import saved as saved_module
from _chat_curses.chat.saved import (
    FORMAT,
    Saved,
    SessionError,
    as_line,
    header,
    line_record,
    parse,
)
from _chat_curses.wire.codec import encode
from _chat_curses.wire.events import Message, Role
from _chat_curses.wire.record import ChatRecord

SECRET = bytes(range(32))
NOW = 1_700_000_000.0


def a_header(**changes) -> dict:
    saved = Saved(role=Role.CLIENT, host="127.0.0.1", port=8000, name="user",
                  chat=ChatRecord(SECRET, "server", verified="code"),
                  peer_address="127.0.0.1:8000", window=300.0)
    fields = header(saved, NOW - 10)
    fields.update(changes)
    return fields


def a_file(*records: dict, first: dict | None = None) -> bytes:
    lines = [first if first is not None else a_header(), *records]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def a_frame(seq: int, text: str = "hello") -> str:
    return encode(Message(text, int(NOW) - 60, seq, 0)).decode()


GOOD = a_file({"line": "Connection established.", "kind": "system"},
              {"line": "<t> [user]: hello", "kind": "own"},
              {"sent": 1, "frame": a_frame(1)},
              {"turn": "server"}, {"received": 0}, {"acked": 1},
              {"sent": 2, "frame": a_frame(2)},
              {"contact": NOW - 5})


def test_a_file_is_read_back_as_it_was_written():
    saved = parse(GOOD, Role.CLIENT, 8000, NOW)
    assert saved.chat.secret == SECRET and saved.chat.peer == "server"
    assert saved.chat.verified == "code" and saved.chat.turn is Role.SERVER
    assert saved.lines == [("Connection established.", "system"), ("<t> [user]: hello", "own")]
    delivery = saved.chat.delivery
    assert (delivery.sent, delivery.acked, list(delivery.unacked)) == (2, 1, [2])
    assert saved.contact == NOW - 5 and saved.window == 300.0 and saved.name == "user"
    assert header(saved, NOW - 10)["chat_curses_session"] == FORMAT


def test_a_file_cut_at_any_byte_is_read_to_its_last_whole_record_or_set_aside():
    """kill -9 in the middle of a write leaves a prefix: never a crash, never half a record."""
    whole = parse(GOOD, Role.CLIENT, 8000, NOW)
    for end in range(len(GOOD) + 1):
        try:
            saved = parse(GOOD[:end], Role.CLIENT, 8000, NOW)
        except SessionError:
            assert end < GOOD.index(b"\n") + 1  # only a file without a whole header
            continue
        kept = GOOD[:end].count(b"\n") - 1  # the whole records after the header
        assert len(saved.lines) == min(kept, 2)
        assert saved.chat.delivery.sent <= whole.chat.delivery.sent


@pytest.mark.parametrize("first, complaint", [
    ({"chat_curses_session": 99}, "not a chat_curses session"),
    (a_header(started=float("nan")), "not JSON"),
    (a_header(window=float("nan")), "not JSON"),
    (a_header(window=float("inf")), "not JSON"),
    (a_header(window=0), "window is not above 0"),
    (a_header(window=1e9), "window is not a number"),
    (a_header(started=NOW + 86400), "started is not a number"),
    (a_header(started=-1), "started is not a number"),
    (a_header(port="8000"), "port is not a port"),
    (a_header(port=True), "port is not a port"),
    (a_header(port=70000), "port is not a port"),
    (a_header(name=5), "name is not a text"),
    (a_header(name=""), "name is not a name"),
    (a_header(peer="x" * 33), "peer is not a text of at most 32"),
    (a_header(secret="00" * 16), "resume secret is malformed"),
    (a_header(secret="zz" * 32), "resume secret is malformed"),
    (a_header(verified="trust me"), "verified is not one of"),
    (a_header(role="admin"), "role is not one of"),
    ({key: value for key, value in a_header().items() if key != "peer"}, "has no peer"),
])
def test_a_header_that_lies_is_a_session_error(first, complaint):
    with pytest.raises(SessionError, match=complaint):
        parse(a_file(first=first), Role.CLIENT, 8000, NOW)


@pytest.mark.parametrize("record, complaint", [
    ({"received": -1}, "received is not a count"),
    ({"received": 2 ** 60}, "received is not a count"),
    ({"received": 1.5}, "received is not a count"),
    ({"sent": 1, "frame": 5}, "frame is not a text"),
    ({"sent": 3, "frame": "{}"}, "message 3 kept after 0"),
    ({"sent": 1, "frame": "{}"}, "message 1 it holds cannot be read"),
    ({"sent": 1, "frame": a_frame(7)}, "message 1 it holds cannot be read"),  # (sent again so)
    ({"sent": 1, "frame": '{"type":"ping","ack":0}'}, "message 1 it holds cannot be read"),
    ({"sent": 1, "frame": a_frame(2), "digest": "00" * 32}, "message 1 it holds cannot"),
    ({"acked": 4}, "acknowledges message 4"),
    ({"contact": "yesterday"}, "contact is not a number"),
    ({"contact": NOW + 86400}, "contact is not a number"),
    ({"turn": "nobody"}, "turn is not one of"),
    ({"line": "\x1b]0;hi\x07", "kind": "evil"}, "kind is not one of"),
    ({"line": ["not", "text"], "kind": "system"}, "line is not a text"),
    ({"digest": "00" * 31}, "digest is malformed"),
    ({"digest": 7}, "digest is not a text"),
    ({"peer": ""}, "peer is not a name"),
    ({"peer": "a\x1b[2Jb"}, "peer is not a name"),
    ({"name": "x" * 33}, "name is not a text of at most 32"),
    ({"shout": 1}, "no record this version writes"),
    ({"frame": "{}"}, "no record this version writes"),
    ({"received": 0, "turn": "server", "digest": "00" * 31}, "digest is malformed"),  # all checked
    ({"turn": "client", "acked": 4}, "acknowledges message 4"),
    ([1, 2], "is not a record"),
])
def test_a_record_that_lies_is_a_session_error(record, complaint):
    with pytest.raises(SessionError, match=complaint):
        parse(a_file(record), Role.CLIENT, 8000, NOW)


def test_a_message_neither_in_the_digest_nor_held_in_a_frame_is_a_session_error():
    """The file's digest lags only behind messages whose frames it holds (the
    journal writes one with a message acknowledged before the file heard of it):
    a file in which one is missing would give a digest without it, silently."""
    lagging = a_file({"sent": 1, "frame": a_frame(1)}, {"sent": 2, "acked": 2})
    with pytest.raises(SessionError, match="a message it holds is missing from its digest"):
        parse(lagging, Role.CLIENT, 8000, NOW)
    digested = a_file({"sent": 1, "frame": a_frame(1)},
                      {"sent": 2, "acked": 2, "digest": "ab" * 32})
    assert parse(digested, Role.CLIENT, 8000, NOW).chat.digest == bytes.fromhex("ab" * 32)


def test_not_a_number_is_refused_even_where_json_would_take_it():
    data = a_file() + b'{"contact": NaN}\n'
    with pytest.raises(SessionError, match="not JSON"):
        parse(data, Role.CLIENT, 8000, NOW)


def test_a_file_of_another_role_or_port_is_another_chat():
    with pytest.raises(SessionError, match="another chat"):
        parse(GOOD, Role.SERVER, 8000, NOW)
    with pytest.raises(SessionError, match="another chat"):
        parse(GOOD, Role.CLIENT, 9000, NOW)


def test_a_file_larger_than_any_chat_makes_is_refused_unread(monkeypatch):
    monkeypatch.setattr(saved_module, "MAX_SESSION_BYTES", len(GOOD) - 1)
    with pytest.raises(SessionError, match="larger than any chat makes"):
        parse(GOOD, Role.CLIENT, 8000, NOW)


@pytest.mark.parametrize("junk", [b"", b"\n", b"\xff\xfe\n", b"[" * 100000 + b"\n",
                                  b"9" * 5000 + b"\n"])
def test_junk_is_a_session_error(junk):
    with pytest.raises(SessionError):
        parse(junk, Role.CLIENT, 8000, NOW)


# --- what proves a chat given up is over ---------------------------------------------------


def an_over(**changes) -> bytes:
    chat = ChatRecord(SECRET, "server", verified="code", turn=Role.SERVER)
    chat.delivery.keep(1, b"{}")
    chat.delivery.received = 4
    fields = saved_module.over(chat, NOW + 60, "user")
    fields.update(changes)
    return json.dumps(fields).encode() + b"\n"


def test_a_proof_of_a_chat_given_up_is_read_back_with_what_its_handshake_needs():
    chat, name = saved_module.parse_over(an_over(), NOW)
    assert name == "user" and chat.secret == SECRET and chat.peer == "server" and chat.verified == "code"
    assert chat.turn is Role.SERVER
    assert (chat.delivery.sent, chat.delivery.received, chat.delivery.unacked) == (1, 4, {})
    assert "line" not in an_over().decode()  # nothing of what was said


def test_a_proof_whose_time_is_past_proves_nothing_more():
    assert saved_module.parse_over(an_over(until=NOW - 1), NOW) is None


@pytest.mark.parametrize("data, complaint", [
    (b"", "not one whole record"),
    (an_over()[:-1], "not one whole record"),
    (an_over() + an_over(), "not one whole record"),
    (b'{"chat_curses_session": 2}\n', "not a chat_curses record of a chat given up"),
    (an_over(until=float("nan")), "not JSON"),
    (an_over(until=NOW + 10 ** 9), "until is not a number"),
    (an_over(secret="00" * 31), "resume secret is malformed"),
    (an_over(sent=-1), "sent is not a count"),
    (an_over(received=2 ** 60), "received is not a count"),
    (an_over(peer=["server"]), "peer is not a text"),
    (an_over(turn="nobody"), "turn is not one of"),
    (an_over(name=""), "name is not a name"),
])
def test_a_damaged_proof_is_refused_in_words(data, complaint):
    with pytest.raises(SessionError, match=complaint):
        saved_module.parse_over(data, NOW)


@pytest.mark.parametrize("record", [
    {"line": 'quotes " and \\ back\\slashes, tabs\tand\nbreaks', "kind": "peer"},
    {"line": "\x00\x1b[2J\x7f\x9b controls", "kind": "warning"},
    {"line": "漢字 é 😀 \u202e\u2028 wide, marks, bidi", "kind": "own"},
    {"sent": 12, "frame": '{"type":"message","text":"a \\"b\\""}'},
    {"received": 0}, {"acked": 2**40}, {"contact": 1681731763.4}, {"digest": "ab" * 32},
    {"chat_curses_session": 3, "verified": True, "window": 300.0, "name": None, "list": [1, "a"]},
    {"contact": 1e16, "a": -0.0, "b": 1e-07, "c": 0.1, "d": 2.0**60},
    {"e": float("inf"), "f": float("-inf"), "g": float("nan")},
])
def test_records_are_written_as_json_writes_them(record):
    import json

    assert as_line(record) == (
        json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    if list(record) == ["line", "kind"]:  # a history line's, written the short way
        assert line_record(record["line"], record["kind"]) == as_line(record)


def _changes_the_long_way(was, now, frames, contact):
    """What ``changes`` writes, as records built as dicts and written by json."""
    peer, name, sent, received, acked, turn, digest = now
    records, change = [], {}
    if peer != was[0]:
        change["peer"] = peer
    if name != was[1]:
        change["name"] = name
    for number in range(was[2] + 1, sent + 1):
        frame = frames.get(number)
        records.append({"sent": number} if frame is None else
                       {"sent": number, "frame": frame.decode("utf-8")})
    if records:
        change.update(records.pop())
    for key, index, value in (("received", 3, received), ("acked", 4, acked)):
        if value != was[index]:
            change[key] = value
    if turn is not was[5]:
        change["turn"] = turn.value
    if digest != was[6]:
        change["digest"] = digest.hex()
    if contact is not None:
        change["contact"] = round(contact, 1)
    return b"".join((json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
                    for record in records + ([change] if change else []))


_NAMES = st.sampled_from(["server", "user", 'quo"te\\', "漢字 é", "\x1b[2J"])
_STATES = st.tuples(_NAMES, _NAMES, st.integers(0, 6), st.integers(0, 2**40), st.integers(0, 6),
                    st.sampled_from([Role.CLIENT, Role.SERVER]),
                    st.sampled_from([b"", bytes(32), bytes(range(32))]))


@settings(max_examples=500, deadline=None)
@given(_STATES, _STATES, st.sets(st.integers(1, 6)),
       st.one_of(st.none(), st.floats(0, 4e9, allow_nan=False)))
def test_changes_are_written_as_json_writes_their_records(was, now, unacked, contact):
    was = was[:2] + (min(was[2], now[2]),) + was[3:]  # (what was sent only grows)
    frames = {number: json.dumps({"type": "message", "seq": number, "text": 'a "b" \\ 漢'},
                                 ensure_ascii=False).encode() for number in unacked}
    assert saved_module.changes(was, now, frames, contact) == \
        _changes_the_long_way(was, now, frames, contact)
