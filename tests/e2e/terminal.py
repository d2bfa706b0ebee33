"""Drive the real program on a pseudo-terminal and read its screen through pyte.

A ``Terminal`` starts a fresh interpreter running chat_curses.py with the
pty as its controlling terminal (so a resize delivers SIGWINCH). It is
started with ``os.openpty()`` and ``subprocess`` (never ``pty.fork()`` from
this process, which runs threads): a small launcher, itself a fresh
interpreter, makes the pty its controlling terminal and becomes the program. A reader
thread feeds everything the program writes into a pyte screen at once, so
the program never blocks on a full pty while the test waits on the other
side. Waits poll the rendered screen until a deadline and, when they fail,
show the screen in the assertion message.
"""

from __future__ import annotations

import contextlib
import curses
import fcntl
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pyte

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "chat_curses.py"
TERM = "xterm"
DEFAULT_WAIT = 10.0

# <Mon Apr 17 11:42:43 2023> [user]: hello
TIMESTAMP = r"<\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}>"


class XtermScreen(pyte.Screen):
    """pyte's screen, plus the three sequences of xterm's terminal description
    that pyte 0.8 ignores and ncurses sends when they are shorter: scroll the
    region up (SU, ``CSI n S``) or down (SD, ``CSI n T``) by n rows, and repeat
    the last character (REP, ``CSI n b``). Without them the rendered screen
    keeps rows that a real terminal scrolled away."""

    def __init__(self, columns: int, lines: int) -> None:
        super().__init__(columns, lines)
        self.last_drawn = ""

    def draw(self, data: str) -> None:
        super().draw(data)
        if data:
            self.last_drawn = data[-1]

    def scroll_up(self, count: int = 1, *_, **__) -> None:
        top, bottom = self.margins or pyte.screens.Margins(0, self.lines - 1)
        for _ in range(min(max(count, 1), bottom - top + 1)):
            for y in range(top, bottom):
                self.buffer[y] = self.buffer[y + 1]
            self.buffer.pop(bottom, None)
        self.dirty.update(range(self.lines))

    def scroll_down(self, count: int = 1, *_, **__) -> None:
        top, bottom = self.margins or pyte.screens.Margins(0, self.lines - 1)
        for _ in range(min(max(count, 1), bottom - top + 1)):
            for y in range(bottom, top, -1):
                self.buffer[y] = self.buffer[y - 1]
            self.buffer.pop(top, None)
        self.dirty.update(range(self.lines))

    def repeat_last(self, count: int = 1, *_, **__) -> None:
        if self.last_drawn:
            self.draw(self.last_drawn * max(count, 1))


class XtermStream(pyte.ByteStream):
    csi = {**pyte.ByteStream.csi, "S": "scroll_up", "T": "scroll_down", "b": "repeat_last"}


def message_line(name: str, text: str) -> re.Pattern:
    return re.compile(rf"{TIMESTAMP} \[{re.escape(name)}\]: {re.escape(text)}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_key_table: dict[str, bytes] = {}


def key(name: str) -> bytes:
    """The bytes the terminal sends for a named key, from its terminfo entry."""
    if not _key_table:
        with open(os.devnull, "w") as sink:
            curses.setupterm(TERM, sink.fileno())
        for key_name, capability in {
            "left": "kcub1", "right": "kcuf1", "up": "kcuu1", "down": "kcud1",
            "home": "khome", "end": "kend", "delete": "kdch1", "backspace": "kbs",
            "pgup": "kpp", "pgdn": "knp",
        }.items():
            _key_table[key_name] = curses.tigetstr(capability) or b""
    return _key_table[name]


CTRL_C, CTRL_D, ENTER = b"\x03", b"\x04", b"\r"


# Runs in the child: a new session whose controlling terminal is the pty on
# its standard input, then the command itself in place of this interpreter.
_LAUNCHER = ("import fcntl, os, sys, termios; os.setsid(); "
             "fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execvp(sys.argv[1], sys.argv[1:])")


def set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtyChild:
    """A command on a new pty, as its controlling terminal; ``fd`` is the master side."""

    def __init__(self, command: list[str], rows: int, cols: int, env: dict[str, str]) -> None:
        self.fd, slave = os.openpty()
        set_size(slave, rows, cols)
        try:
            self.popen = subprocess.Popen([sys.executable, "-c", _LAUNCHER, *command],
                                          stdin=slave, stdout=slave, stderr=slave,
                                          cwd=str(ROOT), env=env, close_fds=True)
        finally:
            os.close(slave)
        self.pid = self.popen.pid
        self.closed = False

    def isalive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, signum: int) -> None:
        if self.isalive():
            os.kill(self.pid, signum)

    def setwinsize(self, rows: int, cols: int) -> None:
        set_size(self.fd, rows, cols)

    def close_pty(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)

    def stop(self) -> None:
        """Kill the command if it still runs, reap it, and close the pty."""
        if self.isalive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)
        self.close_pty()


