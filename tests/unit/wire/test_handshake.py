"""Tests of wire/handshake.py and the sealed channel: both sides in one process, a byte
pipe between them, and an attacker on it: relays, flipped bits, replays, downgrades."""

import json

import pytest

from _chat_curses.wire.events import (NEED_DATA, BrokenRecord, Hello, Message, NotProven,
                                      RemoteProtocolError,
                                      Refused, Role)
from _chat_curses.wire.handshake import Brings, ClientHello, Handshake, Proven
from _chat_curses.wire.protocol import Protocol

CODE = b"7-amber-otter"
SECRET = b"a long shared secret, for both"
RESUME = bytes(range(32))
T0 = 1681731763


def events(handshake, data):
    handshake.receive_data(data)
    found = []
    while (event := handshake.next_event()) is not NEED_DATA:
        found.append(event)
        if not isinstance(event, ClientHello) or len(found) > 3:
            break
    return found


def pump(client, server, to_client, on_wire=lambda who, data: data, outcome=None):
    """After the server's answer (``to_client``), the rest of the handshake back and
    forth until neither side has more to say: each side's outcome, a Proven or the
    error it raised."""
    outcome = {} if outcome is None else outcome
    sides = {"client": client, "server": server}

    def deliver(side, data):
        if side in outcome or not data:
            return
        try:
            found = events(sides[side], data)
        except (NotProven, Refused) as error:
            outcome[side] = error
            return
        if found:
            outcome[side] = found[0]

    for _ in range(4):
        deliver("client", on_wire("server", to_client) if to_client else b"")
        said = client.data_to_send()
        deliver("server", on_wire("client", said) if said else b"")
        to_client = server.data_to_send()
    return outcome


def run(brings=Brings.NONE, client_password=b"", server_password=None, client_resume=b"",
        server_resume=None, on_wire=lambda who, data: data):
    """A client and a server through a pipe that ``on_wire(who, data)`` may change; the
    client, the server, and each side's outcome (a Proven, or the error it raised)."""
    server_password = client_password if server_password is None else server_password
    server_resume = client_resume if server_resume is None else server_resume
    client = Handshake(Role.CLIENT, brings, client_password, client_resume)
    server = Handshake(Role.SERVER)
    [hello] = events(server, on_wire("client", client.hello()))
    assert isinstance(hello, ClientHello)
    answer = server.accept(server_password if hello.brings in (Brings.CODE, Brings.SECRET)
                           else b"", server_resume if hello.brings is Brings.RESUME else b"")
    return client, server, pump(client, server, answer, on_wire)


def proven(outcome, side):
    assert isinstance(outcome.get(side), Proven), outcome
    return outcome[side]


# --- what each way of proving gives --------------------------------------------------


@pytest.mark.parametrize("brings, password, resume", [
    (Brings.CODE, CODE, b""), (Brings.SECRET, SECRET, b""), (Brings.RESUME, b"", RESUME),
    (Brings.NONE, b"", b""),
])
def test_both_sides_prove_the_same_keys(brings, password, resume):
    client, server, outcome = run(brings, password, client_resume=resume)
    mine, theirs = proven(outcome, "client"), proven(outcome, "server")
    assert mine.how is theirs.how is brings
    assert mine.phrase == theirs.phrase and len(mine.phrase) == 4
    assert mine.resume_secret == theirs.resume_secret and len(mine.resume_secret) == 32
    frame = client.channel.seal(b'{"type":"ping","ack":0}')
    server.channel.receive_data(frame)
    assert server.channel.next_frame() == b'{"type":"ping","ack":0}'


@pytest.mark.parametrize("brings", [Brings.CODE, Brings.SECRET])
def test_a_wrong_password_is_caught_by_the_client_before_it_says_anything(brings):
    client, server, outcome = run(brings, CODE, b"8-amber-otter")
    assert isinstance(outcome["client"], NotProven)
    assert str(outcome["client"]) == {Brings.CODE: "wrong pairing code",
                                      Brings.SECRET: "the shared secrets do not match"}[brings]
    assert client.data_to_send() == b""  # no proof of its own, nothing of its chat


def test_a_client_that_leaves_after_the_servers_proof_counts_as_a_wrong_guess():
    client = Handshake(Role.CLIENT, Brings.CODE, b"1-acorn-adult")
    server = Handshake(Role.SERVER)
    events(server, client.hello())
    server.accept(CODE)  # the guesser takes this answer home to check one guess
    with pytest.raises(NotProven, match="wrong pairing code"):
        events(server, b"")


