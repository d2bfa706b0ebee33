"""End-to-end: a chat only its two people can read, join, resume or end (SPEC 11).

The client talks to the server through ``FaultProxy``, which records every
byte, as anyone on the path could, and can flip bits in what it carries.
A ``Squatter`` binds the server's port while the server is down and answers
as a stranger would. Raw sockets play the rest.
"""

import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

from .terminal import (CLIENT_PROMPT, PROGRAM, ROOT, message_line, pairing_code,
                       start_client, start_server)

FAST = {"CHAT_CURSES_HEARTBEAT": "0.5"}
SECRET = "a long shared secret for these tests only"
WIDE = 120


def through(spawn, port, proxy, tmp_path, env=FAST, code=True, names=("zelda", "marlowe")):
    """A server, and a client reaching it through the proxy, in a chat."""
    server = start_server(spawn, port, "--log", str(tmp_path / "server.log"), env=env,
                          name=names[1], cols=WIDE)
    client = start_client(spawn, proxy.port, "--log", str(tmp_path / "client.log"), env=env,
                          name=names[0], code=pairing_code(server) if code else "", cols=WIDE)
    client.wait_for(CLIENT_PROMPT)
    server.wait_for(f"Waiting for {names[0]}...")
    return server, client


def say(sender, receiver, name, text):
    sender.type_line(text)
    receiver.wait_for(message_line(name, text))


def session_file(state_home, role, port):
    return state_home / "chat-curses" / f"{role}-127.0.0.1-{port}.session"


def resume_secret(state_home, role, port):
    return bytes.fromhex(json.loads(session_file(state_home, role, port).read_text()
                                    .splitlines()[0])["secret"])


# --- what crosses the wire ---------------------------------------------------------------


def test_nothing_of_the_chat_crosses_the_wire_readable(spawn, port, proxy, tmp_path, state_home):
    server, client = through(spawn, port, proxy, tmp_path)
    assert "verified by the pairing code" in client.text() + server.text()
    say(client, server, "zelda", "the quick brown fox")
    say(server, client, "marlowe", "jumps over the lazy dog")
    proxy.reset()  # a resume, on a second connection, recorded too
    client.wait_for("Reconnected to marlowe", timeout=20)
    say(client, server, "zelda", "after the resume")
    wire = proxy.wire()
    assert len(proxy.records) >= 2 and len(wire) > 500
    for readable in (b"quick brown", b"lazy dog", b"after the resume", b"zelda", b"marlowe",
                     pairing_code(server).encode()):
        assert readable not in wire, readable
    for side in ("client", "server"):
        secret = resume_secret(state_home, side, proxy.port if side == "client" else port)
        assert secret not in wire and secret.hex().encode() not in wire


def test_a_flipped_bit_breaks_the_link_not_the_chat_and_the_message_arrives_once(
        spawn, port, proxy, tmp_path):
    server, client = through(spawn, port, proxy, tmp_path)
    say(client, server, "zelda", "one")
    say(server, client, "marlowe", "two")
    proxy.flip("client")
    client.type_line("changed on the way")
    server.wait_for("Connection lost: the link to zelda broke (a record did not open")
    assert "broke the protocol" not in server.text() and "left the chat" not in server.text()
    client.wait_for("Reconnected to marlowe", timeout=20)
    server.wait_for(message_line("zelda", "changed on the way"))
    time.sleep(0.5)
    assert server.text().count("changed on the way") == 1  # resent, exactly once


def test_a_recorded_resume_replayed_to_the_server_changes_nothing(spawn, port, proxy, tmp_path):
    server, client = through(spawn, port, proxy, tmp_path)
    say(client, server, "zelda", "one")
    proxy.reset()
    client.wait_for("Reconnected to marlowe", timeout=20)
    recorded = bytes(proxy.records[-1]["client"])  # the resume, as a listener on the path saw it
    with socket.create_connection(("127.0.0.1", port), timeout=10) as replay:
        replay.sendall(recorded)
        replay.settimeout(10)
        with pytest.raises(OSError):
            while replay.recv(65536):  # the server hangs up on it
                pass
            raise OSError("closed")
    server.wait_for("it could not prove it holds this chat")
    assert server.text().count("Reconnected to zelda") == 1
    say(server, client, "marlowe", "still ours")


# --- squatters: a stranger on the port while the server is down -------------------------


