#!/usr/bin/env python3
"""chat_curses: a one-to-one chat in the terminal, taking turns.

    python chat_curses.py --server     wait for a partner
    python chat_curses.py --client     connect to one

The program has three layers:

- ``Screen`` is the curses view. It draws a frame from the chat's state and
  reads keys; it knows nothing of the network.
- ``Chat`` is the application. It asks the setup questions, listens or
  connects, runs the handshake and the turns, and decides what every key,
  network event and deadline means.
- ``EventLoop`` is one ``selectors`` loop over the keyboard, the sockets
  and a wake-up socket that signals (SIGWINCH, SIGINT, ...) and the
  ``Dialer``'s name lookup thread write to. It sleeps until something
  happens.

The wire protocol lives in ``netproto.py``, the checks of typed input and
the cleaner for untrusted text in ``validators.py``, and the pure models of
the history pane, the input line and pasted keys in ``screentext.py``,
``lineeditor.py`` and ``keyinput.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import locale
import os
import secrets
import select
import selectors
import signal
import socket
import stat
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Iterator

try:
    import curses
except ImportError:  # Windows without the windows-curses package
    curses = None  # type: ignore[assignment]

from keyinput import ESCAPE_WAIT, MAX_PASTE_CHARS, Item, Key, KeyDecoder, Paste
from lineeditor import LineEditor
from netproto import (
    AuthenticationError,
    Bye,
    Connection,
    ConnectionClosed,
    Event,
    Hello,
    LocalProtocolError,
    Message,
    Ping,
    Proof,
    Protocol,
    ProtocolError,
    RemoteProtocolError,
    Role,
    WrongSecret,
    describe_os_error,
)
from screentext import History, Line, Scrollback, cell_width, clip, pad
from validators import (
    ValidationError,
    check_address,
    check_message,
    check_port,
    check_timeout,
    check_username,
    SPACE_SEPARATORS,
    clean,
    clean_name,
)

__version__ = "1.0.0"

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 8000
DEFAULT_NAMES = {Role.CLIENT: "user", Role.SERVER: "server"}
DEFAULT_TIMEOUT = 10.0

ADDRESS_PROMPT = "Enter the server IP address (<Enter> for localhost): "
PORT_PROMPT = "Enter the server port number (<Enter> for 8000): "
NAME_PROMPT = "Enter your username (<Enter> for {default}): "
MESSAGE_PROMPTS = {
    Role.CLIENT: "Enter a message to send to the server (Type end to stop): ",
    Role.SERVER: "Enter a message to send to the client (Type end to stop): ",
}

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# Signals that end the program, and the exit code each gives (128 + number).
LEAVING_SIGNALS = {
    getattr(signal, name): 128 + getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP")
    if hasattr(signal, name)
}
# Handshakes the server runs at once with connections that have not yet
# finished theirs. While every place is taken, a new connection replaces the
# one that has made the least progress, so that strangers holding
# connections open cannot keep a real partner out.
MAX_CANDIDATES = 8
# Connections the kernel queues for us; a flood waits there, not in SYN retries.
LISTEN_BACKLOG = 128
# Connections taken per wake-up, so that a flood cannot starve the rest.
ACCEPTS_PER_WAKE = 16
# At most this many handshakes are cut short for newcomers in a second.
# Strangers who reconnect as fast as they are dropped then wait in the
# backlog, and so does a real partner, whose hello is there by the time it
# is accepted: it counts as progress at once, and keeps its place.
REPLACEMENTS_PER_SECOND = 50
# When accept() itself fails (out of file descriptors), the listener rests this long.
ACCEPT_PAUSE = 1.0
# After a wrong proof of the secret, the server answers the next hello only
# after this pause, doubled with each further failure up to the cap: guessing
# online costs seconds per try instead of microseconds.
GUESS_PAUSE, GUESS_PAUSE_CAP = 1.0, 8.0
# After this many "Ignored connection" lines in a row, further ones are
# counted on one line instead of filling the history.
IGNORED_LINES_SHOWN = 3
# A quiet chat sends a ping every HEARTBEAT seconds; a partner silent for
# DEAD_AFTER heartbeats is gone. CHAT_CURSES_HEARTBEAT sets the period.
DEFAULT_HEARTBEAT = 5.0
DEAD_AFTER = 3
SECRET_ENV = "CHAT_SECRET"
HEARTBEAT_ENV = "CHAT_CURSES_HEARTBEAT"
MAX_SECRET_BYTES = 4096
# A secret shorter than this gets a warning: a recorded handshake lets anyone
# try guesses offline, as fast as their machine computes HMACs.
SHORT_SECRET = 16
# The most the input line holds; a message may not be longer anyway.
MAX_TYPED = MAX_PASTE_CHARS
# The longest echo of a typed answer in the history.
ECHO_CHARS = 100
# Windows consoles cannot be watched by select(): poll the keyboard instead.
POLL_KEYBOARD = sys.platform == "win32"
KEYBOARD_POLL_SECONDS = 0.05


# --- Command line ------------------------------------------------------------


@dataclass
class Settings:
    role: Role
    host: str | None = None
    port: int | None = None
    name: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    secret: bytes | None = None
    secret_file: str | None = None
    heartbeat: float = DEFAULT_HEARTBEAT
    log: "Transcript | None" = None
    log_path: str | None = None
    term: str = field(default_factory=lambda: os.environ.get("TERM", ""))


def program_name() -> str:
    """How the program was started: chat_curses.py, or the installed chat-curses."""
    return os.path.basename(sys.argv[0]) or "chat_curses.py"


def _flag_type(check: Callable[[str], object]) -> Callable[[str], object]:
    """Adapt a validator to argparse, which then names the flag in the error."""

    def convert(text: str) -> object:
        try:
            return check(text)
        except ValidationError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert


def read_secret_file(path: str) -> bytes:
    """The shared secret in a file, without surrounding white space."""
    try:
        with open(path, "rb") as source:
            data = source.read(MAX_SECRET_BYTES + 1)
    except OSError as error:
        raise argparse.ArgumentTypeError(
            f"cannot read {clean(path)!r}: {error.strerror or error}") from None
    if len(data) > MAX_SECRET_BYTES:
        raise argparse.ArgumentTypeError(
            f"{clean(path)!r} is too large for a secret (at most {MAX_SECRET_BYTES} bytes)")
    if not data.strip():
        raise argparse.ArgumentTypeError(f"{clean(path)!r} is empty")
    return data.strip()


def write_new_secret(path: str) -> None:
    """A new secret of 32 random bytes, as 64 hexadecimal digits, in a new private file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_hex(32) + "\n")