def test_a_resume_with_another_resume_secret_is_not_proven():
    _, _, outcome = run(Brings.RESUME, client_resume=RESUME, server_resume=bytes(32))
    assert isinstance(outcome["client"], NotProven)
    assert str(outcome["client"]) == "it could not prove it holds this chat"


def test_nothing_secret_crosses_the_wire():
    seen = bytearray()

    def record(who, data):
        seen.extend(data)
        return data

    for brings, password, resume in [(Brings.CODE, CODE, b""), (Brings.SECRET, SECRET, b""),
                                     (Brings.RESUME, b"", RESUME)]:
        run(brings, password, client_resume=resume, on_wire=record)
    for secret in (CODE, SECRET, RESUME, RESUME.hex().encode()):
        assert secret not in seen


# --- an attacker on the path ------------------------------------------------------


class Relay:
    """A man in the middle: a server to the client and a client to the server."""

    def __init__(self, brings=Brings.NONE, password=b""):
        self.facing_client = Handshake(Role.SERVER)
        self.facing_server = Handshake(Role.CLIENT, brings, password)


def test_a_relay_in_an_unverified_chat_shows_different_phrases_on_the_two_sides():
    client, server, relay = Handshake(Role.CLIENT), Handshake(Role.SERVER), Relay()
    events(relay.facing_client, client.hello())
    mine = pump(client, relay.facing_client, relay.facing_client.accept())["client"]
    events(server, relay.facing_server.hello())
    theirs = pump(relay.facing_server, server, server.accept())["client"]
    assert isinstance(mine, Proven) and isinstance(theirs, Proven)  # unverified: both "work"
    assert mine.phrase != theirs.phrase  # and the two people can see it


def test_bringing_nothing_the_client_shows_no_key_before_the_server_chose_its_own():
    """ZRTP's commitment: a relay answering the client cannot try one server hello after
    another until the client's phrase matches the one it has with the real server,
    since it must answer before it knows the client's key or nonce."""
    client, server = Handshake(Role.CLIENT), Handshake(Role.SERVER)
    hello = client.hello()
    fields = json.loads(hello)
    assert "key" not in fields and "nonce" not in fields and len(fields["commit"]) == 64
    events(server, hello)
    answer = server.accept()
    assert answer.count(b"\n") == 1 and server.channel is None  # its hello only: no keys yet
    assert client.data_to_send() == b""  # the reveal waits for the server's hello
    events(client, answer)
    reveal = client.data_to_send()
    assert json.loads(reveal)["key"] and json.loads(reveal)["type"] == "reveal"


def test_a_reveal_that_is_not_what_was_committed_to_proves_nothing():
    """A relay that saw the server's hello and swaps in another key for the client's."""
    def swap(who, data):
        if who == "client" and data.startswith(b'{"type":"reveal"'):
            other = Handshake(Role.CLIENT)
            other.hello()
            events(other, server_answer[0])
            return other.data_to_send()
        return data

    client, server = Handshake(Role.CLIENT), Handshake(Role.SERVER)
    events(server, client.hello())
    server_answer = [server.accept()]
    outcome = pump(client, server, server_answer[0], swap)
    assert isinstance(outcome["server"], NotProven)
    assert str(outcome["server"]) == "the handshake was changed on the way"
    assert server.proven is None and not isinstance(outcome.get("client"), Proven)


def test_a_relay_without_the_code_cannot_get_in_between():
    client, relay = Handshake(Role.CLIENT, Brings.CODE, CODE), Relay(Brings.CODE, b"1-fox-owl")
    events(relay.facing_client, client.hello())
    with pytest.raises(NotProven, match="wrong pairing code"):
        events(client, relay.facing_client.accept(b"1-fox-owl"))  # its one guess, wrong


def test_stripping_the_code_from_the_hello_is_noticed():
    def strip(who, data):
        if who == "client":
            fields = json.loads(data)
            if fields.get("type") != "hello":
                return data
            fields["brings"] = "none"
            for name in ("pake", "key", "nonce"):
                fields.pop(name)
            fields["commit"] = "ab" * 32  # to pass for a hello that brings nothing
            return json.dumps(fields).encode() + b"\n"
        return data

    _, _, outcome = run(Brings.CODE, CODE, on_wire=strip)
    assert isinstance(outcome["client"], NotProven)  # it answered "none" to "code"


def test_putting_the_code_back_in_the_servers_answer_is_noticed_too():
    client = Handshake(Role.CLIENT, Brings.CODE, CODE)
    hello = json.loads(client.hello())
    hello["brings"], hello["commit"] = "none", "ab" * 32
    for name in ("pake", "key", "nonce"):
        hello.pop(name)
    server = Handshake(Role.SERVER)
    events(server, json.dumps(hello).encode() + b"\n")
    answer = server.accept()
    line, rest = answer.split(b"\n", 1)
    forged = json.loads(line)
    forged["wants"], forged["pake"] = "code", "00" * 33
    with pytest.raises(RemoteProtocolError):  # no key exchange at all, or not proven
        events(client, json.dumps(forged).encode() + b"\n" + rest)
    assert client.proven is None


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