class Terminal:
    def __init__(self, args: list[str], rows: int = 24, cols: int = 80,
                 env: dict[str, str] | None = None, command: list[str] | None = None) -> None:
        """``args`` for chat_curses.py, or a whole ``command`` to run instead."""
        self.args = args if command is None else command
        self.screen = XtermScreen(cols, rows)
        self.stream = XtermStream(self.screen)
        self._lock = threading.Lock()
        self.raw = bytearray()  # every byte the program wrote, for what a screen does not show
        self._eof = threading.Event()
        self._stop = threading.Event()
        full_env = {**os.environ, "TERM": TERM, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                    "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc = PtyChild(command or [sys.executable, str(PROGRAM), *args], rows, cols, full_env)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -- output --

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                # Wait in select(), not in read(): a thread blocked in read()
                # would keep the pty open after hang_up() closes it.
                if not select.select([self.proc.fd], [], [], 0.05)[0]:
                    continue
                data = os.read(self.proc.fd, 65536)
            except (OSError, ValueError):  # EIO: the program has gone and the pty is closed
                break
            if not data:
                break
            with self._lock:
                self.raw += data
                self.stream.feed(data)
        self._eof.set()

    def lines(self) -> list[str]:
        with self._lock:
            return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def flat(self) -> str:
        """The screen's text as one line, each run of blanks one space: a line wrapped
        at spaces (on the screen, or printed at the end) reads as it was written."""
        return " ".join(self.text().split())

    def row(self, index: int) -> str:
        return self.lines()[index]

    def cursor(self) -> tuple[int, int]:
        with self._lock:
            return self.screen.cursor.y, self.screen.cursor.x

    def describe(self) -> str:
        status = "running" if self.proc.isalive() else f"exited {self.exit_code()}"
        frame = "\n".join(f"|{line}" for line in self.lines())
        return f"--- {' '.join(self.args)} ({status}) ---\n{frame}"

    # -- waiting --

    def wait_for(self, expected: str | re.Pattern, timeout: float = DEFAULT_WAIT) -> str:
        """Wait until the screen shows ``expected`` (text or regex); return the screen."""
        def found(screen: str) -> bool:
            if isinstance(expected, re.Pattern):
                return expected.search(screen) is not None
            return expected in screen

        return self.wait_until(found, f"{expected!r} on screen", timeout)

    def wait_until(self, condition, what: str, timeout: float = DEFAULT_WAIT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.text()
            if condition(screen):
                return screen
            if time.monotonic() > deadline or (self._eof.is_set() and not condition(self.text())):
                raise AssertionError(f"waited {timeout} s for {what}\n{self.describe()}")
            time.sleep(0.02)

    def wait_warmed_up(self, timeout: float = DEFAULT_WAIT) -> None:
        """Wait until the program has loaded the cryptography in the background
        (its modules mapped) and that thread has ended (Linux: reads /proc)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(f"/proc/{self.proc.pid}/maps") as maps:
                loaded = "cryptography" in maps.read()
            with open(f"/proc/{self.proc.pid}/status") as status:
                alone = "\nThreads:\t1\n" in status.read()
            if loaded and alone:
                return
            time.sleep(0.02)
        raise AssertionError(f"the cryptography was not loaded in {timeout} s\n{self.describe()}")

    def wait_exit(self, timeout: float = DEFAULT_WAIT) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.isalive():
            if time.monotonic() > deadline:
                raise AssertionError(f"still running after {timeout} s\n{self.describe()}")
            time.sleep(0.02)
        self._eof.wait(2.0)
        return self.exit_code()

    def exit_code(self) -> int | None:
        """The exit status, or minus the signal that ended the program; None while it runs."""
        return self.proc.popen.poll()

    # -- input --

    def send(self, data: bytes | str, timeout: float = 3 * DEFAULT_WAIT) -> None:
        """Type ``data``; a large paste is taken by the terminal in parts, as the program reads."""
        view = memoryview(data.encode() if isinstance(data, str) else data)
        deadline = time.monotonic() + timeout
        while view:
            if not select.select([], [self.proc.fd], [], 0.1)[1]:
                if time.monotonic() > deadline:
                    raise AssertionError(f"the program stopped reading its keys\n{self.describe()}")
                continue
            view = view[os.write(self.proc.fd, view[:4096]):]

    def type_line(self, text: str) -> None:
        self.send(text)
        self.send(ENTER)

    def press(self, name: str) -> None:
        self.send(key(name))

    def resize(self, rows: int, cols: int) -> None:
        with self._lock:
            self.screen.resize(rows, cols)
        self.proc.setwinsize(rows, cols)

    def hang_up(self) -> None:
        """Close the terminal under the program, as when an SSH session dies."""
        self._stop.set()
        self._reader.join(2.0)
        self.proc.close_pty()

    def kill(self, signum: int = signal.SIGKILL) -> None:
        self.proc.kill(signum)

    def terminal_modes(self) -> list:
        """The pty's termios settings, as the program left them."""
        return termios.tcgetattr(self.proc.fd)

    def close(self) -> None:
        self._stop.set()
        self._reader.join(2.0)
        self.proc.stop()


class RawPeer:
    """A hand-driven partner on a plain socket, for sending what the real program never would.

    Before ``secure()`` it speaks plain lines (a stranger, an old program,
    junk); ``secure()`` runs the real secure handshake (the program's own
    sans-I/O ``Handshake``, as client, or as server with ``serve=True``),
    after which whatever it sends, well formed or not, is sealed, and what
    it receives is opened: an attacker who holds the keys of its own link.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(DEFAULT_WAIT)
        self._buffer = b""
        self.channel = None

    @classmethod
    def connect(cls, port: int) -> "RawPeer":
        return cls(socket.create_connection(("127.0.0.1", port), timeout=DEFAULT_WAIT))

    def secure(self, brings: str = "none", password: bytes = b"", serve: bool = False) -> None:
        from _chat_curses.wire.events import NEED_DATA, Role
        from _chat_curses.wire.handshake import Brings, ClientHello, Handshake, Proven

        handshake = Handshake(Role.SERVER if serve else Role.CLIENT, Brings(brings), password)
        if not serve:
            self.sock.sendall(handshake.hello())
        if self._buffer:  # (b"" would say the connection closed)
            handshake.receive_data(self._buffer)
        while True:
            event = handshake.next_event()
            if isinstance(event, ClientHello):
                self.sock.sendall(handshake.accept(password))
            elif isinstance(event, Proven):
                self.sock.sendall(handshake.data_to_send())
                self.channel = handshake.channel
                return
            elif event is NEED_DATA:
                said = handshake.data_to_send()  # a reveal, a proof after one
                if said:
                    self.sock.sendall(said)
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError("the program closed the connection in the handshake")
                handshake.receive_data(chunk)
            else:
                raise AssertionError(f"unexpected in the handshake: {event!r}")

    def send(self, data: bytes | dict) -> None:
        """A frame (a dict as JSON, or bytes as they are): sealed once secure, else a line."""
        if isinstance(data, dict):
            data = json.dumps(data).encode()
            if self.channel is None:
                data += b"\n"
        self.sock.sendall(self.channel.seal(data) if self.channel is not None else data)

    def receive(self) -> dict | None:
        """The next frame from the program, or None at end of file."""
        if self.channel is not None:
            while (frame := self.channel.next_frame()) is None:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return None
                self.channel.receive_data(chunk)
            return json.loads(frame)
        while b"\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def receive_until(self, frame_type: str) -> dict | None:
        """Skip pings; the first frame of this type, or None at end of file."""
        while (frame := self.receive()) is not None and frame["type"] != frame_type:
            pass
        return frame

    def close(self) -> None:
        self.sock.close()


# --- What the program shows, as a screen row shows it --------------------------
# (The prompts end in a space, which a row does not show until text follows.)

ADDRESS_PROMPT = "Enter the server IP address (<Enter> for localhost):"
PORT_PROMPT = "Enter the server port number (<Enter> for 8000):"
CLIENT_PROMPT = "Enter a message to send to the server (Type end to stop):"
SERVER_PROMPT = "Enter a message to send to the client (Type end to stop):"
WAITING = "Trying to connect to another user..."


def start_server(spawn, port: int, *extra: str, name: str = "server", **options) -> Terminal:
    """A server on 127.0.0.1:port, answers given by flags, waiting for a partner."""
    server = spawn("--server", "--host", "127.0.0.1", "--port", str(port), "--name", name,
                   *extra, **options)
    server.wait_for(WAITING)
    return server


def pairing_code(server: Terminal) -> str:
    """The pairing code the server shows now (the newest), as its partner would read it."""
    codes = re.findall(r"(?:Pairing code for your partner:|the new code is) (\S+)", server.text())
    return codes[-1] if codes else ""


def start_client(spawn, port: int, *extra: str, name: str = "user", code: str = "",
                 **options) -> Terminal:
    """A client for 127.0.0.1:port, answers given by flags (not waited for): the
    pairing code ``code`` ("" for none: an unverified chat, unless a secret)."""
    given = [] if "--code" in extra else ["--code", code]
    return spawn("--client", "--host", "127.0.0.1", "--port", str(port), "--name", name,
                 *given, *extra, **options)


def start_chat(spawn, port: int, *, server_name: str = "server", client_name: str = "user",
               server_extra=(), client_extra=(), server_env=None, client_env=None,
               **options) -> tuple[Terminal, Terminal]:
    """A server and a client, connected, at the client's first turn."""
    server = start_server(spawn, port, *server_extra, name=server_name, env=server_env, **options)
    client = start_client(spawn, port, *client_extra, name=client_name, env=client_env,
                          code=pairing_code(server), **options)
    client.wait_for(CLIENT_PROMPT)
    server.wait_for(f"Waiting for {client_name}...")
    return server, client
