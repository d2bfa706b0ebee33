"""End-to-end: the second round of hardening (issue 7).

Strangers holding the door, a process out of file descriptors, logs that
would fill a disk or block, empty secrets, guessing the secret, job
control, bytes from the keyboard that are not UTF-8, a peer dripping
bytes, a huge paste, and a message that once froze the partner's screen.
"""

import os
import re
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import termios
import threading
import time

import pytest

from _chat_curses.text.keys import PASTE_END, PASTE_START

from .terminal import (
    CLIENT_PROMPT,
    CTRL_C,
    ENTER,
    PROGRAM,
    ROOT,
    WAITING,
    RawPeer,
    message_line,
    start_chat,
    start_client,
    start_server,
)

FAST_HEARTBEAT = {"CHAT_CURSES_HEARTBEAT": "0.2"}  # a link silent for 2 s is lost
WIDE = 120


def run_plain(*args, env=None, timeout=10):
    """The program without a terminal: enough for what it checks before the screen."""
    return subprocess.run([sys.executable, str(PROGRAM), *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, cwd=ROOT,
                          env={**os.environ, **(env or {})})


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_state(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


def children_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


class Squatters:
    """``count`` silent connections held open; each one dropped is opened again at once."""

    def __init__(self, port, count):
        self.port, self.count = port, count
        self.selector = selectors.DefaultSelector()
        self.stop = threading.Event()
        self.opened = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", self.port))
        self.selector.register(sock, selectors.EVENT_READ)
        self.opened += 1

    def _run(self):
        for _ in range(self.count):
            self._open()
        deadline = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < deadline:
            for key, _ in self.selector.select(0.05):
                try:
                    data = key.fileobj.recv(4096)
                except OSError:
                    data = b""
                if not data:  # dropped by the server: take another place at once
                    self.selector.unregister(key.fileobj)
                    key.fileobj.close()
                    self._open()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()
        self.selector.close()


# --- strangers cannot hold the door ---------------------------------------------------


@pytest.mark.parametrize("secret", [None, "a long enough shared secret, 32+"])
def test_forty_squatters_cannot_keep_the_real_partner_out(spawn, port, secret):
    env = {"CHAT_SECRET": secret} if secret else None
    server = start_server(spawn, port, env=env, cols=WIDE)
    with Squatters(port, 40) as squatters:
        deadline = time.monotonic() + 10
        while squatters.opened < 60 and time.monotonic() < deadline:
            time.sleep(0.05)  # the squatters are being replaced: every place is contested
        assert squatters.opened >= 60
        client = start_client(spawn, port, env=env, cols=WIDE)
        client.wait_for(CLIENT_PROMPT, timeout=10)
    server.wait_for("Connection established.")
    client.type_line("through the squatters")
    server.wait_for(message_line("user", "through the squatters"))


def test_running_out_of_descriptors_rests_instead_of_spinning(spawn, port):
    server = spawn(command=["prlimit", "--nofile=10", sys.executable, str(PROGRAM), "--server",
                            "--host", "127.0.0.1", "--port", str(port), "--name", "server",
                            "--timeout", "3"], cols=WIDE)
    server.wait_for(WAITING)
    server.wait_warmed_up()  # its imports, done, hold no descriptor any more
    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(8)]
    try:
        server.wait_for("Could not accept a connection: too many open files")
        before = cpu_seconds(server.proc.pid)
        time.sleep(2.0)
        assert cpu_seconds(server.proc.pid) - before < 0.5  # it rests; it used to spin at 98%
        assert server.text().count("Could not accept a connection") == 1  # said once
    finally:
        for sock in silent:
            sock.close()
    client = start_client(spawn, port, cols=WIDE)  # places free again: a partner gets in
    client.wait_for(CLIENT_PROMPT, timeout=15)


def test_too_few_descriptors_to_start_says_so_and_does_not_blame_the_terminal(spawn):
    program = spawn(command=["prlimit", "--nofile=5", sys.executable, str(PROGRAM), "--server",
                             "--host", "127.0.0.1", "--port", "1", "--name", "server"])
    assert program.wait_exit() == 1
    text = program.flat()
    assert "too many open files" in text and "ulimit -n" in text
    assert "TERM" not in text


# --- guessing the secret ----------------------------------------------------------------


def wrong_proof(port):
    """One online guess at the secret, through the real handshake; returns the seconds
    the server took to answer it (its proof, which the guess cannot match)."""
    from _chat_curses.wire.events import NotProven

    peer = RawPeer.connect(port)
    try:
        asked = time.monotonic()
        with pytest.raises(NotProven, match="the shared secrets do not match"):
            peer.secure("secret", secrets.token_bytes(16))
        return time.monotonic() - asked
    finally:
        peer.close()  # leaving after the server's proof: a wrong guess, to the server


def test_wrong_proofs_are_answered_more_and_more_slowly(spawn, port):
    secret = "correct horse battery staple, and more"
    server = start_server(spawn, port, env={"CHAT_SECRET": secret}, cols=WIDE)
    waits = [wrong_proof(port) for _ in range(3)]
    assert waits[0] < 0.6  # the first is answered at once (its key exchange aside)
    assert waits[1] >= 0.8 and waits[2] >= 1.6  # then about 1 s, then 2 s
    assert server.text().count("Someone tried a wrong secret") == 1
    client = start_client(spawn, port, env={"CHAT_SECRET": secret}, cols=WIDE)
    client.wait_for(CLIENT_PROMPT, timeout=15)  # the partner still gets in


def test_a_short_secret_is_warned_about(spawn, port):
    server = start_server(spawn, port, env={"CHAT_SECRET": "s3cret"}, cols=WIDE)
    assert "the secret is short (6 bytes)" in server.text()
    assert "--new-secret" in server.text()


def test_new_secret_writes_a_private_random_file_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "secret"
    result = run_plain("--new-secret", str(path))
    assert result.returncode == 0 and f"--secret-file {path}" in result.stdout
    assert re.fullmatch(r"[0-9a-f]{64}\n", path.read_text())
    assert (path.stat().st_mode & 0o777) == 0o600
    first = path.read_text()
    again = run_plain("--new-secret", str(path))
    assert again.returncode == 2 and "File exists" in again.stderr
    assert path.read_text() == first


@pytest.mark.parametrize("value", ["", "   ", "\n"])
def test_an_empty_chat_secret_is_a_usage_error(value):
    result = run_plain("--server", env={"CHAT_SECRET": value})
    assert result.returncode == 2
    assert "CHAT_SECRET is set but empty" in result.stderr
    assert "Traceback" not in result.stderr


# --- the log ----------------------------------------------------------------------------


def test_a_stranger_flood_is_logged_as_counted_on_screen(spawn, port, tmp_path):
    log = tmp_path / "chat.log"
    server = start_server(spawn, port, "--log", str(log), cols=WIDE)
    for _ in range(40):
        socket.create_connection(("127.0.0.1", port)).close()
    server.wait_for("Ignored 37 more connections")
    server.send(CTRL_C)
    assert server.wait_exit() == 130
    ignored = [line for line in log.read_text().splitlines() if line.startswith("Ignored")]
    assert len(ignored) == 4, ignored  # three listed, then the last count only
    assert ignored[-1].startswith("Ignored 37 more connections")


def test_a_fifo_as_log_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = run_plain("--server", "--log", str(fifo))
    assert result.returncode == 2
    assert "argument --log" in result.stderr and "not a regular file" in result.stderr


def test_a_device_as_log_is_refused(tmp_path):
    result = run_plain("--server", "--log", os.devnull)
    assert result.returncode == 2 and "not a regular file" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="planting a link owned by another user needs root")