def flip_hex(data: bytes, after: bytes) -> bytes:
    """A bit of the first decimal digit of the hex field that starts with ``after``
    flipped: still hexadecimal ('4' becomes '5'), so only the proof can notice."""
    at = data.index(after) + len(after)
    while not data[at:at + 1].isdigit():
        at += 1
    return flip(data, at)


@pytest.mark.parametrize("where", ["client hello", "server hello", "server proof"] * 5)
def test_a_flipped_bit_anywhere_in_the_handshake_proves_nothing(where):
    def tamper(who, data):
        if where == "client hello" and who == "client" and data.startswith(b'{"type":"reveal"'):
            return flip_hex(data, b'"key":"')
        if where == "server hello" and who == "server" and data.startswith(b"{"):
            return flip_hex(data, b'"nonce":"')
        if where == "server proof" and who == "server" and not data.startswith(b"{"):
            return flip(data, len(data) - 3)  # (bringing nothing, the proof comes on its own)
        return data

    _, _, outcome = run(Brings.NONE, on_wire=tamper)
    # The client's reveal changed: the server finds it is not what was committed to.
    side = "server" if where == "client hello" else "client"
    assert isinstance(outcome[side], NotProven)
    assert str(outcome[side]) == "the handshake was changed on the way"
    assert not any(isinstance(result, Proven) for result in outcome.values())


# --- records after the handshake --------------------------------------------------


def sealed_pair():
    client, server, outcome = run(Brings.CODE, CODE)
    assert isinstance(outcome["server"], Proven)
    return client.channel, server.channel


def test_a_record_changed_on_the_way_is_a_broken_record():
    sender, receiver = sealed_pair()
    record = sender.seal(b'{"type":"bye"}')
    receiver.receive_data(flip(record, 8))
    with pytest.raises(BrokenRecord, match="did not open"):
        receiver.next_frame()


def test_a_replayed_record_and_reordered_records_are_broken_records():
    sender, receiver = sealed_pair()
    one, two = sender.seal(b"one"), sender.seal(b"two")
    receiver.receive_data(one)
    assert receiver.next_frame() == b"one"
    receiver.receive_data(one)  # again
    with pytest.raises(BrokenRecord):
        receiver.next_frame()
    sender, receiver = sealed_pair()
    one, two = sender.seal(b"one"), sender.seal(b"two")
    receiver.receive_data(two + one)
    with pytest.raises(BrokenRecord):
        receiver.next_frame()


@pytest.mark.parametrize("cut", [1, 4, 10])
def test_a_record_cut_short_by_the_end_of_the_connection_is_a_broken_record(cut):
    sender, receiver = sealed_pair()
    receiver.receive_data(sender.seal(b"a whole frame")[:-cut])
    receiver.receive_data(b"")
    with pytest.raises(BrokenRecord, match="middle of a record"):
        receiver.next_frame()


def test_a_record_claiming_to_be_huge_is_refused_before_it_is_held():
    _, receiver = sealed_pair()
    receiver.receive_data((10**9).to_bytes(4, "big") + b"x" * 100)
    with pytest.raises(BrokenRecord):
        receiver.next_frame()


def test_a_broken_record_breaks_the_chat_protocol_as_a_broken_record():
    client, server, outcome = run(Brings.CODE, CODE)
    ours = Protocol(Role.CLIENT, client.channel)
    theirs = Protocol(Role.SERVER, server.channel)
    theirs.receive_data(flip(ours.send(Hello("user")), 6))
    with pytest.raises(BrokenRecord):
        theirs.next_event()


# --- resuming, replayed ------------------------------------------------------------


def test_a_recorded_resume_replayed_to_the_server_proves_nothing():
    recorded = bytearray()

    def record(who, data):
        if who == "client":
            recorded.extend(data)
        return data

    _, _, outcome = run(Brings.RESUME, client_resume=RESUME, on_wire=record)
    assert isinstance(outcome["server"], Proven)  # the real resume
    server = Handshake(Role.SERVER)  # the replay, to a server with a fresh key and nonce
    [hello] = events(server, bytes(recorded[:recorded.index(b"\n") + 1]))
    server.accept(resume_secret=RESUME)
    with pytest.raises(NotProven, match="could not prove it holds this chat"):
        events(server, bytes(recorded[recorded.index(b"\n") + 1:]))
    assert server.proven is None