class NewSecretAction(argparse.Action):
    """--new-secret PATH: write a secret and exit, like --version, whatever else is given."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=1, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        path = values[0]
        try:
            write_new_secret(path)
        except OSError as error:
            parser.error(f"argument --new-secret: cannot create {clean(path)!r}: "
                         f"{error.strerror or error}")
        print(f"Wrote a new secret to {clean(path)}. Give your partner a copy by a safe way, "
              f"and both start with: --secret-file {clean(path)}")
        parser.exit(EXIT_OK)


def readable_by_others(path: str) -> bool:
    try:
        return os.name == "posix" and bool(os.stat(path).st_mode & 0o077)
    except OSError:
        return False


def parse_args(argv: list[str] | None = None) -> Settings:
    """Read the command line; a bad one prints usage and exits 2."""
    parser = argparse.ArgumentParser(
        prog=program_name(),
        description="A one-to-one chat in the terminal. The two sides take "
        "turns, client first; type 'end' to leave.",
    )
    role = parser.add_mutually_exclusive_group(required=True)
    role.add_argument("--server", action="store_true", help="wait for a partner to connect")
    role.add_argument("--client", action="store_true", help="connect to a waiting server")
    parser.add_argument("--host", type=_flag_type(check_address),
                        help="address to listen on (server) or connect to (client); "
                        "skips the address prompt")
    parser.add_argument("--port", type=_flag_type(check_port),
                        help="TCP port, 1-65535; skips the port prompt")
    parser.add_argument("--name", type=_flag_type(check_username),
                        help="your username, 1-32 printable characters; skips the username prompt")
    parser.add_argument("--timeout", type=_flag_type(check_timeout), default=DEFAULT_TIMEOUT,
                        metavar="SECONDS",
                        help=f"seconds allowed to connect and finish the handshake "
                        f"(default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--secret-file", metavar="PATH",
                        help=f"a file holding a secret both sides must know; without it, "
                        f"the {SECRET_ENV} environment variable, if set, is the secret")
    parser.add_argument("--log", metavar="PATH",
                        help="append every line of the conversation, as shown, to this file")
    parser.add_argument("--new-secret", metavar="PATH", action=NewSecretAction,
                        help="write a new random secret to PATH (a new file, mode 600) and exit")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    secret = None
    if args.secret_file is not None:
        try:
            secret = read_secret_file(args.secret_file)
        except argparse.ArgumentTypeError as error:
            parser.error(f"argument --secret-file: {error}")
    elif SECRET_ENV in os.environ:
        secret = os.environ[SECRET_ENV].strip().encode("utf-8", "surrogateescape")
        if not secret:  # CHAT_SECRET=$(cat missing-file) must not turn the secret off
            parser.error(f"environment variable {SECRET_ENV} is set but empty; "
                         f"give it a secret, or unset it to chat without one")
    heartbeat = DEFAULT_HEARTBEAT
    if HEARTBEAT_ENV in os.environ:
        try:
            heartbeat = check_timeout(os.environ[HEARTBEAT_ENV])
        except ValidationError as error:
            parser.error(f"environment variable {HEARTBEAT_ENV}: {error}")
    log = None  # opened last: a usage error must not leave a new file behind
    if args.log is not None:
        try:
            log = Transcript.open(args.log)
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            parser.error(f"argument --log: cannot write to {clean(args.log)!r}: {reason}")
    return Settings(
        role=Role.SERVER if args.server else Role.CLIENT,
        host=args.host,
        port=args.port,
        name=args.name,
        timeout=args.timeout,
        secret=secret,
        secret_file=args.secret_file,
        heartbeat=heartbeat,
        log=log,
        log_path=args.log,
    )


# --- Small helpers -----------------------------------------------------------


def format_address(host: str, port: int) -> str:
    """host:port, with IPv6 literals in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def format_time(seconds: int) -> str:
    """Local time in ``time.ctime`` form: Mon Apr 17 11:42:43 2023."""
    try:
        return time.ctime(seconds)
    except (OverflowError, OSError, ValueError):  # beyond this platform's clock
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def format_message(seconds: int, name: str, text: str) -> str:
    """A history line; the line breaks of a pasted block are kept, all else is cleaned."""
    body = "\n".join(clean(line) for line in text.split("\n"))
    return f"<{format_time(seconds)}> [{clean_name(name)}]: {body}"