class Squatter:
    """A program without the chat's secrets on the server's port, answering each
    connection one way, and keeping what it was sent."""

    def __init__(self, port: int, answer: str) -> None:
        self.answer, self.heard, self.answered = answer, bytearray(), 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _reply(self, hello: bytes) -> bytes:
        if self.answer == "bye":
            return b'{"type":"bye","reason":"that chat is over"}\n'
        if self.answer == "busy":
            return b'{"type":"busy"}\n'
        if self.answer == "junk":
            return b"HTTP/1.0 400 Bad Request\r\n\r\n"
        fields = json.loads(hello)  # "echo": the client's own hello, turned round
        fields["wants"] = fields.pop("brings")
        return json.dumps(fields).encode() + b"\n"

    def _run(self) -> None:
        deadline = time.monotonic() + 60
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\n" not in data and (chunk := conn.recv(4096)):
                        data += chunk
                    self.heard += data
                    conn.sendall(self._reply(data.split(b"\n")[0]))
                    self.answered += 1
                except (OSError, ValueError):
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.listener.close()


@pytest.mark.parametrize("answer", ["bye", "busy", "junk", "echo"])
@pytest.mark.parametrize("with_secret", [False, True], ids=["code", "secret"])
def test_a_squatter_never_ends_the_chat_and_the_real_server_gets_the_message_once(
        spawn, port, proxy, tmp_path, state_home, answer, with_secret):
    env = {**FAST, "CHAT_SECRET": SECRET} if with_secret else FAST
    server, client = through(spawn, port, proxy, tmp_path, env=env, code=not with_secret)
    say(client, server, "zelda", "before")
    say(server, client, "marlowe", "reply")
    server.kill()  # SIGKILL: the server's chat stays in its file
    server.wait_exit()
    proxy.reset()
    client.wait_for("Connection lost")
    squatter = Squatter(port, answer)
    try:
        client.type_line("written while the server was away")
        deadline = time.monotonic() + 15
        while squatter.answered < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert squatter.answered >= 3  # it was asked, and answered, again and again
        assert client.proc.isalive() and "Reconnected" not in client.text()
        assert session_file(state_home, "client", proxy.port).exists()
        secret = resume_secret(state_home, "client", proxy.port)
        for learned in (secret, secret.hex().encode(), b"zelda", b"written while"):
            assert learned not in squatter.heard  # the client revealed nothing of its chat
    finally:
        squatter.close()
    again = start_server(spawn, port, "--log", str(tmp_path / "server.log"), env=env,
                         name="marlowe", cols=WIDE)
    client.wait_for("Reconnected to marlowe", timeout=20)
    again.wait_for(message_line("zelda", "written while the server was away"))
    time.sleep(0.5)
    assert again.text().count("written while the server was away") == 1


# --- codes, phrases and refusals ---------------------------------------------------------


def test_a_pairing_code_verifies_the_chat_and_reaches_no_file(spawn, port, tmp_path, state_home):
    server = start_server(spawn, port, "--log", str(tmp_path / "server.log"), cols=WIDE)
    code = pairing_code(server)
    assert re.fullmatch(r"\d{1,2}-[a-z]+-[a-z]+", code)
    client = spawn("--client", "--host", "127.0.0.1", "--port", str(port), "--name", "user",
                   "--log", str(tmp_path / "client.log"), cols=WIDE)
    client.wait_for("Enter the pairing code from the server (<Enter> for none):")
    client.type_line(code.upper().replace("-", " "))  # as a person might read it out
    client.wait_for("verified by the pairing code")
    server.wait_for("verified by the pairing code")
    assert "unverified" not in client.text()
    files = [tmp_path / "server.log", tmp_path / "client.log",
             session_file(state_home, "server", port), session_file(state_home, "client", port)]
    for path in files:
        assert code not in path.read_text() and code.upper() not in path.read_text()


def test_without_a_code_both_sides_see_the_same_phrase_and_unverified(spawn, port):
    server = start_server(spawn, port, cols=WIDE)
    client = start_client(spawn, port, code="", cols=WIDE)
    shown = re.compile(r"unverified:\s+compare\s+this\s+phrase\s+with\s+your\s+partner:\s+"
                       r"((?:[a-z]+\s+){3}[a-z]+)\.")
    mine, theirs = (shown.search(side.wait_for(shown)).group(1).split() for side in (client, server))
    assert mine == theirs and len(mine) == 4
    client.wait_until(lambda _: "connected, unverified" in client.lines()[-2], "the status bar")


