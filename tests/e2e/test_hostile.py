"""End-to-end: strangers, hostile partners, dead links, signals and the shared secret.

The real program runs on pseudo-terminals; the hostile side is a raw socket
(``RawPeer``) that sends what the real program never would.
"""

import contextlib
import fcntl
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time

import pytest

from .terminal import (
    CLIENT_PROMPT,
    CTRL_C,
    PROGRAM,
    ROOT,
    WAITING,
    RawPeer,
    message_line,
    start_chat,
    start_client,
    start_server,
)

NOW = "2023-04-17T11:42:43Z"
FAST_HEARTBEAT = {"CHAT_CURSES_HEARTBEAT": "0.2"}  # a link silent for 2 s is lost


# Wide screens: refusals and complaints are long, and stay on one row.
WIDE = 120


def server_on(spawn, port, *extra, env=None):
    return start_server(spawn, port, *extra, env=env, cols=WIDE)


def client_to(spawn, port, *extra, env=None):
    return start_client(spawn, port, *extra, env=env, cols=WIDE)


def chatting(spawn, port, env=None, extra=()):
    return start_chat(spawn, port, server_env=env, client_env=env, cols=WIDE,
                      server_extra=extra, client_extra=extra)


NO_RESUMING = ("--resume-window", "0")  # a lost link ends the chat at once


def raw_client(port, name="mallory"):
    """A hand-driven client that has completed the handshake (unverified); the server's
    turn is next after one message."""
    peer = RawPeer.connect(port)
    peer.secure()
    peer.send({"type": "hello", "version": 3, "name": name})
    assert peer.receive_until("hello")["name"] == "server"
    return peer


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


IGNORED = re.compile(r"Ignored connection from 127\.0\.0\.1:\d+: ")


# --- strangers at the server --------------------------------------------------


def test_hostile_connections_then_a_real_chat_that_works(spawn, port):
    server = server_on(spawn, port, "--timeout", "2")
    before = rss_kib(server.proc.pid)

    with socket.create_connection(("127.0.0.1", port)) as browser:
        browser.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        server.wait_for("its handshake is not chat_curses's")

    socket.create_connection(("127.0.0.1", port)).close()  # a port scanner
    server.wait_for("it closed the connection without saying goodbye")

    for junk in (os.urandom(2_000_000), b"x" * 3_000_000):  # megabytes, with and without newlines
        with socket.create_connection(("127.0.0.1", port)) as blaster:
            try:
                blaster.sendall(junk)
            except OSError:
                pass  # the server hung up on us, as it should
    server.wait_for("its handshake line is too long")

    with socket.create_connection(("127.0.0.1", port)):  # one that never speaks
        server.wait_for("no handshake within 2 s", timeout=6)

    grown = rss_kib(server.proc.pid) - before
    assert grown < 20_000, f"the server grew by {grown} KiB"
    assert server.proc.isalive()

    client = client_to(spawn, port)
    client.wait_for(CLIENT_PROMPT)
    client.type_line("after all that")
    server.wait_for(message_line("user", "after all that"))


def test_a_flood_of_connections_is_counted_not_listed_and_a_partner_still_gets_in(spawn, port):
    server = server_on(spawn, port, "--timeout", "1")
    silent = []
    for _ in range(30):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        silent.append(sock)
    try:
        for _ in range(60):  # a scanner flood
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
            except OSError:
                pass
        server.wait_for(re.compile(r"Ignored \d+ more connections; the last from 127\.0\.0\.1:\d+"),
                        timeout=15)
        assert len(IGNORED.findall(server.text())) <= 3
        client = client_to(spawn, port)
        client.wait_for(CLIENT_PROMPT, timeout=20)
    finally:
        for sock in silent:
            sock.close()
    client.type_line("through the flood")
    server.wait_for(message_line("user", "through the flood"))


def test_an_intruder_during_a_chat_is_refused_and_the_chat_goes_on(spawn, port):
    server, client = chatting(spawn, port)
    intruder = client_to(spawn, port)
    assert intruder.wait_exit() == 1
    assert (f"Could not connect to 127.0.0.1:{port}: the server is busy in another chat"
            in intruder.flat())
    client.type_line("still here")
    server.wait_for(message_line("user", "still here"))


# --- broken links ----------------------------------------------------------------