def test_a_log_link_planted_by_another_user_is_not_followed(tmp_path):
    target = tmp_path / "victim"
    target.write_text("precious\n")
    link = tmp_path / "chat.log"
    link.symlink_to(target)
    os.lchown(link, 65534, 65534)
    result = run_plain("--server", "--log", str(link))
    assert result.returncode == 2 and "belongs to another user" in result.stderr
    assert target.read_text() == "precious\n"


def test_a_log_others_can_read_is_warned_about(spawn, port, tmp_path):
    log = tmp_path / "chat.log"
    log.write_text("")
    log.chmod(0o644)
    server = start_server(spawn, port, "--log", str(log), cols=WIDE)
    assert f"Warning: other users can read the log file {log}" in server.text()


# --- job control --------------------------------------------------------------------------

LOCAL_MODES = 3  # the index of lflag in termios.tcgetattr's list


def shell(spawn, port):
    """An interactive bash with job control on a pty, running the chat server in it."""
    bash = spawn(command=["bash", "--norc", "--noprofile", "-i"], cols=WIDE,
                 env={"PS1": "$ ", "HOME": str(ROOT)})
    bash.wait_for("$")
    bash.type_line(f"{sys.executable} {PROGRAM} --server --host 127.0.0.1 --port {port} --name s")
    bash.wait_for(WAITING)
    program = [pid for pid in children_of(bash.proc.pid)]
    assert len(program) == 1
    return bash, program[0]