def test_wrong_codes_are_asked_again_and_three_make_the_server_a_new_code(spawn, port):
    server = start_server(spawn, port, cols=WIDE)
    first = pairing_code(server)
    client = spawn("--client", "--host", "127.0.0.1", "--port", str(port), "--name", "user",
                   cols=WIDE)
    for number, guess in enumerate(["1-acorn-adult", "2-acorn-adult", "3-acorn-adult"], 1):
        client.wait_until(lambda screen: screen.rstrip().endswith(
            "Enter the pairing code from the server (<Enter> for none):"), "the code prompt",
            timeout=20)
        client.type_line(guess)
        server.wait_until(lambda screen: screen.count(": wrong pairing code") >= number,
                          "the wrong guess noted", timeout=20)
    server.wait_for("3 wrong pairing codes: the new code is", timeout=20)
    new = pairing_code(server)
    assert new != first
    # (the server notes the third guess before the client hears of it)
    client.wait_until(lambda screen: screen.count("wrong pairing code; check the code") == 3,
                      "the third refusal shown", timeout=20)
    client.wait_for("Enter the pairing code from the server (<Enter> for none):", timeout=20)
    client.type_line(new)
    client.wait_for(CLIENT_PROMPT, timeout=20)  # slowed down, but in


@pytest.mark.parametrize("ending", ["reset", "silence"])
def test_a_guess_that_ends_in_a_reset_or_in_silence_still_counts(spawn, port, ending):
    """The server proves itself first: its answer alone tells a guesser whether it
    guessed right. Hanging up at once, or saying nothing more, must not make a guess free."""
    from _chat_curses.wire.events import Role
    from _chat_curses.wire.handshake import Brings, Handshake

    server = start_server(spawn, port, "--timeout", "3", cols=WIDE)
    first = pairing_code(server)
    guess = b"1-acorn-adult" if first != "1-acorn-adult" else b"2-acorn-adult"
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        sock.sendall(Handshake(Role.CLIENT, Brings.CODE, guess).hello())
        assert sock.recv(4096)  # the server's hello and proof: the guess can be checked now
        if ending == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            server.wait_for("Ignored connection", timeout=10)  # dropped after --timeout
        sock.close()
    server.wait_for("Someone tried a wrong pairing code")
    server.wait_for("3 wrong pairing codes: the new code is", timeout=20)
    assert pairing_code(server) != first


def test_a_wrong_code_given_as_a_flag_is_the_last_word(spawn, port):
    start_server(spawn, port, cols=WIDE)
    client = start_client(spawn, port, code="9-zinc-zebra", cols=WIDE)
    assert client.wait_exit(timeout=20) == 1
    assert f"Could not connect to 127.0.0.1:{port}: wrong pairing code" in client.text()


def test_require_code_refuses_an_unverified_partner_in_words_both_read(spawn, port):
    server = start_server(spawn, port, "--require-code", cols=WIDE)
    client = start_client(spawn, port, code="", cols=WIDE)
    assert client.wait_exit() == 1
    assert "the server requires the pairing code (--require-code)" in client.text()
    server.wait_for(re.compile(r"Ignored connection from 127\.0\.0\.1:\d+: the server requires "
                               r"the pairing code \(--require-code\)"))


def test_a_version_2_client_is_refused_in_words_it_can_show(spawn, port):
    server = start_server(spawn, port, cols=WIDE)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as old:
        old.sendall(b'{"type":"hello","version":2,"name":"old"}\n')
        answer = json.loads(old.makefile("rb").readline())
    assert answer["type"] == "bye" and "protocol version 3" in answer["reason"]
    server.wait_for("it speaks protocol version 2 (with no encryption)")


def test_a_missing_package_is_one_line_naming_the_install_command():
    """Without site-packages (python -S), cryptography and spake2 are not there."""
    result = subprocess.run([sys.executable, "-S", str(PROGRAM), "--client"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "-m pip install" in lines[0] and "cryptography" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="reads /proc/PID/maps")
def test_the_cryptography_loads_while_the_prompts_wait_not_before_them(spawn):
    """Off the way to the first prompt (tests/test_structure.py checks the import
    path), and loaded in the background once it is drawn: the first handshake does
    not wait for it while a person types."""
    client = spawn("--client")
    client.wait_for("Enter the server IP address")
    client.wait_warmed_up(timeout=10)
    assert client.proc.isalive() and "Enter the server IP address" in client.text()