def test_client_killed_with_sigkill(spawn, port):
    server, client = chatting(spawn, port, extra=NO_RESUMING)
    client.kill(signal.SIGKILL)
    server.wait_for("Connection lost: the link to user broke (the connection was closed")
    assert server.wait_exit() == 1


def test_a_silent_dead_link_is_reported_within_the_heartbeat_bound(spawn, port):
    server, client = chatting(spawn, port, env=FAST_HEARTBEAT, extra=NO_RESUMING)
    server.kill(signal.SIGSTOP)  # the process, not the connection, is frozen: TCP stays up
    try:
        started = time.monotonic()
        client.wait_for("Connection lost: the link to server broke (nothing came from it for 2 s)",
                        timeout=8)
        assert time.monotonic() - started < 5
        assert client.wait_exit() == 1
    finally:
        server.kill(signal.SIGCONT)


def test_a_slow_partner_is_never_cut_off(spawn, port):
    server, client = chatting(spawn, port, env=FAST_HEARTBEAT)
    time.sleep(4)  # many heartbeat periods with nobody typing
    assert "Connection lost" not in client.text() + server.text()
    client.type_line("sorry, was away")
    server.wait_for(message_line("user", "sorry, was away"))


# --- signals at every phase --------------------------------------------------------

PHASES = ["prompting", "waiting", "connecting", "chatting"]
SIGNALS = [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)]


def _program_in(phase, spawn, port, blackhole_port):
    if phase == "prompting":
        program = spawn("--client")
        program.wait_for("Enter the server IP address")
        return program, None
    if phase == "waiting":
        return server_on(spawn, port), None
    if phase == "connecting":
        program = client_to(spawn, blackhole_port, "--timeout", "30")
        program.wait_for("Trying to connect to server....")
        return program, None
    server, client = chatting(spawn, port)
    return client, server


@pytest.mark.parametrize("signum, code", SIGNALS, ids=["SIGTERM", "SIGHUP", "SIGINT"])
@pytest.mark.parametrize("phase", PHASES)
def test_signals_leave_cleanly_at_every_phase(spawn, port, blackhole_port, phase, signum, code):
    program, partner = _program_in(phase, spawn, port, blackhole_port)
    program.kill(signum)
    assert program.wait_exit() == code
    modes = program.terminal_modes()
    assert modes[3] & 0o10, "echo left off"  # termios.ECHO
    assert "Traceback" not in program.text()
    if partner is not None and signum == signal.SIGHUP:  # the terminal died, not the chat
        partner.wait_for("Waiting for user to come back")
        assert partner.proc.isalive()
    elif partner is not None:  # the partner is told, and ends normally
        partner.wait_for("User user left the chat.")
        assert partner.wait_exit() == 0


def test_closing_the_terminal_ends_the_program_but_not_the_chat(spawn, port):
    server, client = chatting(spawn, port)
    client.hang_up()
    server.wait_for("Waiting for user to come back")  # no goodbye: the partner waits
    deadline = time.monotonic() + 5
    while client.proc.isalive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not client.proc.isalive(), "the client outlived its terminal"
    assert client.exit_code() == 129


# --- the shared secret ---------------------------------------------------------------


@pytest.fixture
def secret_file(tmp_path):
    def make(text, name="secret"):
        path = tmp_path / name
        path.write_text(text)
        path.chmod(0o600)
        return str(path)
    return make


def test_same_secret_lets_the_chat_happen(spawn, port, secret_file):
    path = secret_file("correct horse battery staple\n")
    server = server_on(spawn, port, "--secret-file", path)
    client = client_to(spawn, port, "--secret-file", path)
    client.wait_for(CLIENT_PROMPT)
    client.type_line("only we know")
    server.wait_for(message_line("user", "only we know"))


def test_secret_from_the_environment_matches_the_same_secret_from_a_file(spawn, port, secret_file):
    server = server_on(spawn, port, "--secret-file", secret_file("s3cret"))
    client = client_to(spawn, port, env={"CHAT_SECRET": "s3cret"})
    client.wait_for(CLIENT_PROMPT)
    server.wait_for("Connection established.")