def assert_program_modes(terminal):
    modes = terminal.terminal_modes()[LOCAL_MODES]
    assert not modes & (termios.ICANON | termios.ECHO | termios.ISIG), "the shell's modes remain"


def test_stopped_and_continued_the_program_restores_its_modes_and_repaints(spawn, port):
    bash, pid = shell(spawn, port)
    os.kill(pid, signal.SIGSTOP)
    bash.wait_for("Stopped")
    bash.type_line("fg")
    bash.wait_until(lambda screen: "Stopped" not in screen and WAITING in screen,
                    "the chat repainted after fg")
    assert process_state(pid) != "T"
    assert_program_modes(bash)
    bash.send(CTRL_C)  # and keys work again
    bash.wait_until(lambda _: not os.path.exists(f"/proc/{pid}") or process_state(pid) == "Z",
                    "the program gone")


def test_ctrl_z_suspends_like_vim_and_fg_brings_it_back_whole(spawn, port):
    bash, pid = shell(spawn, port)
    bash.send("\x1a")
    bash.wait_for("Stopped")
    assert process_state(pid) == "T"
    modes = bash.terminal_modes()[LOCAL_MODES]
    assert modes & termios.ISIG  # the shell has its own terminal back
    bash.type_line("fg")
    bash.wait_until(lambda screen: "Stopped" not in screen and WAITING in screen,
                    "the chat repainted after fg")
    assert_program_modes(bash)
    bash.send(CTRL_C)
    bash.wait_until(lambda _: not os.path.exists(f"/proc/{pid}") or process_state(pid) == "Z",
                    "the program gone")


# --- the keyboard -------------------------------------------------------------------------


def test_an_invalid_byte_from_the_keyboard_keeps_the_rest(spawn, port):
    server, client = start_chat(spawn, port, cols=WIDE)
    client.send(b"caf\xe9 au lait, 0123456789")  # Latin-1, not UTF-8
    client.wait_for("caf\ufffd au lait, 0123456789")
    client.send(ENTER)
    server.wait_for(message_line("user", "caf\ufffd au lait, 0123456789"))


def test_a_huge_paste_without_markers_does_not_starve_the_network(spawn, port):
    server, client = start_chat(spawn, port, server_env=FAST_HEARTBEAT,
                                client_env=FAST_HEARTBEAT, cols=WIDE)
    client.send(("many words " * 200_000).encode())  # 2.2 MB, typed faster than anyone could
    client.wait_for("the rest was dropped", timeout=30)
    client.send("\x15")  # Ctrl-U: start again
    client.type_line("after the paste")
    server.wait_for(message_line("user", "after the paste"))
    assert "Connection lost" not in server.text() + client.text()


# --- peers -------------------------------------------------------------------------------


def test_a_peer_dripping_a_frame_it_never_finishes_is_dropped(spawn, port):
    server = start_server(spawn, port, env=FAST_HEARTBEAT, cols=WIDE)
    peer = RawPeer.connect(port)
    try:
        peer.secure()
        peer.send({"type": "hello", "version": 3, "name": "mallory"})
        assert peer.receive_until("hello") is not None
        server.wait_for("Connection established.")
        drip = peer.channel.seal(b'{"type":"message","text":"' + b"x" * 1000)
        deadline = time.monotonic() + 8  # four times the 2 s allowed to a silent link
        for byte in drip:
            if "Connection lost" in server.text() or time.monotonic() > deadline:
                break
            peer.sock.send(bytes([byte]))
            time.sleep(0.1)
        # dropped while it was still dripping, not once it stopped
        assert "Connection lost: the link to mallory broke (nothing came" in server.text()
    finally:
        peer.close()


def test_a_long_accented_message_does_not_freeze_the_partner(spawn, port):
    server, client = start_chat(spawn, port)
    server.resize(24, 20)  # narrow: the message wraps into thousands of rows
    text = "Voilà une phrase française, ou presque. " * 1500  # 61,500 bytes of UTF-8
    client.send(PASTE_START + text.strip() + PASTE_END)
    client.send(ENTER)
    server.wait_for("presque.", timeout=15)
    server.wait_until(lambda _: any(row.startswith(" your turn") for row in server.lines()[-6:]),
                      "the server's turn", timeout=15)  # (above a prompt that wraps at 20)
    for char in "typed":
        server.send(char)
    server.wait_for("typed", timeout=3)  # it took seconds per key before