def _minutes(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def _shorten(text: str, limit: int = ECHO_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


class ListenError(Exception):
    """The server cannot listen; the text says why, in words."""


def describe_listen_error(error: OSError, host: str, port: int) -> str:
    if isinstance(error, socket.gaierror):
        return f"Cannot listen on {host}: the name was not found ({describe_os_error(error)})"
    if error.errno == errno.EADDRINUSE:
        return f"Port {port} is already in use on {host}"
    if error.errno == errno.EACCES:
        hint = " (ports below 1024 need administrator rights)" if port < 1024 else ""
        return f"Permission denied: cannot listen on {format_address(host, port)}{hint}"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"Cannot listen on {host}: it is not an address of this machine"
    return f"Cannot listen on {format_address(host, port)}: {describe_os_error(error)}"


def open_listeners(host: str, port: int) -> list[socket.socket]:
    """Listening sockets on every address ``host`` names ("localhost" may be two)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as error:
        raise ListenError(describe_listen_error(error, host, port)) from None
    listeners: list[socket.socket] = []
    failures: list[tuple[OSError, str]] = []
    for family, kind, proto, _, sockaddr in dict.fromkeys(
        (info[0], info[1], info[2], "", info[4]) for info in infos
    ):
        sock = socket.socket(family, kind, proto)
        try:
            if sys.platform == "win32":  # there, SO_REUSEADDR lets others steal the port
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
            else:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(sockaddr)
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
        except OSError as error:
            sock.close()
            failures.append((error, sockaddr[0]))
        else:
            listeners.append(sock)
    in_use = [failure for failure in failures if failure[0].errno == errno.EADDRINUSE]
    if listeners and not in_use:
        return listeners  # e.g. ::1 failing on a machine without IPv6 is fine
    for sock in listeners:
        sock.close()
    error, address = (in_use or failures)[0]
    raise ListenError(describe_listen_error(error, address, port))


def format_peer(sockaddr: tuple) -> str:
    return format_address(str(sockaddr[0]), int(sockaddr[1]))


class Transcript:
    """The --log file: every history line appended as shown, flushed at once."""

    def __init__(self, stream) -> None:
        self.stream = stream

    @classmethod
    def open(cls, path: str) -> "Transcript":
        """Open ``path`` for appending, refusing what would block or betray us.

        Only a regular file will do: a FIFO nobody reads would freeze the
        loop, a device is no transcript. A symbolic link is followed only
        when it is our own, so that another user cannot plant one (in /tmp,
        say) to make us write into a file of their choosing. The file is
        opened without blocking, then checked, before anything is written.
        Raises OSError, or ValueError with the reason in words.
        """
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0)
        with contextlib.suppress(FileNotFoundError):
            if os.path.islink(path) and os.lstat(path).st_uid != _our_uid():
                raise ValueError("it is a symbolic link that belongs to another user")
            if not os.path.islink(path):
                flags |= getattr(os, "O_NOFOLLOW", 0)  # it may not turn into one now
        try:
            fd = os.open(path, flags, 0o600)  # a private record
        except OSError as error:
            if error.errno == errno.ENXIO:  # a FIFO with no reader
                raise ValueError("it is not a regular file") from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ValueError("it is not a regular file")
        return cls(os.fdopen(fd, "a", encoding="utf-8", errors="replace"))

    def write(self, line: Line) -> None:
        self.stream.write(line.as_text() + "\n")
        self.stream.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()


def _our_uid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else 0


class Keyboard:
    """The terminal's keys, read in bulk and decoded (``keyinput.KeyDecoder``).

    ncurses reads one byte per ``read()``, which makes a 64 KiB paste cost
    65,000 reads and polls; here each turn of the loop takes what the
    terminal holds, up to ``SLICE`` bytes, so a huge paste is taken in
    slices and the network is served in between. On Windows, where the
    console is no file to read, keys come from curses' ``get_wch``.
    """

    SLICE = 64 * 1024

    def __init__(self, window: "curses.window", fd: int | None) -> None:
        self.window, self.fd = window, fd
        self.decoder = KeyDecoder()
        self.escape_deadline: float | None = None  # when a held Esc is taken alone

    def read(self) -> list[Item] | None:
        """What was typed since the last call; None when the terminal is gone."""
        data = self._read_console() if self.fd is None else self._read_fd()
        if data is None:
            return None
        items = self.decoder.feed(data)
        self.escape_deadline = time.monotonic() + ESCAPE_WAIT if self.decoder.pending else None
        return items

    def more_waiting(self) -> bool:
        """More keys are already waiting to be read (they are part of a paste)."""
        return self.fd is not None and _readable(self.fd)

    def flush(self) -> list[Item]:
        """The rest of an escape sequence did not come: decide on what is held."""
        self.escape_deadline = None
        return self.decoder.flush()

    def _read_fd(self) -> bytes | None:
        data = b""
        while len(data) < self.SLICE:
            try:
                chunk = os.read(self.fd, self.SLICE - len(data))
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # EIO: the terminal hung up
                return data or None
            if not chunk:
                return data or None
            data += chunk
            if not _readable(self.fd):
                break
        return data

    def _read_console(self) -> bytes:
        data = bytearray()
        while len(data) < self.SLICE:
            try:
                key = self.window.get_wch()
            except curses.error:  # no more input
                break
            if isinstance(key, str):
                data += key.encode("utf-8", "replace")
            elif key in CONSOLE_KEYS:
                data += CONSOLE_KEYS[key].encode()
        return bytes(data)


def _readable(fd: int) -> bool:
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return False


class Waker:
    """A socket pair whose read end the loop watches.

    Signal handlers write the signal's number into it (``signal.set_wakeup_fd``)
    and worker threads write a zero byte, so the sleeping loop wakes at once.
    """

    THREAD_DONE = 0

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)

    def fileno(self) -> int:
        return self._reader.fileno()

    @property
    def write_fd(self) -> int:
        return self._writer.fileno()

    def wake(self) -> None:
        with contextlib.suppress(OSError):  # full: the loop is awake anyway
            self._writer.send(bytes([self.THREAD_DONE]))

    def drain(self) -> bytes:
        data = b""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while chunk := self._reader.recv(512):
                data += chunk
        return data

    def close(self) -> None:
        self._reader.close()
        self._writer.close()


class Dialer:
    """The client's way to the server, never blocking the screen.

    The host name is looked up in a worker thread (a slow DNS server must not
    freeze the screen), then each address is tried in turn with a
    non-blocking connect, which the loop reports when the socket turns
    writable. The outcome is reported once: ``on_connected(sock)`` or
    ``on_failed(reason)``. The caller keeps the deadline.
    """

    def __init__(self, host: str, port: int, loop: "EventLoop", waker: Waker,
                 on_connected: Callable[[socket.socket], None],
                 on_failed: Callable[[str], None]) -> None:
        self.host, self.port, self.loop = host, port, loop
        self.on_connected, self.on_failed = on_connected, on_failed
        self.looked_up: list | OSError | None = None  # set by the worker thread
        self._tried_lookup = False
        self._addresses: list[tuple] = []
        self._sock: socket.socket | None = None
        self._error: OSError | None = None
        threading.Thread(target=self._look_up, args=(waker.wake,), daemon=True).start()

    def _look_up(self, wake: Callable[[], None]) -> None:
        try:
            self.looked_up = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except OSError as error:
            self.looked_up = error
        except Exception as error:  # e.g. UnicodeError from the IDNA codec
            self.looked_up = OSError(str(error))
        wake()

    def on_wake(self) -> None:
        """The loop woke: go on if the lookup has finished."""
        if self.looked_up is None or self._tried_lookup:
            return
        self._tried_lookup = True
        if isinstance(self.looked_up, OSError):
            self.on_failed(f"cannot find {self.host} ({describe_os_error(self.looked_up)})")
            return
        self._addresses = list(self.looked_up)
        self._try_next_address()

    def _try_next_address(self) -> None:
        while self._addresses:
            family, kind, proto, _, sockaddr = self._addresses.pop(0)
            sock = socket.socket(family, kind, proto)
            sock.setblocking(False)
            code = sock.connect_ex(sockaddr)
            if code in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
                self._sock = sock
                self.loop.watch(sock, self._on_writable, read=False, write=True)
                return
            sock.close()
            self._error = OSError(code, os.strerror(code))
        error = self._error or OSError(errno.EHOSTUNREACH, "no address to connect to")
        reason = describe_os_error(error)
        if error.errno == errno.ECONNREFUSED:
            reason += " (is the server running?)"
        self.on_failed(reason)

    def _on_writable(self, mask: int) -> None:
        sock, self._sock = self._sock, None
        self.loop.unwatch(sock)
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            sock.close()
            self._error = OSError(code, os.strerror(code))
            self._try_next_address()
        else:
            self.on_connected(sock)

    def close(self) -> None:
        if self._sock is not None:
            self.loop.unwatch(self._sock)
            self._sock.close()


# --- The curses view ---------------------------------------------------------


@dataclass
class Frame:
    """Everything the screen shows, computed by the chat."""

    history: History
    scrollback: Scrollback
    status: str
    prompt: str  # before the typed text; or, when locked, all the line says
    editor: LineEditor | None  # None while the input is locked


class Screen:
    """Draws frames and reads keys. The layout, top to bottom: history rows,
    one status row in reverse video, one input row."""

    MIN_ROWS, MIN_COLS = 3, 16
    # The typed text keeps at least this many cells; a longer prompt is cut
    # and ends in CUT_PROMPT instead.
    MIN_FIELD = 12
    CUT_PROMPT = "...: "

    def __init__(self, window: "curses.window", colour: bool = True) -> None:
        self.window = window
        self.styles = line_styles(colour)

    def history_size(self) -> tuple[int, int]:
        """Width and height of the history pane."""
        rows, cols = self.window.getmaxyx()
        return cols, max(rows - 2, 0)

    def follow_terminal_size(self) -> None:
        """Adopt the terminal's new size at once (after SIGWINCH)."""
        try:
            size = os.get_terminal_size(sys.__stdout__.fileno())
            curses.resizeterm(size.lines, size.columns)
        except (OSError, ValueError, curses.error):
            pass

    def repaint(self) -> None:
        """Repaint every cell on the next draw (Ctrl-L)."""
        self.window.clearok(True)

    def suspend(self) -> None:
        """Stop the program (Ctrl-Z, SIGTSTP) with the terminal as the shell
        had it, and come back whole when the shell continues it.

        A process group that no shell controls (an orphaned one) cannot be
        stopped: the kernel drops the signal, and the chat simply goes on.
        """
        if not hasattr(signal, "SIGTSTP"):
            return
        _write_terminal(BRACKETED_PASTE_OFF)
        with contextlib.suppress(curses.error):
            curses.endwin()
        handler = signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        try:
            os.kill(os.getpid(), signal.SIGTSTP)  # returns once continued
        finally:
            signal.signal(signal.SIGTSTP, handler)
        self.resume()

    def resume(self) -> None:
        """After SIGCONT: the shell may have put the terminal back in its own
        mode (line editing, echo) while we were stopped. Restore ours and repaint."""
        with contextlib.suppress(curses.error):
            curses.reset_prog_mode()
        _write_terminal(BRACKETED_PASTE_ON)
        self.follow_terminal_size()  # it may have been resized meanwhile
        self.window.clearok(True)

    def draw(self, frame: Frame) -> None:
        rows, cols = self.window.getmaxyx()
        self.window.erase()
        if rows < self.MIN_ROWS or cols < self.MIN_COLS:
            self._put(0, clip("Terminal too small", cols))
            self._show_cursor(False)
        else:
            self._draw_history(frame, rows - 2, cols)
            self._put(rows - 2, pad(frame.status, cols), curses.A_REVERSE)
            self._draw_input(frame, rows - 1, cols)
        self.window.refresh()

    def _draw_history(self, frame: Frame, height: int, cols: int) -> None:
        for y, (text, kind) in enumerate(frame.scrollback.rows(frame.history, cols, height)):
            self._put(y, clip(text, cols), self.styles.get(kind, 0))

    def _draw_input(self, frame: Frame, y: int, cols: int) -> None:
        if frame.editor is None:
            self._put(y, clip(frame.prompt, cols))
            self._show_cursor(False)
            return
        prompt = frame.prompt
        room = cols - self.MIN_FIELD
        if cell_width(prompt) > room:
            prompt = clip(prompt, room - len(self.CUT_PROMPT)).rstrip() + self.CUT_PROMPT
        start = cell_width(prompt)
        text, column = frame.editor.view(cols - start)
        self._put(y, prompt + text)
        self._show_cursor(True)
        with contextlib.suppress(curses.error):
            self.window.move(y, start + column)

    def _put(self, y: int, text: str, attr: int = 0) -> None:
        # insstr neither wraps nor moves the cursor, so the bottom-right
        # cell can be written without the error addstr raises there.
        with contextlib.suppress(curses.error):
            self.window.insstr(y, 0, text, attr)

    @staticmethod
    def _show_cursor(visible: bool) -> None:
        with contextlib.suppress(curses.error):
            curses.curs_set(1 if visible else 0)


def line_styles(colour: bool) -> dict[str, int]:
    """curses attributes for each kind of history line.

    With colours: own lines green, the partner's cyan, the program's yellow,
    errors red, all on the terminal's own background. Without (NO_COLOR, or
    a monochrome terminal): own lines bold and the program's dim.
    """
    plain = {"own": curses.A_BOLD, "peer": curses.A_NORMAL, "system": curses.A_DIM,
             "warning": curses.A_BOLD, "error": curses.A_BOLD}
    if not colour or not curses.has_colors():
        return plain
    try:
        curses.start_color()
        curses.use_default_colors()  # -1 below: keep the terminal's background
        pairs = {"own": curses.COLOR_GREEN, "peer": curses.COLOR_CYAN,
                 "system": curses.COLOR_YELLOW, "warning": curses.COLOR_YELLOW,
                 "error": curses.COLOR_RED}
        styles = {}
        for number, (kind, foreground) in enumerate(pairs.items(), start=1):
            curses.init_pair(number, foreground, -1)
            styles[kind] = curses.color_pair(number)
    except curses.error:
        return plain
    styles["warning"] |= curses.A_BOLD
    styles["error"] |= curses.A_BOLD
    return styles


class TerminalError(Exception):
    """curses cannot drive this terminal (an unknown TERM, say); the text says why."""


def out_of_descriptors() -> bool:
    """The process cannot open one more file (ulimit -n reached)."""
    try:
        os.close(os.open(os.devnull, os.O_RDONLY))
    except OSError as error:
        return error.errno in (errno.EMFILE, errno.ENFILE)
    return False


def describe_descriptor_limit() -> str:
    try:
        import resource

        limit = f" (the limit is {resource.getrlimit(resource.RLIMIT_NOFILE)[0]})"
    except (ImportError, OSError, ValueError):
        limit = ""
    return f"too many open files{limit}; raise the limit with: ulimit -n 1024"


def terminal_fallbacks(term: str) -> list[str]:
    """Close relatives of a terminal type this host has no description of.

    Over SSH the remote host often lacks the entry for a newer terminal
    (tmux-256color, xterm-kitty, alacritty...); its family's classic entry
    draws the same screen.
    """
    if term.startswith("tmux") or term.startswith("screen"):
        return ["screen-256color", "screen"] if "256" in term else ["screen"]
    if term.endswith("256color") or term.startswith(("xterm", "rxvt", "kitty", "alacritty",
                                                       "foot", "wezterm", "ghostty")):
        return ["xterm-256color", "xterm"]
    return []


def _initscr() -> "curses.window":
    """initscr, trying a close relative when the host does not know TERM."""
    term = os.environ.get("TERM", "")
    try:
        return curses.initscr()
    except curses.error as error:
        failure = error
    for fallback in terminal_fallbacks(term):
        os.environ["TERM"] = fallback
        try:
            return curses.initscr()
        except curses.error:
            continue
    os.environ["TERM"] = term
    if out_of_descriptors():  # curses could not open the terminal description
        raise OSError(errno.EMFILE, "too many open files")
    raise TerminalError(f"cannot use this terminal ({failure}); check that TERM "
                        f"(now {term!r}) names your terminal")


@contextlib.contextmanager
def curses_screen() -> Iterator["curses.window"]:
    """Set the terminal up for the chat and restore it whatever happens."""
    window = _initscr()
    try:
        curses.raw()  # Ctrl-C, Ctrl-Z, Ctrl-S arrive as keys
        curses.nonl()  # Return arrives as \r, not turned into \n: a pasted \r\n stays one break
        curses.noecho()
        window.keypad(True)  # for Windows, where curses reads the keys
        window.nodelay(True)
        curses.typeahead(-1)  # we read the keys ourselves: never hold output back for them
        _write_terminal(BRACKETED_PASTE_ON)
        yield window
    finally:
        _write_terminal(BRACKETED_PASTE_OFF)
        with contextlib.suppress(curses.error):
            window.keypad(False)
            curses.noraw()
            curses.echo()
        with contextlib.suppress(curses.error):  # fails when the terminal is gone
            curses.endwin()


# Terminals that know bracketed paste wrap pasted text in markers; others
# ignore the request.
BRACKETED_PASTE_ON, BRACKETED_PASTE_OFF = b"\x1b[?2004h", b"\x1b[?2004l"


def _write_terminal(data: bytes) -> None:
    with contextlib.suppress(OSError, ValueError):
        os.write(sys.__stdout__.fileno(), data)


def _note_signal(signum: int, frame: object) -> None:
    """The work is done by the loop, which reads the number from the wake-up socket."""


@contextlib.contextmanager
def signals_to(waker: Waker) -> Iterator[None]:
    wanted = list(LEAVING_SIGNALS)
    wanted += [getattr(signal, name) for name in ("SIGWINCH", "SIGTSTP", "SIGCONT")
               if hasattr(signal, name)]
    previous = {signum: signal.signal(signum, _note_signal) for signum in wanted}
    previous_fd = signal.set_wakeup_fd(waker.write_fd, warn_on_full_buffer=False)
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# --- The event loop ----------------------------------------------------------


class EventLoop:
    """One selector over everything; each registration carries its callback."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()

    def watch(self, fileobj, callback: Callable[[int], None], read: bool = True,
              write: bool = False) -> None:
        events = (selectors.EVENT_READ if read else 0) | (selectors.EVENT_WRITE if write else 0)
        try:
            key = self.selector.get_key(fileobj)
        except KeyError:
            self.selector.register(fileobj, events, callback)
        else:
            if key.events != events or key.data != callback:
                self.selector.modify(fileobj, events, callback)

    def unwatch(self, fileobj) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(fileobj)

    def run(self, chat: "Chat") -> None:
        while chat.exit_code is None:
            chat.before_sleep()
            timeout = chat.seconds_to_deadline()
            if POLL_KEYBOARD:
                timeout = KEYBOARD_POLL_SECONDS if timeout is None else min(timeout, KEYBOARD_POLL_SECONDS)
            for key, mask in self.selector.select(timeout):
                # An earlier callback in this batch may have closed this one's file.
                current = self.selector.get_map().get(key.fd)
                if current is not None and current.fileobj is key.fileobj:
                    key.data(mask)
                if chat.exit_code is not None:
                    break
            if POLL_KEYBOARD:
                chat.on_keyboard(selectors.EVENT_READ)
            chat.on_time(time.monotonic())
        self.selector.close()


# --- The application ---------------------------------------------------------


@dataclass
class Question:
    field: str  # the Chat attribute the answer goes to
    prompt: str
    default: str
    check: Callable[[str], object]


@dataclass(eq=False)
class Link:
    """A connection to a partner, or to someone who may become one."""

    conn: Connection
    address: str
    deadline: float | None  # for the handshake; None once established
    closed: bool = False
    on_ready: Callable[[int], None] | None = None  # its selector callback


class Chat:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.history = History(on_add=self._log)
        self.scrollback = Scrollback()
        self.editor = LineEditor()
        self.waiting_since: float | None = None  # since when the partner has had the turn
        self.exit_code: int | None = None
        self.role = settings.role
        self.host = settings.host
        self.port = settings.port
        self.name = settings.name
        self.pending: list[str] = []  # the setup questions still to ask
        self.question: Question | None = None
        self.phase = "setting up"  # for the status bar, before the chat
        self.note = ""  # what the input line says while it is locked
        self.listeners: dict[socket.socket, Callable[[int], None]] = {}  # with callbacks
        self.candidates: list[Link] = []
        self.partner: Link | None = None
        self.peer_name = ""
        self.target = ""  # the client's HOST:PORT
        self.connect_deadline: float | None = None  # for connecting and the handshake
        self.dialer: Dialer | None = None
        self.ignored_in_a_row = 0
        self.ignored_until = -1  # the history's length after the last such line
        self.accept_paused_until = 0.0  # monotonic time; accept() failed and rests until then
        self.accept_failing = False  # said once per run of failures
        self.replacements: deque[float] = deque()  # when handshakes were cut for newcomers
        self.wrong_proofs = 0  # in a row, since the last good handshake
        self.next_answer_at = 0.0  # monotonic time before which no hello is answered

    def attach(self, loop: EventLoop, screen: Screen, keyboard: Keyboard, waker: Waker) -> None:
        self.loop, self.screen, self.keyboard, self.waker = loop, screen, keyboard, waker
        loop.watch(waker, self.on_wake)
        if keyboard.fd is not None:
            loop.watch(keyboard.fd, self.on_keyboard)

    # -- what the loop calls --

    def start(self) -> None:
        if self.settings.term and os.environ.get("TERM") != self.settings.term:
            self.history.add(f"This host does not know the terminal type {clean(self.settings.term)!r}; "
                             f"using {os.environ.get('TERM')!r} instead", "warning")
        for what, path in (("secret file", self.settings.secret_file),
                           ("log file", self.settings.log_path)):
            if path is not None and readable_by_others(path):
                self.history.add(f"Warning: other users can read the {what} {clean(path)}; "
                                 f"protect it with: chmod 600 {clean(path)}", "warning")
        secret = self.settings.secret
        if secret is not None and len(secret) < SHORT_SECRET:
            self.history.add(f"Warning: the secret is short ({len(secret)} bytes). Anyone who "
                             f"records a handshake can try guesses offline; make a strong one "
                             f"with: {program_name()} --new-secret PATH", "warning")
        self.pending = [name for name in ("host", "port", "name") if getattr(self, name) is None]
        self._next_step()

    def before_sleep(self) -> None:
        for link in self._links():
            self.loop.watch(link.conn, link.on_ready, write=link.conn.wants_write)
        self._watch_listeners()
        self.screen.draw(self.frame())

    def seconds_to_deadline(self) -> float | None:
        deadlines = [link.deadline for link in self._links() if link.deadline is not None]
        if self.connect_deadline is not None:
            deadlines.append(self.connect_deadline)
        if self.keyboard.escape_deadline is not None:
            deadlines.append(self.keyboard.escape_deadline)
        if self.listeners and self.accept_paused_until > time.monotonic():
            deadlines.append(self.accept_paused_until)
        if self._hellos_waiting():
            deadlines.append(self.next_answer_at)
        if self._chatting():
            conn = self.partner.conn
            deadlines += [conn.last_sent + self.settings.heartbeat,
                          conn.last_received + self._dead_after()]
        if not deadlines:
            return None  # nothing is timed: sleep until something happens
        return max(0.0, min(deadlines) - time.monotonic())

    def on_time(self, now: float) -> None:
        if self.keyboard.escape_deadline is not None and now >= self.keyboard.escape_deadline:
            self.on_items(self.keyboard.flush())
        if self._hellos_waiting() and now >= self.next_answer_at:
            self.on_link(self._hellos_waiting()[0], 0)  # the longest waiting is answered next
        for link in self._links():
            if link.deadline is not None and now >= link.deadline:
                self._drop(link, f"timed out after {self.settings.timeout:g} s"
                           if link is self.partner else
                           f"no handshake within {self.settings.timeout:g} s")
        if self.connect_deadline is not None and now >= self.connect_deadline:
            self._could_not_connect(f"timed out after {self.settings.timeout:g} s")
        if self._chatting():
            self._heartbeat(now)

    def on_wake(self, mask: int) -> None:
        for signum in self.waker.drain():
            if signum in LEAVING_SIGNALS:
                self.leave(LEAVING_SIGNALS[signum])
            elif signum == getattr(signal, "SIGWINCH", None):
                self.screen.follow_terminal_size()
            elif signum == getattr(signal, "SIGTSTP", None):
                self.suspend()
            elif signum == getattr(signal, "SIGCONT", None):
                self.screen.resume()
        if self.dialer is not None:
            self.dialer.on_wake()

    def on_keyboard(self, mask: int) -> None:
        items = self.keyboard.read()
        if items is None:  # the terminal is gone (an SSH session dropped) though no SIGHUP came
            self.leave(128 + getattr(signal, "SIGHUP", 1))
            return
        self.on_items(items)

    def on_items(self, items: list[Item]) -> None:
        """Keys, text and pastes from the keyboard, in the order typed."""
        for index, item in enumerate(items):
            if isinstance(item, Paste):
                self._paste(item.text)
            elif KEY_COMMANDS.get(item) == "submit" and self._typing_message() and (
                    index + 1 < len(items) or self.keyboard.decoder.in_paste
                    or self.keyboard.more_waiting()):
                # Enter with more keys right behind it: a pasted block from a
                # terminal without bracketed paste. Keep it as one message.
                self._type("\n")
            elif isinstance(item, Key) or item in KEY_COMMANDS:
                self.on_key(item)
            else:
                self._type(item)
            if self.exit_code is not None:
                return

    def close(self) -> None:
        """Release every socket and the log; a goodbye still queued gets a moment to leave."""
        for link in self._links():
            self._close_link(link, linger=1.0)
        for sock in self.listeners:
            sock.close()
        if self.dialer is not None:
            self.dialer.close()
        self.history.settle()
        if self.settings.log is not None:
            self.settings.log.close()

    def _log(self, line: Line) -> None:
        log = self.settings.log
        if log is None:
            return
        try:
            log.write(line)
        except OSError as error:
            self.settings.log = None  # once: the warning below is a history line too
            self.history.add(f"Stopped writing the log: {describe_os_error(error)}", "warning")

    # -- the screen --

    def frame(self) -> Frame:
        if self.question is not None:
            prompt, editor = self.question.prompt, self.editor
        elif self._typing_message():
            prompt, editor = MESSAGE_PROMPTS[self.role], self.editor
        else:
            prompt, editor = self.note, None
        return Frame(self.history, self.scrollback, self._status(), prompt, editor)

    def _status(self) -> str:
        """Most important first, since a narrow screen cuts the end off."""
        if self._chatting():
            if self.partner.conn.protocol.our_turn:
                turn = "your turn"
            else:
                turn = f"{self.peer_name}'s turn, waiting {_minutes(time.monotonic() - self.waiting_since)}"
            parts = [self.role.value, turn, f"you: {self.name}",
                     f"partner: {self.peer_name}@{self.partner.address}", "connected"]
        else:
            parts = [self.role.value, self.phase, f"you: {self.name or '?'}"]
        if self.scrollback.scrolled:
            parts.insert(0, "more below (PgDn)")
        return " " + " | ".join(parts)

    # -- keys --

    def on_key(self, key: str | Key) -> None:
        command = KEY_COMMANDS.get(key)
        if command in ALWAYS:
            ALWAYS[command](self)
        elif command in EDITING and self._input_open():
            EDITING[command](self.editor)

    def _input_open(self) -> bool:
        return self.question is not None or self._typing_message()

    def _typing_message(self) -> bool:
        return self._chatting() and self.partner.conn.protocol.our_turn

    def _type(self, text: str) -> None:
        """Typed text goes in as it is, less what has no place in it (control
        and formatting characters); an input line holds at most MAX_TYPED characters."""
        if not self._input_open():
            return
        if not text.isprintable():
            text = "".join(c for c in text if c.isprintable() or c in SPACE_SEPARATORS or c == "\n")
        room = MAX_TYPED - len(self.editor.text)
        if len(text) > room:
            text = text[:max(room, 0)]
            self.history.add(f"Invalid input: the input line holds at most {MAX_TYPED:,} "
                             "characters; the rest was dropped", "warning")
        if text:
            self.editor.insert(text)

    def _paste(self, text: str) -> None:
        """A pasted block goes in as typed text: tabs become spaces, other
        control characters are dropped, and line breaks stay only in a message."""
        text = text.expandtabs(4)
        self._type(text if self._typing_message() else text.replace("\n", " "))

    def page_up(self) -> None:
        self.scrollback.page_up(self.history, *self.screen.history_size())

    def page_down(self) -> None:
        self.scrollback.page_down(self.history, *self.screen.history_size())

    def submit(self) -> None:
        if self.question is not None:
            self._answer(self.editor.take())
        elif self._input_open():
            self._send(self.editor.text)

    def end_of_input(self) -> None:
        """Ctrl-D: leave on an empty line, else delete under the cursor."""
        if not self.editor.text:
            self.leave(EXIT_OK)
        elif self._input_open():
            self.editor.delete()

    def interrupt(self) -> None:
        self.leave(EXIT_INTERRUPTED)

    def suspend(self) -> None:
        """Ctrl-Z: stop, as vim and less do, with the terminal as the shell had it."""
        self.screen.suspend()

    # -- setup questions --

    def _next_step(self) -> None:
        if self.pending:
            self._ask(self.pending[0])
            return
        self.question = None
        if self.role is Role.SERVER:
            self._listen()
        else:
            self._dial()

    def _ask(self, name: str) -> None:
        default_name = DEFAULT_NAMES[self.role]
        self.question = {
            "host": Question("host", ADDRESS_PROMPT, DEFAULT_HOST, check_address),
            "port": Question("port", PORT_PROMPT, str(DEFAULT_PORT), check_port),
            "name": Question("name", NAME_PROMPT.format(default=default_name),
                             default_name, check_username),
        }[name]

    def _answer(self, answer: str) -> None:
        question = self.question
        self.history.add(question.prompt + _shorten(clean(answer)))
        try:
            value = question.check(answer if answer.strip() else question.default)
        except ValidationError as error:
            self.history.add(str(error), "warning")
            return  # the same question again
        setattr(self, question.field, value)
        self.pending.remove(question.field)
        self._next_step()

    # -- the server: listen, then hold handshakes with whoever connects --

    def _listen(self) -> None:
        try:
            self.listeners = {sock: partial(self._on_accept, sock)
                              for sock in open_listeners(self.host, self.port)}
        except ListenError as error:
            prompted = [name for name in ("host", "port") if getattr(self.settings, name) is None]
            if not prompted:
                self._fail(str(error))
                return
            self.history.add(str(error), "warning")
            self.pending = prompted
            self._next_step()
            return
        self.history.add("Trying to connect to another user...")
        where = ", ".join(format_peer(sock.getsockname()) for sock in self.listeners)
        self.phase = f"waiting on {where}"
        self.note = "Waiting for a partner to connect..."

    def _on_accept(self, listener: socket.socket, mask: int) -> None:
        for _ in range(ACCEPTS_PER_WAKE):
            if len(self.candidates) >= MAX_CANDIDATES and not self._may_replace():
                return
            try:
                sock, sockaddr = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. out of file descriptors: rest, say so once
                self.accept_paused_until = time.monotonic() + ACCEPT_PAUSE
                if not self.accept_failing:
                    self.accept_failing = True
                    self.history.add(f"Could not accept a connection: {describe_os_error(error)}; "
                                     f"trying again every {ACCEPT_PAUSE:g} s", "warning")
                return
            self.accept_failing = False
            if len(self.candidates) >= MAX_CANDIDATES:
                self._drop(min(self.candidates, key=_progress),
                           "made the least progress while every handshake place was taken")
                self.replacements.append(time.monotonic())
            link = self._new_link(sock, Role.SERVER, format_peer(sockaddr),
                                  time.monotonic() + self.settings.timeout)
            self.candidates.append(link)
            # A partner's hello is usually there already: read it now, so that
            # its progress counts before the next stranger is weighed against it.
            self.on_link(link, selectors.EVENT_READ)

    def _may_replace(self) -> bool:
        """Another handshake may be cut short for a newcomer; if not, the listener rests."""
        now = time.monotonic()
        while self.replacements and self.replacements[0] <= now - 1.0:
            self.replacements.popleft()
        if len(self.replacements) < REPLACEMENTS_PER_SECOND:
            return True
        self.accept_paused_until = self.replacements[0] + 1.0
        return False

    def _watch_listeners(self) -> None:
        """Accept while waiting for a partner, unless accept() is resting after a failure."""
        accepting = self.partner is None and time.monotonic() >= self.accept_paused_until
        for listener, on_accept in self.listeners.items():
            if accepting:
                self.loop.watch(listener, on_accept)
            else:
                self.loop.unwatch(listener)

    def _note_ignored(self, address: str, reason: str) -> None:
        """A line for each stranger turned away; past a few in a row, one line counts the rest."""
        in_a_row = len(self.history.lines) == self.ignored_until  # nothing else said since
        self.ignored_in_a_row = self.ignored_in_a_row + 1 if in_a_row else 1
        more = self.ignored_in_a_row - IGNORED_LINES_SHOWN
        if more <= 0:
            self.history.add(f"Ignored connection from {address}: {reason}", "warning")
        else:
            summary = (f"Ignored {more} more connection{'s' * (more > 1)}; "
                       f"the last from {address}: {reason}")
            if more == 1:
                self.history.add(summary, "warning", final=False)  # the log gets the last count
            else:
                self.history.replace_last(summary, "warning")
        self.ignored_until = len(self.history.lines)

    # -- the client: connect (the Dialer), then say hello --

    def _dial(self) -> None:
        self.target = format_address(self.host, self.port)
        self.history.add("Trying to connect to server....")
        self.phase = f"connecting to {self.target}"
        self.note = f"Connecting to {self.target}..."
        self.connect_deadline = time.monotonic() + self.settings.timeout
        self.dialer = Dialer(self.host, self.port, self.loop, self.waker,
                             self._on_connected, self._on_dial_failed)

    def _on_dial_failed(self, reason: str) -> None:
        self.dialer = None
        self._could_not_connect(reason)

    def _could_not_connect(self, reason: str) -> None:
        self._fail(f"Could not connect to {self.target}: {reason}")

    def _on_connected(self, sock: socket.socket) -> None:
        self.dialer = None
        try:
            address = format_peer(sock.getpeername())
        except OSError:  # reset in the meantime; the first read will say so
            address = self.target
        link = self._new_link(sock, Role.CLIENT, address, self.connect_deadline)
        self.connect_deadline = None  # the link's deadline now covers the handshake
        self.partner = link
        self.phase = f"handshake with {self.target}"
        self.on_link(link, 0)  # say hello

    # -- both: events from a connection --

    def _new_link(self, sock: socket.socket, role: Role, address: str, deadline: float) -> Link:
        link = Link(Connection(sock, Protocol(role, secret=self.settings.secret)), address, deadline)
        link.on_ready = partial(self.on_link, link)
        return link

    def on_link(self, link: Link, mask: int) -> None:
        """Everything that happens on a link: writable, readable, or (mask 0) just opened."""
        try:
            if mask & selectors.EVENT_WRITE:
                link.conn.flush()
            if not link.conn.protocol.established:
                self._handshake_step(link)
            if mask & selectors.EVENT_READ:
                for event in link.conn.receive():
                    self._on_event(link, event)
                    if link.closed or self.exit_code is not None:
                        return
        except AuthenticationError as error:
            if isinstance(error, WrongSecret) and link in self.candidates:
                self._slow_down_guessing()
            self._refuse(link, str(error), str(error))
        except RemoteProtocolError as error:
            self._refuse(link, f"protocol error: {error}",
                         f"{self._who(link)} broke the protocol: {error}")
        except OSError as error:
            self._drop(link, describe_os_error(error))

    def _on_event(self, link: Link, event: Event) -> None:
        if isinstance(event, (Hello, Proof)):
            self._handshake_step(link)
        elif isinstance(event, Message):
            self.history.add(format_message(event.sent, self.peer_name, event.text), "peer")
            self.waiting_since = None
        elif isinstance(event, Bye):
            # A reason is the peer's own words, shown as theirs, never as our diagnosis.
            said = f"{self._who(link)} said: {clean(event.reason)}"
            if link.deadline is None and not event.reason:
                self._partner_left()
            elif link.deadline is None:
                self._drop(link, f"{self.peer_name} closed the connection; {said}")
            else:
                self._drop(link, said if event.reason else f"{self._who(link)} left during the handshake")
        elif isinstance(event, ConnectionClosed):
            self._drop(link, f"{self._who(link)} closed the connection without saying goodbye")

    def _handshake_step(self, link: Link) -> None:
        """Send whatever the handshake expects of us now; start the chat once it is done."""
        protocol = link.conn.protocol
        if protocol.hello_due:
            if link in self.candidates and time.monotonic() < self.next_answer_at:
                return  # a wrong secret was tried lately: this one waits its turn (on_time)
            link.conn.send(protocol.hello(self.name))
            if self.wrong_proofs:
                self.next_answer_at = time.monotonic() + min(
                    GUESS_PAUSE * 2 ** (self.wrong_proofs - 1), GUESS_PAUSE_CAP)
        if protocol.proof_due:
            link.conn.send(protocol.proof())
        if protocol.established and link.deadline is not None:
            if link in self.candidates:
                self.wrong_proofs = 0
                self._accept_partner(link)
            self._begin_chat(link)

    def _slow_down_guessing(self) -> None:
        """A wrong proof of the secret: answer the next hellos more slowly."""
        self.wrong_proofs += 1
        pause = min(GUESS_PAUSE * 2 ** (self.wrong_proofs - 1), GUESS_PAUSE_CAP)
        self.next_answer_at = time.monotonic() + pause
        if self.wrong_proofs == 1:
            self.history.add(f"Someone tried a wrong secret: the next attempts are answered more "
                             f"slowly, from {GUESS_PAUSE:g} s apart, doubling up to "
                             f"{GUESS_PAUSE_CAP:g} s", "warning")

    def _hellos_waiting(self) -> list[Link]:
        """Candidates whose hello waits for an answer, held back after a wrong secret."""
        if self.next_answer_at == 0.0:
            return []
        return [link for link in self.candidates
                if not link.closed and link.conn.protocol.hello_due]

    def _refuse(self, link: Link, told: str, shown: str) -> None:
        """Tell the peer why we hang up (best effort), then drop it."""
        with contextlib.suppress(OSError, ProtocolError):
            link.conn.send(Bye(told[:200]))
        self._drop(link, shown)

    def _heartbeat(self, now: float) -> None:
        conn = self.partner.conn
        if now - conn.last_received >= self._dead_after():
            self._drop(self.partner, f"no answer from {self.peer_name} "
                                     f"for {self._dead_after():g} s")
        elif now - conn.last_sent >= self.settings.heartbeat:
            try:
                conn.send(Ping())
            except OSError as error:
                self._drop(self.partner, describe_os_error(error))

    def _dead_after(self) -> float:
        return DEAD_AFTER * self.settings.heartbeat

    def _who(self, link: Link) -> str:
        if link.deadline is None:
            return self.peer_name
        return "the server" if self.role is Role.CLIENT else "it"

    def _accept_partner(self, link: Link) -> None:
        """The server's side of a finished handshake: let no one else in."""
        self.candidates.remove(link)
        for other in list(self.candidates):
            self._drop(other, "another partner connected first")
        for listener in self.listeners:
            self.loop.unwatch(listener)
            listener.close()
        self.listeners = {}
        self.partner = link

    def _begin_chat(self, link: Link) -> None:
        link.deadline = None
        self.peer_name = clean_name(link.conn.protocol.peer_name)
        with contextlib.suppress(OSError):
            link.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.history.add("Connection established.")
        self.history.add(f"You are chatting with {self.peer_name} ({link.address}).")
        self.note = f"Waiting for {self.peer_name}..."
        self.waiting_since = time.monotonic()

    def _send(self, text: str) -> None:
        if text.strip() == "end":
            self.leave(EXIT_OK)
            return
        try:
            check_message(text)
            sent = int(time.time())
            self.partner.conn.send(Message(text, sent))
        except (ValidationError, LocalProtocolError) as error:
            self.history.add(_as_invalid_input(error), "warning")
            if not text.strip():
                self.editor.take()  # nothing worth keeping; a long text stays to be cut
            return
        except OSError as error:
            self._drop(self.partner, describe_os_error(error))
            return
        self.editor.take()
        self.editor.remember(text)
        self.history.add(format_message(sent, self.name, text), "own")
        self.waiting_since = time.monotonic()
        self.scrollback.follow()

    # -- endings --

    def leave(self, code: int) -> None:
        """Leave by choice (end, Ctrl-D, Ctrl-C, a signal): tell the partner, then stop."""
        if self.exit_code is not None:
            return
        if self.partner is not None:
            with contextlib.suppress(OSError, ProtocolError):
                self.partner.conn.send(Bye())
        if self._chatting():
            self.history.add(f"User {self.name} left the chat.")
            self.history.add("Shutting down connection...")
        else:
            self.history.add("Cancelled before the chat began.")
        self.exit_code = code

    def _partner_left(self) -> None:
        self.history.add(f"User {self.peer_name} left the chat.")
        self.history.add("Shutting down connection...")
        self.exit_code = EXIT_OK

    def _fail(self, line: str) -> None:
        self.history.add(line, "error")
        self.exit_code = EXIT_FAILURE

    def _drop(self, link: Link, reason: str) -> None:
        """Close a link that failed, and say so in the words its stage calls for."""
        self._close_link(link)
        if link in self.candidates:
            self.candidates.remove(link)
            self._note_ignored(link.address, reason)
        elif link.deadline is not None:
            self._could_not_connect(reason)
        else:
            self._fail(f"Connection lost: {reason}")

    def _close_link(self, link: Link, linger: float = 0.0) -> None:
        if not link.closed:
            link.closed = True
            self.loop.unwatch(link.conn)
            link.conn.close(linger)

    # -- state queries --

    def _links(self) -> list[Link]:
        links = [link for link in self.candidates if not link.closed]
        if self.partner is not None and not self.partner.closed:
            links.append(self.partner)
        return links

    def _chatting(self) -> bool:
        return (self.partner is not None and self.partner.deadline is None
                and not self.partner.closed)


def _progress(link: Link) -> tuple[int, float]:
    """How far a handshake has come: whole frames received, then how recently."""
    return link.conn.frames_received, link.conn.last_received


def _as_invalid_input(error: Exception) -> str:
    text = str(error)
    return text if text.startswith("Invalid") else f"Invalid input: {text}"


# Keys, as the KeyDecoder gives them, to command names.
KEY_COMMANDS: dict[str | Key, str] = {
    "\n": "submit", "\r": "submit",
    "\x7f": "backspace", "\x08": "backspace",
    "\x01": "home", "\x05": "end",  # Ctrl-A, Ctrl-E
    "\x15": "kill_to_start", "\x0b": "kill_to_end", "\x17": "kill_word",  # Ctrl-U, -K, -W
    "\x03": "interrupt", "\x04": "eof", "\x0c": "redraw", "\x1a": "suspend",  # Ctrl-C, -D, -L, -Z
    Key("delete"): "delete",
    Key("left"): "left",
    Key("right"): "right",
    Key("home"): "home",
    Key("end"): "end",
    Key("up"): "older",
    Key("down"): "newer",
    Key("page_up"): "page_up",
    Key("page_down"): "page_down",
}
# The Windows console gives curses key codes: these are turned into the
# sequences a terminal would send, and decoded like them.
CONSOLE_KEYS: dict[int, str] = {}
if curses is not None:
    CONSOLE_KEYS = {
        curses.KEY_ENTER: "\r", curses.KEY_BACKSPACE: "\x7f", curses.KEY_DC: "\x1b[3~",
        curses.KEY_LEFT: "\x1b[D", curses.KEY_RIGHT: "\x1b[C", curses.KEY_UP: "\x1b[A",
        curses.KEY_DOWN: "\x1b[B", curses.KEY_HOME: "\x1b[H", curses.KEY_END: "\x1b[F",
        curses.KEY_PPAGE: "\x1b[5~", curses.KEY_NPAGE: "\x1b[6~",
    }
# Commands that change the typed text: ignored while the input is locked.
EDITING: dict[str, Callable[[LineEditor], None]] = {
    "backspace": LineEditor.backspace,
    "delete": LineEditor.delete,
    "left": LineEditor.left,
    "right": LineEditor.right,
    "home": LineEditor.home,
    "end": LineEditor.end,
    "kill_to_start": LineEditor.kill_to_start,
    "kill_to_end": LineEditor.kill_to_end,
    "kill_word": LineEditor.kill_word,
    "older": LineEditor.older,
    "newer": LineEditor.newer,
}
# Commands that work at every moment.
ALWAYS: dict[str, Callable[[Chat], None]] = {
    "submit": Chat.submit,
    "interrupt": Chat.interrupt,
    "eof": Chat.end_of_input,
    "redraw": lambda chat: chat.screen.repaint(),
    "page_up": Chat.page_up,
    "page_down": Chat.page_down,
    "suspend": Chat.suspend,
}


# --- Start and finish --------------------------------------------------------


def run(chat: Chat) -> int:
    waker = Waker()
    try:
        with curses_screen() as window, signals_to(waker):
            loop = EventLoop()
            keyboard = Keyboard(window, None if POLL_KEYBOARD else sys.stdin.fileno())
            chat.attach(loop, Screen(window, colour="NO_COLOR" not in os.environ), keyboard, waker)
            try:
                chat.start()
                loop.run(chat)
            finally:
                chat.close()
    finally:
        waker.close()
    return chat.exit_code


def print_transcript(history: History) -> None:
    """The conversation, as shown, onto the normal terminal; errors to stderr."""
    for line in history.lines:
        stream = sys.stderr if line.kind == "error" else sys.stdout
        with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
            print(line.as_text(), file=stream, flush=True)


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")
    settings = parse_args(argv)
    if curses is None:
        print(f"{program_name()}: the curses module is missing; on Windows run: "
              "pip install windows-curses", file=sys.stderr)
        return EXIT_USAGE
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(f"{program_name()}: a terminal is needed: standard input and output must be "
              "a terminal, not a pipe or a file", file=sys.stderr)
        return EXIT_USAGE
    with contextlib.suppress(locale.Error):
        locale.setlocale(locale.LC_ALL, "")
    chat = Chat(settings)
    try:
        code = run(chat)
    except TerminalError as error:
        print(f"{program_name()}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # a bug: one clear line, and keep the conversation
        print_transcript(chat.history)
        if isinstance(error, OSError) and error.errno in (errno.EMFILE, errno.ENFILE):
            print(f"{program_name()}: cannot go on: {describe_descriptor_limit()}", file=sys.stderr)
            return EXIT_FAILURE
        print(f"{program_name()}: internal error: {error!r}", file=sys.stderr)
        if os.environ.get("CHAT_CURSES_DEBUG"):
            import traceback

            traceback.print_exc()
        return EXIT_FAILURE
    print_transcript(chat.history)
    return code


def cli() -> None:
    """The ``chat-curses`` command (and ``python chat_curses.py``)."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # before or after the screen, where no handler is set
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    cli()