@pytest.mark.parametrize("server_secret, client_secret, client_words, words", [
    # the server tells the client why: the client shows those words as the server's;
    # a wrong secret, each side finds itself (SPAKE2: the server's proof does not verify)
    ("right", "wrong", "the shared secrets do not match", "the shared secrets do not match"),
    ("right", None, "the server said: the server uses a shared secret and the client has none",
     "the server uses a shared secret and the client has none"),
    (None, "right", "the server said: the client uses a shared secret and the server has none",
     "the client uses a shared secret and the server has none"),
])
def test_a_partner_without_the_secret_is_refused_on_both_screens(
        spawn, port, secret_file, server_secret, client_secret, client_words, words):
    server_flags = ["--secret-file", secret_file(server_secret, "s")] if server_secret else []
    client_flags = ["--secret-file", secret_file(client_secret, "c")] if client_secret else []
    server = server_on(spawn, port, *server_flags)
    client = client_to(spawn, port, *client_flags)
    assert client.wait_exit() == 1
    assert f"Could not connect to 127.0.0.1:{port}: {client_words}" in client.flat()
    assert "--secret-file PATH or CHAT_SECRET" in client.flat()
    server.wait_for(re.compile(r"Ignored connection from 127\.0\.0\.1:\d+: " + words))
    assert server.proc.isalive()  # and it goes on waiting for the right partner


def test_a_secret_file_readable_by_others_is_warned_about(spawn, port, secret_file):
    path = secret_file("shared")
    os.chmod(path, 0o644)
    server = server_on(spawn, port, "--secret-file", path)
    assert "Warning: other users can read the secret file" in server.text()


@pytest.mark.parametrize("content, complaint", [(None, "cannot read"), ("  \n", "is empty")])
def test_a_bad_secret_file_is_a_usage_error(spawn, secret_file, tmp_path, content, complaint):
    path = secret_file(content) if content is not None else str(tmp_path / "missing")
    client = spawn("--client", "--secret-file", path)
    assert client.wait_exit() == 2
    assert "argument --secret-file: " in client.text() and complaint in client.text()


# --- untrusted text from the wire -------------------------------------------------------


def test_escape_sequences_from_the_peer_are_shown_as_markers(spawn, port):
    server = server_on(spawn, port)
    peer = raw_client(port, name="evil\x1b[2J\u202e")
    peer.send({"type": "message", "seq": 1, "sent": NOW,
               "text": "\x1b[2J\x1b[31mred\x07 \u202eabc \u200b\x00 \x9b1m \ud83d\ude00"})
    server.wait_for("^[[2J^[[31mred^G <U+202E>abc <U+200B>^@ <U+009B>1m 😀")
    screen = server.text()
    assert "[evil^[[2J<U+202E>]:" in screen
    assert WAITING in screen  # the earlier lines were not wiped by ESC [2J
    assert "\x1b" not in screen
    peer.close()


@pytest.mark.parametrize("bad, complaint", [
    (b'{"type":"message","seq":2,"text":"two","sent":"2023-04-17T11:42:43Z"}', "may not send message"),
    (b'{"type":"message","seq":2,"text":"\xff\xfe","sent":"2023-04-17T11:42:43Z"}', "not valid UTF-8"),
    (b'{"type":"launch"}', "unknown frame type"),
    (b'{"type":"hello","version": 3,"name":"again"}', "may not send hello"),
], ids=["out of turn", "invalid UTF-8", "unknown type", "second hello"])
def test_a_peer_breaking_the_protocol_is_cut_off_with_a_clear_line(spawn, port, bad, complaint):
    server = server_on(spawn, port)
    peer = raw_client(port)
    peer.send({"type": "message", "seq": 1, "text": "one", "sent": NOW})
    server.wait_for(message_line("mallory", "one"))
    peer.send(bad)
    server.wait_for("Connection lost: mallory broke the protocol")
    assert complaint in server.text().replace("\n    ", " ")
    assert server.wait_exit() == 1
    told = peer.receive_until("bye")
    assert told is not None and told["reason"].startswith("protocol error: ")