def test_every_connection_of_a_chat_has_keys_of_its_own():
    first, _ = run(Brings.RESUME, client_resume=RESUME)[0:2]
    second, second_server = run(Brings.RESUME, client_resume=RESUME)[0:2]
    same = b'{"type":"message","seq":1,"ack":0,"text":"hi","sent":"2023-04-17T11:42:43Z"}'
    record_one, record_two = first.channel.seal(same), second.channel.seal(same)
    assert record_one != record_two  # the first record of each: nonce 0, keys not the same
    second_server.channel.receive_data(record_one)
    with pytest.raises(BrokenRecord):
        second_server.channel.next_frame()


def test_every_byte_of_both_hellos_goes_into_the_keys(monkeypatch):
    """Noise's and TLS's rule: the transcript salts the key derivation, so that two
    handshakes alike in all but one byte (here the client's nonce) share no key."""
    import os

    fixed = iter([bytes(16), bytes(16), bytes([1]) + bytes(15), bytes(16)])  # client, server
    monkeypatch.setattr(os, "urandom", lambda size: next(fixed))
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    keys = [X25519PrivateKey.from_private_bytes(bytes([n]) * 32) for n in (1, 2)]
    sealed = []
    for _ in range(2):
        client, server = Handshake(Role.CLIENT), Handshake(Role.SERVER)
        client._private, server._private = keys  # the same keys both times: only a nonce differs
        events(server, client.hello())
        pump(client, server, server.accept())
        sealed.append(client.channel.seal(b"the same frame"))
    assert sealed[0] != sealed[1]


def test_a_chat_runs_over_the_sealed_channel():
    client, server, outcome = run(Brings.NONE)
    ours, theirs = Protocol(Role.CLIENT, client.channel), Protocol(Role.SERVER, server.channel)
    theirs.receive_data(ours.send(Hello("user")))
    assert theirs.next_event() == Hello("user")
    ours.receive_data(theirs.send(Hello("server")))
    ours.next_event()
    theirs.receive_data(ours.send(Message("sealed", T0)))
    assert theirs.next_event() == Message("sealed", T0)


# --- plain refusals, and other programs ----------------------------------------------


def test_a_servers_plain_answers_are_refusals_that_prove_nothing():
    for answer, kind in [(Handshake(Role.SERVER).busy(), Refused.BUSY),
                         (Handshake(Role.SERVER).refuse("that chat is over"), Refused.CHAT_OVER),
                         (Handshake(Role.SERVER).refuse("go away"), Refused.SAID)]:
        client = Handshake(Role.CLIENT, Brings.RESUME, resume_secret=RESUME)
        client.hello()
        with pytest.raises(Refused) as refused:
            events(client, answer)
        assert refused.value.kind == kind and client.proven is None


def test_a_version_2_peer_is_refused_both_ways_never_downgraded():
    server = Handshake(Role.SERVER)
    with pytest.raises(Refused, match="version 2 .with no encryption.") as refused:
        events(server, b'{"type":"hello","version":2,"name":"user"}\n')
    assert refused.value.kind == Refused.OLD_VERSION
    client = Handshake(Role.CLIENT)
    client.hello()
    with pytest.raises(Refused, match="version 2") as refused:
        events(client, b'{"type":"hello","version":2,"name":"server","session":"' + b"a" * 32
               + b'","received":0}\n')
    assert refused.value.kind == Refused.OLD_VERSION


@pytest.mark.parametrize("junk", [b"HTTP/1.0 400 Bad Request\r\n\r\n", b"\xff\xfe\n",
                                  b'{"type":"hello","version":3}\n', b"x" * 2000])
def test_junk_is_a_remote_error_never_a_hello(junk):
    from _chat_curses.wire.events import RemoteProtocolError

    with pytest.raises(RemoteProtocolError):
        events(Handshake(Role.SERVER), junk)


def test_a_carriage_return_added_on_the_way_changes_the_keys():
    """The transcript is the lines as they crossed, byte for byte, not as re-read."""
    def add_cr(who, data):  # (at the end of the server's line: what follows it may be binary)
        return data.replace(b"\n", b"\r\n", 1) if who == "server" and data.startswith(b"{") else data

    _, _, outcome = run(Brings.CODE, CODE, on_wire=add_cr)
    assert isinstance(outcome["client"], NotProven)


def test_a_version_that_is_not_a_number_never_reaches_the_words():
    server = Handshake(Role.SERVER)
    with pytest.raises(Refused) as refused:
        events(server, b'{"type":"hello","version":"\\u001b]0;PWN\\u0007","brings":"none"}\n')
    assert "another version" in str(refused.value) and "\x1b" not in str(refused.value)