def test_a_record_larger_than_any_frame_breaks_the_link_not_the_chat(spawn, port):
    """Its length cannot be believed before the whole record is opened: a changed
    header looks the same. The link goes, as a broken one does; the chat waits."""
    server = server_on(spawn, port)
    peer = raw_client(port)
    peer.send({"type": "message", "seq": 1, "text": "one", "sent": NOW})
    server.wait_for(message_line("mallory", "one"))
    peer.sock.sendall((200_016).to_bytes(4, "big") + b"x" * 1000)
    server.wait_for("Connection lost: the link to mallory broke (a record of 200,016 bytes came")
    server.wait_for("Waiting for mallory to come back")
    assert server.proc.isalive()


@contextlib.contextmanager
def raw_server_with_client(spawn, secure=True):
    """A hand-driven server, and a real client connected to it (secured, unverified,
    unless ``secure`` is False: then the client's plain hello waits to be answered)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(30)  # a client that never comes fails the test, not the run
        client = client_to(spawn, listener.getsockname()[1])
        conn, _ = listener.accept()
        peer = RawPeer(conn)
        try:
            if secure:
                peer.secure(serve=True)
            assert peer.receive()["type"] == "hello"
            yield client, peer
        finally:
            peer.close()


def test_a_hostile_server_cannot_break_the_client(spawn):
    with raw_server_with_client(spawn) as (client, peer):
        peer.send({"type": "hello", "version": 3, "name": "\x1b]0;pwned\x07srv"})
        client.wait_for("You are chatting with ^[]0;pwned^Gsrv")
        client.type_line("hi")
        assert peer.receive_until("message")["text"] == "hi"  # (pings may come first)
        peer.send({"type": "message", "seq": 1, "text": "\x1b[?1049l\x1b[H", "sent": NOW})
        client.wait_for("[^[]0;pwned^Gsrv]: ^[[?1049l^[[H")
        peer.send(b"\x00\x01\x02garbage")
        assert client.wait_exit() == 1
        assert "broke the protocol: frame is not valid" in client.flat()


@pytest.mark.parametrize("version", [1, 2])
def test_a_server_speaking_an_older_version_is_refused_never_answered_in_plaintext(spawn, version):
    with raw_server_with_client(spawn, secure=False) as (client, peer):
        peer.send({"type": "hello", "version": version, "name": "old"})  # plaintext programs
        assert client.wait_exit() == 1
        assert (f"Could not connect to 127.0.0.1:{peer.sock.getsockname()[1]}: the server speaks "
                f"protocol version {version} (with no encryption); both sides need version 3"
                in client.flat())
        assert peer.receive() is None  # nothing more was said, in plaintext or otherwise


# --- bad input from the person -------------------------------------------------------


def test_very_long_and_control_laden_answers_at_the_prompts(spawn, port):
    server = spawn("--server", "--host", "127.0.0.1", "--port", str(port))
    server.wait_for("Enter your username (<Enter> for server):")
    server.send("n" * 3000)  # a paste far longer than any name
    server.send("\r")
    server.wait_until(lambda screen: "at most 32 characters, not 3000" in screen.replace("\n    ", " "),
                      "the refusal of the long name")
    assert "n" * 200 not in server.text().replace("\n", "")  # the echo is cut short
    server.send("\x1b[31m\x07\x02bo\tb\r")  # pasted escape and unbound control characters
    server.wait_for(WAITING)
    assert "you: bob" in server.text()  # the escape sequence is dropped whole, never typed
    assert server.proc.isalive()


def test_ctrl_c_during_a_hostile_handshake_still_leaves_cleanly(spawn, port):
    server = server_on(spawn, port)
    with socket.create_connection(("127.0.0.1", port)):
        time.sleep(0.2)
        server.send(CTRL_C)
        assert server.wait_exit() == 130


def test_a_terminal_that_vanishes_without_a_sighup_still_ends_the_program(port):
    # The pty is the program's stdin and stdout but not its controlling
    # terminal, so closing it sends no SIGHUP: the program must notice the
    # hang-up on its own instead of spinning on a dead input.
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    program = subprocess.Popen(
        [sys.executable, str(PROGRAM), "--server", "--host", "127.0.0.1", "--port", str(port)],
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True, env=env, cwd=ROOT)
    os.close(slave)
    try:
        seen, deadline = b"", time.monotonic() + 10
        while b"Enter your username" not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                seen += os.read(master, 65536)
        assert b"Enter your username" in seen
        os.close(master)
        assert program.wait(timeout=5) == 129
    finally:
        if program.poll() is None:
            program.kill()
            program.wait()
