#!/usr/bin/env python3
"""Figures for chat_curses, each beside its floor measured in the same run.

    .venv/bin/python bench/bench.py                    # everything, about five minutes
    .venv/bin/python bench/bench.py --quick            # fewer rounds, for a smoke test
    .venv/bin/python bench/bench.py --only enter,counted   # some sections

It prints a table. Each figure is measured here and now, on loopback
(127.0.0.1) only, with every process it starts stopped before it ends, and
no sleeps of its own inside a timing. It needs what requirements.txt
installs (pyte reads the programs' screens while they start). The sections:

- wire: one message each way through ``Protocol`` + ``Connection``, against a
  raw-socket ping-pong of exactly the same bytes (the floor), unpinned and
  with both ends on one CPU, with the selector's and the frames' shares;
  encoding and decoding one message against bare ``json``; a message sealed;
  a connection's handshake; loading the cryptography.
- enter: two programs in a chat on two ptys, at 80x24 and 200x60; a message
  typed with Enter into one, timed until its text is in what the other writes
  to its terminal, each pane filled first so that every message scrolls it;
  median, p95 and worst of 200, messages a second, and CPU per message of both
  programs. The yardstick is a minimal Python chat loop drawing with curses on
  the same ptys (any curses chat does at least this); the same loop writing
  plain lines is beside it; and irssi through ngircd where both are
  installed (``irc.py``), the C chat a person would pick instead.
- counted: what one side (the server) spends per message once the pane is
  full, counted exactly where the tools are installed: instructions under
  callgrind (they repeat whatever the machine's load) and system calls under
  strace (terminal writes apart), against the same curses loop.
- paste: a 64 KiB paste, from its first byte to its end shown in the input line.
- wrap: 64 KiB of text in four scripts at 80 and 16 columns.
- idle: CPU used over 10 s by a waiting server and by a connected quiet chat.
- draw: CPU per new message drawn with 10, 10,000 and 100,000 lines of
  history and below a 64 KiB message, at 80x24 and 200x60; memory.
- start: from starting the program to its first prompt on screen, with
  bytecode cached and with none, against a bare interpreter printing the
  same prompt.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import select
import shutil
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _chat_curses.wire.connection import Connection  # noqa: E402
from _chat_curses.wire.events import NEED_DATA, Bye, Hello, Message, Role  # noqa: E402
from _chat_curses.wire.protocol import Protocol  # noqa: E402

TEXT = "hello, this is a benchmark message of a typical length"
# Session files of the chats the benchmark starts land here, not in a real home.
STATE_HOME = tempfile.mkdtemp(prefix="chat-curses-bench-")
SENT = 1681731763


# --- round trip ----------------------------------------------------------------


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def frames() -> tuple[bytes, bytes]:
    """The exact bytes of one client message and one server reply."""
    client, server = Protocol(Role.CLIENT), Protocol(Role.SERVER)
    server.receive_data(client.send(Hello("bench")))
    server.next_event()
    client.receive_data(server.send(Hello("peer")))
    client.next_event()
    message = client.send(Message(TEXT, SENT))
    server.receive_data(message)
    server.next_event()
    return message, server.send(Message(TEXT, SENT))


def peer(kind: str, port: int, pinned: bool) -> None:
    """The far end of a round-trip run, in its own process."""
    if pinned:
        pin_to_one_core()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if kind in ("raw", "loop"):
            _, reply = frames()
            buffer = b""
            while True:
                data = sock.recv(65536)
                if not data:
                    return
                buffer += data
                while b"\n" in buffer:
                    _, buffer = buffer.split(b"\n", 1)
                    sock.sendall(reply)
        elif kind == "bare":
            protocol = Protocol(Role.SERVER)
            _next_event(protocol, sock)
            sock.sendall(protocol.send(Hello("peer")))
            while isinstance(event := _next_event(protocol, sock), Message):
                sock.sendall(protocol.send(Message(event.text, event.sent)))
        else:
            conn = Connection(sock, Protocol(Role.SERVER))
            selector = selectors.DefaultSelector()
            selector.register(conn, selectors.EVENT_READ)
            while True:
                selector.select()
                for event in conn.receive():
                    if isinstance(event, Hello):
                        conn.send(Hello("peer"))
                    elif isinstance(event, Message):
                        conn.send(Message(event.text, event.sent))
                    else:
                        return


def round_trips(kind: str, count: int, pinned: bool) -> float:
    """Seconds per round trip; ``pinned``: both processes on one core (this
    process stays there afterwards too, so unpinned runs come first)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        child = subprocess.Popen([sys.executable, __file__, "--peer", kind,
                                  str(listener.getsockname()[1]), "pinned" if pinned else "free"])
        try:
            sock, _ = listener.accept()
            with sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
                if pinned:
                    pin_to_one_core()
                try:
                    return _client_rounds(kind, sock, count)
                finally:
                    if pinned and cores:
                        os.sched_setaffinity(0, cores)
        finally:
            child.wait(timeout=30)


def _next_event(protocol: Protocol, sock: socket.socket):
    """The next event, reading from a blocking socket as needed."""
    while (event := protocol.next_event()) is NEED_DATA:
        protocol.receive_data(sock.recv(65536))
    return event


def _bare_rounds(sock: socket.socket, count: int) -> float:
    """Protocol alone, on blocking sockets: no Connection, no selector."""
    protocol = Protocol(Role.CLIENT)
    sock.sendall(protocol.send(Hello("bench")))
    _next_event(protocol, sock)
    start = time.perf_counter()
    for _ in range(count):
        sock.sendall(protocol.send(Message(TEXT, SENT)))
        _next_event(protocol, sock)
    elapsed = (time.perf_counter() - start) / count
    sock.sendall(protocol.send(Bye()))
    return elapsed


def _client_rounds(kind: str, sock: socket.socket, count: int) -> float:
    if kind == "loop":
        return _loop_rounds(sock, count)
    if kind == "bare":
        return _bare_rounds(sock, count)
    if kind == "raw":
        message, _ = frames()
        buffer = b""
        start = time.perf_counter()
        for _ in range(count):
            sock.sendall(message)
            while b"\n" not in buffer:
                buffer += sock.recv(65536)
            _, buffer = buffer.split(b"\n", 1)
        return (time.perf_counter() - start) / count
    conn = Connection(sock, Protocol(Role.CLIENT))
    selector = selectors.DefaultSelector()
    selector.register(conn, selectors.EVENT_READ)

    def wait_for(kind_of_event):
        while True:
            selector.select()
            for event in conn.receive():
                if isinstance(event, kind_of_event):
                    return

    conn.send(Hello("bench"))
    wait_for(Hello)
    start = time.perf_counter()
    for _ in range(count):
        conn.send(Message(TEXT, SENT))
        wait_for(Message)
    elapsed = (time.perf_counter() - start) / count
    conn.sock.shutdown(socket.SHUT_WR)
    return elapsed


def _loop_rounds(sock: socket.socket, count: int) -> float:
    """The raw bytes, but read the way the chat's loop reads: non-blocking,
    woken by a selector, reading until EAGAIN. Shows what the loop costs."""
    message, _ = frames()
    sock.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    buffer = b""
    start = time.perf_counter()
    for _ in range(count):
        sock.send(message)
        while b"\n" not in buffer:
            selector.select()
            while True:
                try:
                    buffer += sock.recv(65536)
                except BlockingIOError:
                    break
        _, buffer = buffer.split(b"\n", 1)
    return (time.perf_counter() - start) / count


# --- programs on pseudo-terminals ------------------------------------------------


class Program:
    """A program on a new pty (``os.openpty()`` and ``subprocess``; no sleeps of
    its own), its screen rendered by pyte. Without a controlling terminal: no
    extra interpreter starts before it, so start-up is timed as it is."""

    def __init__(self, args: list[str], env: dict | None = None, size: tuple[int, int] = (24, 80),
                 prefix: tuple[str, ...] = (), executable: str = sys.executable) -> None:
        import pyte

        self.fd, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *size, 0, 0))
        try:
            self.popen = subprocess.Popen(
                [*prefix, executable, *args], stdin=slave, stdout=slave, stderr=slave,
                cwd=str(ROOT), start_new_session=True, env=environment(env))
        finally:
            os.close(slave)
        self.pid = self.popen.pid
        os.set_blocking(self.fd, False)
        self.screen = pyte.Screen(size[1], size[0])
        self.output = bytearray()  # what it wrote since ``output`` was last cleared (see Pair)
        self.stream = pyte.ByteStream(self.screen)

    def read(self, timeout: float) -> bytes:
        """What the program wrote, waiting up to ``timeout``; EOFError once it has gone."""
        if not select.select([self.fd], [], [], timeout)[0]:
            return b""
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return b""
        except OSError:  # EIO: the program has gone
            data = b""
        if not data:
            raise EOFError
        return data

    def write(self, data: bytes) -> None:
        """A few bytes (a pty takes a few KiB before it blocks; see ``Pair.pump``)."""
        os.write(self.fd, data)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(timeout=5)
        os.close(self.fd)


def environment(changes: dict | None) -> dict:
    """This process's environment with ``changes``; a name changed to None is left out."""
    merged = {**os.environ, "TERM": "xterm-256color", "XDG_STATE_HOME": STATE_HOME, **(changes or {})}
    return {name: value for name, value in merged.items() if value is not None}


def spawn(*args: str, env: dict | None = None, size: tuple[int, int] = (24, 80),
          prefix: tuple[str, ...] = ()) -> Program:
    return Program(list(args), env, size, prefix)


def read_until(process: Program, text: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in line for line in process.screen.display):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {text!r} on screen")
        try:
            process.stream.feed(process.read(0.05))
        except EOFError:
            raise RuntimeError(f"the program ended before {text!r}") from None


def cpu_seconds(pid: int) -> float:
    """CPU time a running process has used, to the nanosecond where the kernel
    keeps scheduler statistics (clock ticks of 10 ms otherwise)."""
    try:
        with open(f"/proc/{pid}/schedstat") as schedstat:
            return int(schedstat.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(seconds: float) -> tuple[float, float, float, int]:
    """CPU used over ``seconds`` by a waiting server, then by a turn-locked client and
    its server, connected (a ping each second each way); and how many times the
    session files were written meanwhile."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    program = str(ROOT / "chat_curses.py")
    server = spawn(program, "--server", "--host", "127.0.0.1", "--port", port, "--name", "s")
    client = None
    try:
        read_until(server, "Trying to connect to another user")
        settle(server.pid)  # the cryptography loads once, in the background: not idling
        before = cpu_seconds(server.pid)
        time.sleep(seconds)
        waiting_server = cpu_seconds(server.pid) - before
        client = spawn(program, "--client", "--host", "127.0.0.1", "--port", port, "--name", "c",
                       "--code", "")
        read_until(client, "Enter a message to send to the server")
        client.write(b"are you there?\r")
        read_until(client, "Waiting for s...")
        time.sleep(2.0)  # the message's acknowledgement (on a ping), and its note on the disk
        files = sorted(Path(STATE_HOME).rglob("*.session"))
        written = [path.stat().st_mtime_ns for path in files]
        before = cpu_seconds(client.pid), cpu_seconds(server.pid)
        time.sleep(seconds)
        locked_client = cpu_seconds(client.pid) - before[0]
        connected_server = cpu_seconds(server.pid) - before[1]
        writes = sum(path.stat().st_mtime_ns != was for path, was in zip(files, written))
        return waiting_server, locked_client, connected_server, writes
    finally:
        for process in (client, server):
            if process is not None:
                process.stop()


# --- Enter to the partner's screen, two programs on two ptys ------------------------

# The floor: the least a Python chat can do on the same ptys. Each side reads
# its terminal raw, sends a line on Enter, and shows what arrives; one
# selector, no protocol. Its prelude says how a line is shown: written to the
# terminal as it is (MINIMAL_CHAT), or added to a curses window that scrolls,
# as any curses chat must (MINIMAL_CURSES_CHAT: not a floor the aims count
# from; it shows what curses itself costs on these ptys).
MINIMAL_LOOP = r"""
role, port = sys.argv[1], int(sys.argv[2])
if role == "server":
    with socket.create_server(("127.0.0.1", port)) as listener:
        show("listening")
        sock, _ = listener.accept()
else:
    sock = socket.create_connection(("127.0.0.1", port))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
selector = selectors.DefaultSelector()
selector.register(0, selectors.EVENT_READ)
selector.register(sock, selectors.EVENT_READ)
show("connected")
typed = received = b""
while True:
    for key, _ in selector.select():
        if key.fileobj == 0:
            typed += os.read(0, 65536)
            while b"\r" in typed:
                line, typed = typed.split(b"\r", 1)
                sock.sendall(line + b"\n")
                show("[me]: " + line.decode())
        else:
            data = sock.recv(65536)
            if not data:
                sys.exit(0)
            received += data
            while b"\n" in received:
                line, received = received.split(b"\n", 1)
                show("[peer]: " + line.decode())
"""
MINIMAL_CHAT = r"""
import os, selectors, socket, sys, tty
tty.setraw(0)
def show(text):
    os.write(1, text.encode() + b"\r\n")
""" + MINIMAL_LOOP
MINIMAL_CURSES_CHAT = r"""
import curses, locale, os, selectors, socket, sys
locale.setlocale(locale.LC_ALL, "")
window = curses.initscr()
curses.raw(); curses.noecho(); curses.typeahead(-1)
window.scrollok(True); window.idlok(True)
def show(text):
    window.addstr(text + "\n"); window.refresh()
""" + MINIMAL_LOOP

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def markers(count: int, length: int = 12) -> list[str]:
    """Random words, each differing from the one before at every position.

    A new message lands on the row that held the previous one, at the same
    columns (the names are as long, the times too); ncurses writes only the
    cells that change, so a word that shares no cell with the last one
    reaches the terminal whole, and can be looked for in the raw bytes.
    """
    import random

    chooser = random.Random(17)
    words, last = [], " " * length
    for _ in range(count):
        last = "".join(chooser.choice(LETTERS.replace(old, "")) for old in last)
        words.append(last)
    return words


class Pair:
    """Two programs in a chat, each on its own pty, driven like two people typing."""

    def __init__(self, first: Program, second: Program) -> None:
        self.programs = (first, second)

    def pump(self, until: float, typing: tuple[Program, bytearray] | None = None) -> float | None:
        """Read what both wrote, and type what is left to type, until
        something happens or ``until``; the time it happened, None if nothing did."""
        fds = [program.fd for program in self.programs]
        writing = [typing[0].fd] if typing and typing[1] else []
        ready, writable, _ = select.select(fds, writing, [], max(0.0, until - time.perf_counter()))
        if not ready and not writable:
            return None
        now = time.perf_counter()
        if writable:  # a pty takes a few KiB at a time: never block on it while it writes
            del typing[1][: os.write(typing[0].fd, typing[1])]
        for program in self.programs:
            if program.fd in ready:
                program.output += program.read(0)
        return now

    def type_until(self, sender: Program, data: bytes, receiver: Program, wanted: bytes,
                   timeout: float = 10) -> float:
        """Type ``data`` on one side; seconds until ``wanted`` shows on ``receiver``'s pty."""
        receiver.output.clear()
        left = bytearray(data)
        start = time.perf_counter()
        deadline = start + timeout
        seen = start
        while left or wanted not in receiver.output:
            happened = self.pump(deadline, (sender, left))
            if happened is None and time.perf_counter() >= deadline:
                raise RuntimeError(f"{wanted[:40]!r} never showed")
            if happened is not None and not left:
                seen = happened
        return seen - start

    def deliver(self, sender: Program, receiver: Program, text: str) -> float:
        """Type ``text`` and Enter on one side; seconds until it shows on the other."""
        return self.type_until(sender, text.encode() + b"\r", receiver, text.encode())

    def exchange(self, count: int, warm_up: int = 6) -> dict:
        """Messages back and forth, first side first: each one's Enter-to-screen
        time, messages a second overall, and CPU per message of both programs."""
        words = markers(count + warm_up)
        self.timed(words[:warm_up])
        return summary(*self.timed(words[warm_up:]))

    def timed(self, words: list[str]) -> tuple[list[float], float, float]:
        """``words`` sent back and forth, an even number of them, first side first:
        each one's Enter-to-screen time, the seconds they took, and the CPU both
        programs spent."""
        first, second = self.programs
        began = time.perf_counter()
        cpu = sum(cpu_seconds(program.pid) for program in self.programs)
        times = [self.deliver(*((first, second) if number % 2 == 0 else (second, first)), word)
                 for number, word in enumerate(words)]
        return (times, time.perf_counter() - began,
                sum(cpu_seconds(program.pid) for program in self.programs) - cpu)

    def stop(self) -> None:
        for program in self.programs:
            program.stop()


def summary(times: list[float], elapsed: float, cpu: float) -> dict:
    """The figures of ``times`` (each message's Enter-to-screen), taking ``elapsed``
    seconds in all and ``cpu`` seconds of both programs."""
    times, count = sorted(times), len(times)
    return {"median": statistics.median(times), "worst": times[-1],
            "p95": times[min(count - 1, round(count * 0.95))],
            "rate": count / elapsed, "cpu": cpu / count, "count": count}


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def start_pair(size: tuple[int, int], server_args: list[str], listening: str,
               client_args: list[str], chatting: str, prefix: tuple[str, ...] = ()) -> Pair:
    """A server on a pty of ``size``, once it says ``listening`` a client on
    another, until both say ``chatting`` (all started are stopped on failure).
    ``prefix``: what the server runs under (valgrind), which slows it."""
    started: list[Program] = []
    patience = 120 if prefix else 20
    try:
        started.append(spawn(*server_args, size=size, prefix=prefix))
        read_until(started[0], listening, patience)
        started.append(spawn(*client_args, size=size))
        for process in reversed(started):
            read_until(process, chatting, patience)
    except BaseException:
        for process in started:
            process.stop()
        raise
    return Pair(started[1], started[0])


def chat_pair(size: tuple[int, int], prefix: tuple[str, ...] = ()) -> Pair:
    """chat_curses, server and client, in a chat on two ptys of ``size`` (rows,
    columns), on the secure channel (unverified: no pairing code to type)."""
    port, program = free_port(), str(ROOT / "chat_curses.py")
    common = ["--host", "127.0.0.1", "--port", port]
    return start_pair(size, [program, "--server", *common, "--name", "bobby"],
                      "Trying to connect to another user",
                      [program, "--client", *common, "--name", "alice", "--code", ""],
                      "Connection established", prefix)


def minimal_pair(size: tuple[int, int], code: str = MINIMAL_CHAT, prefix: tuple[str, ...] = ()) -> Pair:
    """The floor: two minimal loops in a chat on two ptys of ``size``."""
    port = free_port()
    return start_pair(size, ["-c", code, "server", port], "listening",
                      ["-c", code, "client", port], "connected", prefix)


def curses_pair(size: tuple[int, int], prefix: tuple[str, ...] = ()) -> Pair:
    return minimal_pair(size, MINIMAL_CURSES_CHAT, prefix)


def pairs_to_time() -> dict:
    """The programs timed from Enter to the partner's screen: the floors, chat_curses,
    and irssi through ngircd where both are installed (``irc``)."""
    import irc

    pairs = {"minimal": minimal_pair, "minimal with curses": curses_pair, "chat_curses": chat_pair}
    return {**pairs, IRSSI: irc.irssi_pair} if irc.installed() else pairs


IRSSI = "irssi through ngircd"


def enter_to_screen(count: int, rounds: int = 10) -> dict[tuple[str, tuple[int, int]], dict]:
    """Every pair at 80x24 and 200x60, each pane filled before the timing, so that
    every message timed scrolls it. The pairs of one size take turns, ``rounds``
    times ``count / rounds`` messages each: this machine's speed drifts from
    minute to minute, and a drift then falls on the floors and chat_curses alike."""
    results = {}
    for size in SIZES:
        pairs: dict[str, Pair] = {}
        try:
            for name, make in pairs_to_time().items():
                pairs[name] = make(size)
            words = markers(fill(size) + count)
            for pair in pairs.values():
                pair.timed(words[:fill(size)])
            measured = {name: ([], 0.0, 0.0) for name in pairs}
            step = count // rounds + count // rounds % 2  # (even: each round starts on the first side)
            for start in range(fill(size), len(words), step):
                for name, pair in pairs.items():
                    times, elapsed, cpu = pair.timed(words[start:start + step])
                    so_far = measured[name]
                    measured[name] = (so_far[0] + times, so_far[1] + elapsed, so_far[2] + cpu)
            for name in pairs:
                results[name, size] = summary(*measured[name])
        finally:
            for pair in pairs.values():
                pair.stop()
    return results


def fill(size: tuple[int, int]) -> int:
    """Messages enough to fill a pane of ``size`` and scroll it (one row each)."""
    return size[0] + 4


# The calls the way of a message is cut at (see ``ways``): a dump of the count before each.
WAYPOINTS = ("epoll_wait", "read", "recv", "send", "write")


def instructions(make, size: tuple[int, int], count: int) -> dict:
    """Instructions one side (the server) runs per message, counted by callgrind
    while ``count`` messages go back and forth once the pane is full; the ncurses
    refreshes (``doupdate``) it makes per message; and, counted apart in a second
    run, what lies on the way of a message (``ways``)."""
    profile = "".join(_callgrind(make, size, count)[:1])
    dumps = [(_field(dump, "desc: Trigger: --dump-before="), int(_field(dump, "totals:") or 0))
             for dump in _callgrind(make, size, min(count, 20), WAYPOINTS)]
    return {"instructions": int(_field(profile, "totals:") or 0) / count,
            "refreshes": calls_to(profile, "doupdate_sp") / count, **ways(dumps)}


def _callgrind(make, size: tuple[int, int], count: int, waypoints: tuple[str, ...] = ()) -> list[str]:
    """The profiles callgrind dumps of the server while ``count`` messages go back
    and forth, once the pane is full: one for them all, or with ``waypoints`` one
    before each call to any of those (each counting what ran since the dump before)."""
    folder = Path(tempfile.mkdtemp(prefix="chat-curses-callgrind-"))
    out = folder / "callgrind.out"
    pair = make(size, ("valgrind", "--tool=callgrind", "--instr-atstart=no", f"--log-file={folder}/log",
                       f"--callgrind-out-file={out}", *(f"--dump-before={call}" for call in waypoints)))
    try:
        pair.exchange(fill(size), warm_up=0)
        server = pair.programs[1]
        callgrind_control(server.pid, "--instr=on")
        pair.exchange(count, warm_up=0)
        callgrind_control(server.pid, "--instr=off" if waypoints else "--dump")
    finally:
        pair.stop()
        dumps = sorted(folder.glob("callgrind.out.*"), key=lambda path: int(path.name.split(".")[-1]))
        texts = [dump.read_text(errors="replace") for dump in dumps]
        shutil.rmtree(folder, ignore_errors=True)
    return texts


def _field(text: str, start: str) -> str:
    return next((line[len(start):].strip() for line in text.splitlines() if line.startswith(start)), "")


def ways(dumps: list[tuple[str, int]]) -> dict:
    """From the dumps of ``_callgrind`` with ``WAYPOINTS``, each turn of the loop
    (the instructions from one ``epoll_wait`` to the next): a turn that reads keys
    sends a message, one that receives shows it. What lies on the way: from the
    wake-up to the send (``to_wire``), and from the wake-up to the first terminal
    write after the receive (``to_screen``, the write that shows it); the mean of each."""
    turns, turn = [], []
    for call, count in dumps:
        turn.append((call, count))
        if call == "epoll_wait":
            turns.append(turn)
            turn = []
    to_wire, to_screen = [], []
    for turn in turns[1:]:  # (the first began before the count did)
        calls = [call for call, _ in turn]
        if "read" in calls and "send" in calls:
            to_wire.append(sum(count for _, count in turn[: calls.index("send") + 1]))
        elif "recv" in calls and "write" in calls[calls.index("recv"):]:
            shown = calls.index("write", calls.index("recv"))
            to_screen.append(sum(count for _, count in turn[: shown + 1]))
    return {"to_wire": statistics.mean(to_wire) if to_wire else 0.0,
            "to_screen": statistics.mean(to_screen) if to_screen else 0.0}


def callgrind_control(pid: int, command: str) -> None:
    subprocess.run(["callgrind_control", command, str(pid)], check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def calls_to(profile: str, function: str) -> int:
    """How many calls a callgrind profile records to ``function``."""
    names, calls, target = {}, 0, None
    for line in profile.splitlines():
        if line.startswith(("fn=", "cfn=")):
            label, _, name = line.partition("=")[2].partition(" ")
            if name:
                names[label] = name
            if line.startswith("cfn="):
                target = names.get(label)
        elif line.startswith("calls=") and target == function:
            calls += int(line[6:].split()[0])
    return calls


def system_calls(make, size: tuple[int, int], count: int) -> dict:
    """System calls one side (the server) makes per message, traced by strace
    while ``count`` messages go back and forth once the pane is full: all of
    them, those that write to the terminal, and each kind."""
    import collections
    import signal

    folder = Path(tempfile.mkdtemp(prefix="chat-curses-strace-"))
    log = folder / "strace.txt"
    pair = make(size)
    try:
        pair.exchange(fill(size), warm_up=0)
        server = pair.programs[1]
        tracer = subprocess.Popen(["strace", "-f", "-qq", "-o", str(log), "-p", str(server.pid)],
                                  stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until it is attached
            with open(f"/proc/{server.pid}/status") as status:
                if "TracerPid:\t0\n" not in status.read():
                    break
            time.sleep(0.01)
        time.sleep(0.2)
        pair.exchange(count, warm_up=0)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=10)
        kinds = collections.Counter()
        for line in log.read_text(errors="replace").splitlines():
            call = line.split(None, 1)[1] if " " in line else ""
            if call.startswith("<...") or "(" not in call:  # the end of one already counted
                continue
            name = call.split("(", 1)[0]
            kinds["write to the terminal" if call.startswith("write(1,") else name] += 1
    finally:
        pair.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return {"calls": sum(kinds.values()) / count, "terminal": kinds["write to the terminal"] / count,
            "each": [(name, number / count) for name, number in kinds.most_common()]}


def paste_shown(kib: int = 64) -> float:
    """Seconds from a bracketed paste of ``kib`` KiB to its end shown in the input line."""
    pair = chat_pair((24, 80))
    client = pair.programs[0]
    try:
        tail = markers(1)[0]
        text = ("paste " * (kib * 1024 // 6))[: kib * 1024 - len(tail)] + tail
        return pair.type_until(client, b"\x1b[200~" + text.encode() + b"\x1b[201~", client,
                               tail.encode())
    finally:
        pair.stop()


REDRAW_CHILD = r"""
import curses, json, locale, os, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from _chat_curses.chat.frame import Frame
from _chat_curses.chat.lines import format_message
from _chat_curses.shell.screen import Screen
from _chat_curses.text.editor import LineEditor
from _chat_curses.text.history import History, Scrollback
locale.setlocale(locale.LC_ALL, "")
results = {}
window = curses.initscr()

def frame(history):
    return Frame(history, Scrollback(), " client | your turn", "Enter a message: ", LineEditor())

def per_message(screen, history, count=200):
    # a new message added and drawn: what each one costs the program's CPU
    times = []
    for i in range(count):
        start = time.process_time()
        history.add(format_message(1681731763, "server", f"new message {i}"), "own")
        screen.draw(frame(history))
        times.append(time.process_time() - start)
    return statistics.median(times)

try:
    screen = Screen(window)
    for size in (10, 10_000, 100_000):
        history = History()
        for i in range(size):
            history.add(format_message(1681731763 + i, "user", f"message {i}: " + "words " * 8), "peer")
        screen.draw(frame(history))
        results[size] = {"draw": per_message(screen, history)}
        with open("/proc/self/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        results[size]["rss_kib"] = rss
    history = History()
    for i in range(100):
        history.add(format_message(1681731763 + i, "user", f"message {i}"), "peer")
    big = ("words " * 11_000)[: 64 * 1024 - 60]
    history.add(format_message(1681731763, "user", big), "peer")
    start = time.process_time()
    screen.draw(frame(history))
    results["big_first"] = time.process_time() - start
    results["big_next"] = per_message(screen, history, 50)
finally:
    curses.endwin()
print("RESULT " + json.dumps(results), flush=True)
"""


def redraws(size: tuple[int, int]) -> dict:
    """CPU per message drawn on a pty of ``size``, with 10 to 100,000 lines of history."""
    process = spawn("-c", REDRAW_CHILD, str(ROOT), size=size)
    output = b""
    deadline = time.monotonic() + 300
    try:
        while (b"RESULT " not in output or not output.rstrip().endswith(b"}")) \
                and time.monotonic() < deadline:
            output += process.read(1.0)
    except EOFError:
        pass
    finally:
        process.stop()
    line = output.split(b"RESULT ", 1)[1].split(b"\n", 1)[0]
    return {int(key) if key.isdigit() else key: figures for key, figures in json.loads(line).items()}


# --- encoding and decoding a message -------------------------------------------------


def codec(count: int) -> tuple[float, float]:
    """Seconds to encode and decode one message, and the same for bare
    json.dumps and json.loads of its fields (no checks): the floor."""
    from _chat_curses.wire.codec import decode, encode

    message = Message(TEXT, SENT, 5, 4)
    fields = {"type": "message", "seq": 5, "ack": 4, "text": TEXT, "sent": "2023-04-17T11:42:43Z"}
    ours = min(_timed(lambda: [decode(encode(message)) for _ in range(count)]) for _ in range(5))
    floor = min(_timed(lambda: [json.loads(json.dumps(fields)) for _ in range(count)]) for _ in range(5))
    return ours / count, floor / count


def settle(pid: int, timeout: float = 10.0) -> None:
    """Until the program has loaded the cryptography it warms up in the background
    once its first prompt is drawn, and a moment more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/maps") as maps:
            if "cryptography" in maps.read():
                break
        time.sleep(0.05)
    time.sleep(1.0)


# --- the secure channel ---------------------------------------------------------------


def handshakes(count: int) -> dict[str, float]:
    """Seconds for a whole connection's start, both sides in this process, warm: the
    secure handshake with a code and without, then the chat's hellos; against the
    chat's hellos alone on a plain channel (the floor)."""
    from _chat_curses.wire.handshake import Brings, Handshake

    def hellos(client: Protocol, server: Protocol) -> None:
        server.receive_data(client.send(Hello("bench")))
        server.next_event()
        client.receive_data(server.send(Hello("peer")))
        client.next_event()

    def secured(brings: Brings, password: bytes) -> None:
        client, server = Handshake(Role.CLIENT, brings, password), Handshake(Role.SERVER)
        server.receive_data(client.hello())
        server.next_event()  # the client's hello
        to_client, proven = server.accept(password), {}

        def deliver(side: Handshake, data: bytes) -> None:
            if side not in proven and data:
                side.receive_data(data)
                if (event := side.next_event()) is not NEED_DATA:
                    proven[side] = event

        for _ in range(8):  # back and forth (reveals, confirmations) until both have proved it
            deliver(client, to_client)
            deliver(server, client.data_to_send())
            to_client = server.data_to_send()
        if len(proven) < 2:
            raise RuntimeError(f"the handshake did not finish: {proven}")
        hellos(Protocol(Role.CLIENT, client.channel), Protocol(Role.SERVER, server.channel))

    secured(Brings.CODE, b"7-amber-otter")  # warm: the imports are another row
    return {"plain hellos": min(_timed(lambda: hellos(Protocol(Role.CLIENT), Protocol(Role.SERVER)))
                                for _ in range(count)),
            "code": min(_timed(lambda: secured(Brings.CODE, b"7-amber-otter")) for _ in range(count)),
            "none": min(_timed(lambda: secured(Brings.NONE, b"")) for _ in range(count))}


def crypto_import(times: int) -> tuple[float, float]:
    """Seconds to load the cryptography in a fresh interpreter (bytecode cached), and
    the same interpreter's start with nothing loaded: medians."""
    loads, floors = [], []
    probe = ("import time; s = time.perf_counter(); import sys; sys.path.insert(0, sys.argv[1]); "
             "from _chat_curses.wire.handshake import warm_up; {} "
             "print(time.perf_counter() - s)")
    for _ in range(times):
        for work, into in (("warm_up();", loads), ("", floors)):
            out = subprocess.run([sys.executable, "-c", probe.format(work), str(ROOT)],
                                 capture_output=True, text=True, env=environment(
                                     {"PYTHONDONTWRITEBYTECODE": None}), check=True).stdout
            into.append(float(out))
    return statistics.median(loads), statistics.median(floors)


def sealed_message(count: int) -> tuple[float, float]:
    """Seconds to send and take one message frame sealed (seal, open), and plain
    (a line, split again): the message's own encoding and decoding in both."""
    from _chat_curses.wire.channel import LineChannel, SealedChannel
    from _chat_curses.wire.codec import decode, encode

    frame = encode(Message(TEXT, SENT, 5, 4))
    pairs = [(LineChannel(), LineChannel()),
             (SealedChannel(bytes(32), bytes(32)), SealedChannel(bytes(32), bytes(32)))]

    def once(sender, receiver) -> float:
        def work() -> None:
            for _ in range(count):
                receiver.receive_data(sender.seal(frame))
                decode(receiver.next_frame())
        return _timed(work)

    rounds = [[once(*pair) for pair in pairs] for _ in range(7)]  # interleaved: the drift hits both
    plain, sealed = (min(times) / count for times in zip(*rounds))
    return sealed, plain


def start_up(times: int, ways: dict[str, tuple[list[str], dict]]) -> dict[str, list[float]]:
    """Seconds from starting to the first prompt on screen, each way in turn, ``times`` rounds."""
    results: dict[str, list[float]] = {label: [] for label in ways}
    for _ in range(times):
        for label, (how, env) in ways.items():
            start = time.perf_counter()
            process = spawn(*how, "--client", env=env)
            try:
                read_until(process, "Enter the server IP address")
                results[label].append(time.perf_counter() - start)
            finally:
                process.stop()
    return results


def uncached_copy() -> Path:
    """The program in a fresh folder with no bytecode: every start compiles its modules."""
    folder = Path(tempfile.mkdtemp(prefix="chat-curses-nocache-"))
    shutil.copy(ROOT / "chat_curses.py", folder)
    shutil.copytree(ROOT / "_chat_curses", folder / "_chat_curses",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return folder


# --- wrapping a message at the size limit ------------------------------------------------

SCRIPTS = {"ASCII": "word ", "accented Latin": "Voilà une phrase française. ",
           "CJK": "漢字かな交じり文、", "emoji": "😀🎉 "}


def wraps() -> dict[tuple[str, int], tuple[float, float]]:
    """Seconds to wrap 64 KiB of text of each script at 80 and 16 columns, the
    first time and again (History keeps what it wrapped), best of five."""
    from _chat_curses.text.cells import wrap
    from _chat_curses.text.history import History

    results = {}
    for name, unit in SCRIPTS.items():
        text = (unit * 70_000)[:64 * 1024 // len(unit.encode()) * len(unit)]
        for width in (80, 16):
            first = min(_timed(lambda: wrap(text, width)) for _ in range(5))
            history = History()
            history.add(text, "peer")
            history.last_rows(width, 22)
            again = min(_timed(lambda: history.last_rows(width, 22)) for _ in range(5))
            results[name, width] = first, again
    return results


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


# --- the table -----------------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()} ({sys.executable}, {_linked()})")


def _linked() -> str:
    """How the interpreter is built, as far as it shows: with a shared libpython (pyenv's
    builds, as this project's .venv here), or with it built into the program (Debian's
    and Ubuntu's /usr/bin/python3), which runs the same code faster (measured here)."""
    try:
        with open("/proc/self/maps") as maps:
            shared = any("libpython" in line for line in maps)
    except OSError:
        return "linking unknown"
    return "libpython shared" if shared else "libpython built in"


AIMS = {  # Enter to the partner's screen and the counts, against the curses loop
    (24, 80): {"median": 1.7, "p95": 2.5, "rate": 0.5, "instructions": 1.6},
    (60, 200): {"median": 1.5, "p95": 2.5, "rate": 0.7, "instructions": 1.3},
}
SIZES = ((24, 80), (60, 200))


def ratio(value: float, floor: float, unit: str, scale: float, aim: str = "", of: str = "the floor") -> str:
    return (f"{value / floor:.2f}x {of} ({floor * scale:.3g} {unit})"
            + (f"; aim: {aim}" if aim else ""))


def wire_rows(quick: bool) -> list[tuple[str, str, str]]:
    rounds, rows = (2000 if quick else 10000), []
    # Round trips: unpinned first (pinning keeps this process on one core until restored).
    for pinned in (False, True):
        where = "both ends on one CPU" if pinned else "unpinned"
        raw = round_trips("raw", rounds, pinned)
        loop = round_trips("loop", rounds, pinned)
        bare = round_trips("bare", rounds, pinned)
        ours = round_trips("protocol", rounds, pinned)
        rows += [(f"round trip, raw sockets, {where}", f"{raw * 1e6:.1f} µs", "the floor"),
                 (f"round trip, raw bytes in a selector loop, {where}", f"{loop * 1e6:.1f} µs",
                  ratio(loop, raw, "µs", 1e6)),
                 (f"round trip, Protocol alone on blocking sockets, {where}", f"{bare * 1e6:.1f} µs",
                  ratio(bare, raw, "µs", 1e6)),
                 (f"round trip, Protocol + Connection, {where}", f"{ours * 1e6:.1f} µs",
                  ratio(ours, raw, "µs", 1e6, "1.8x" if pinned else "1.2x"))]
    ours, floor = codec(rounds * 5)
    rows.append(("encode + decode one message", f"{ours * 1e6:.2f} µs",
                 ratio(ours, floor, "µs, bare json.dumps + json.loads, no checks", 1e6, "under 3.5 µs")))
    sealed, plain = sealed_message(rounds * 5)
    rows.append(("a message sealed and opened (ChaCha20-Poly1305)", f"{sealed * 1e6:.2f} µs",
                 f"{(sealed - plain) * 1e6:+.2f} µs against the same message plain "
                 f"({plain * 1e6:.2f} µs); aim: under +10 µs"))
    started = handshakes(5 if quick else 20)
    for label, how in (("with a pairing code (X25519, SPAKE2)", "code"),
                       ("unverified (X25519 only)", "none")):
        rows.append((f"a connection's start, both sides, warm, {label}",
                     f"{started[how] * 1e3:.1f} ms",
                     f"{(started[how] - started['plain hellos']) * 1e3:+.1f} ms against the plain "
                     f"hellos ({started['plain hellos'] * 1e3:.2f} ms); aim: at most +50 ms"))
    loaded, bare = crypto_import(3 if quick else 9)
    rows.append(("loading the cryptography, once per program (bytecode cached)",
                 f"{(loaded - bare) * 1e3:.0f} ms",
                 "in the background while the prompts wait or the server listens; "
                 "on the first connection of a client given every answer as a flag"))
    return rows


def enter_rows(quick: bool) -> list[tuple[str, str, str]]:
    """Enter to the partner's screen, each program beside the curses loop, the
    pane full first at every size (so every message scrolls it)."""
    rows = []
    paired = enter_to_screen(40 if quick else 200)
    for (name, size), figures in paired.items():
        curses_loop, aims = paired["minimal with curses", size], AIMS[size]
        label = f"{size[1]}x{size[0]}, {name}"
        against = "the curses loop"
        if name == "minimal with curses":
            floor = paired["minimal", size]
            rows += [(f"Enter to partner's screen, {label}, median of {figures['count']}",
                      f"{figures['median'] * 1e3:.3f} ms",
                      ratio(figures["median"], floor["median"], "ms", 1e3, of="the bare loop")
                      + f"; p95 {figures['p95'] * 1e3:.2f} ms; the yardstick"),
                     (f"messages a second, {label}", f"{figures['rate']:,.0f}", "the yardstick")]
            continue
        if name == "minimal":
            rows.append((f"Enter to partner's screen, {label} (no curses), median",
                         f"{figures['median'] * 1e3:.3f} ms",
                         f"p95 {figures['p95'] * 1e3:.2f} ms; {figures['rate']:,.0f} messages a second"))
            continue
        if name == IRSSI:  # what a person would pick instead: the aim is its median
            rows += [(f"Enter to partner's screen, {label} (C), median of {figures['count']}",
                      f"{figures['median'] * 1e3:.3f} ms",
                      ratio(figures["median"], curses_loop["median"], "ms", 1e3, of=against)
                      + f"; p95 {figures['p95'] * 1e3:.2f} ms; chat_curses' aim: within this"),
                     (f"messages a second, {label}", f"{figures['rate']:,.0f}",
                      f"{figures['rate'] / curses_loop['rate']:.2f}x {against}")]
            continue
        irssi = paired.get((IRSSI, size))
        rows += [(f"Enter to partner's screen, {label}, median of {figures['count']}",
                  f"{figures['median'] * 1e3:.3f} ms",
                  ratio(figures["median"], curses_loop["median"], "ms", 1e3, f"{aims['median']}x", against)
                  + ("" if irssi is None else
                     f"; {figures['median'] / irssi['median']:.2f}x irssi's (aim: 1.0x)")),
                 (f"Enter to partner's screen, {label}, p95", f"{figures['p95'] * 1e3:.3f} ms",
                  ratio(figures["p95"], curses_loop["p95"], "ms", 1e3, f"{aims['p95']}x", against)
                  + f"; worst {figures['worst'] * 1e3:.2f} ms"),
                 (f"messages a second, {label}", f"{figures['rate']:,.0f}",
                  f"{figures['rate'] / curses_loop['rate']:.2f}x {against} "
                  f"({curses_loop['rate']:,.0f}); aim: {aims['rate']}x"),
                 (f"CPU per message, both programs, {label}", f"{figures['cpu'] * 1e3:.3f} ms",
                  ratio(figures["cpu"], curses_loop["cpu"], "ms", 1e3, of=against))]
    return rows


def counted_rows(quick: bool) -> list[tuple[str, str, str]]:
    """What one side does per message, counted exactly: instructions (callgrind)
    and system calls (strace), where those tools are installed."""
    rows = []
    count = 30 if quick else 100
    for size in SIZES:
        where = f"{size[1]}x{size[0]}"
        if shutil.which("valgrind") and shutil.which("callgrind_control"):
            loop, ours = (instructions(make, size, count) for make in (curses_pair, chat_pair))
            rows += [(f"instructions per message, one side, {where}, curses loop",
                      f"{loop['instructions'] / 1e3:,.0f}k",
                      f"{loop['refreshes']:.2f} ncurses refreshes a message; the yardstick"),
                     (f"instructions per message, one side, {where}, chat_curses",
                      f"{ours['instructions'] / 1e3:,.0f}k",
                      f"{ours['instructions'] / loop['instructions']:.2f}x the curses loop; "
                      f"aim: {AIMS[size]['instructions']}x; it draws without curses' refresh "
                      f"({ours['refreshes']:.2f} a message): its draws are its terminal writes, below")]
            way = {name: figures["to_wire"] + figures["to_screen"]
                   for name, figures in (("loop", loop), ("ours", ours))}
            rows += [(f"instructions on a message's way, {where}, curses loop",
                      f"{way['loop'] / 1e3:,.0f}k",
                      f"key to the wire {loop['to_wire'] / 1e3:,.0f}k, the wire to the screen "
                      f"{loop['to_screen'] / 1e3:,.0f}k (Enter to the screen, counted); the yardstick"),
                     (f"instructions on a message's way, {where}, chat_curses",
                      f"{way['ours'] / 1e3:,.0f}k",
                      f"{way['ours'] / way['loop']:.2f}x the curses loop (the median's aim: "
                      f"{AIMS[size]['median']}x); key to the wire {ours['to_wire'] / 1e3:,.0f}k, "
                      f"the wire to the screen {ours['to_screen'] / 1e3:,.0f}k")]
        if shutil.which("strace"):
            loop, ours = (system_calls(make, size, count) for make in (curses_pair, chat_pair))
            rows += [(f"system calls per message, one side, {where}, curses loop",
                      f"{loop['calls']:.1f}", f"{loop['terminal']:.2f} terminal writes; the yardstick"),
                     (f"system calls per message, one side, {where}, chat_curses",
                      f"{ours['calls']:.1f}",
                      f"aim: at most 8; {ours['terminal']:.2f} terminal writes a message, "
                      f"each a whole draw (aim: one refresh a message, one write a draw); " + ", ".join(
                          f"{name} {number:.2f}" for name, number in ours["each"][:6]))]
    return rows


def paste_rows(quick: bool) -> list[tuple[str, str, str]]:
    return [("64 KiB paste to its end shown in the input line", f"{paste_shown() * 1e3:.1f} ms",
             "aim: under 50 ms")]


def wrap_rows(quick: bool) -> list[tuple[str, str, str]]:
    rows, wrapped = [], wraps()
    for (name, width), (first, again) in wrapped.items():
        ascii_first = wrapped["ASCII", width][0]
        rows.append((f"wrap 64 KiB of {name} at {width} columns", f"{first * 1e3:.2f} ms",
                     f"{first / ascii_first:.1f}x ASCII; drawn again: {again * 1e6:.0f} µs (cached)"))
    return rows


def idle_rows(quick: bool) -> list[tuple[str, str, str]]:
    seconds = 3.0 if quick else 10.0
    server_cpu, client_cpu, chatting_cpu, writes = idle_cpu(seconds)
    return [(f"CPU, server waiting {seconds:g} s", f"{server_cpu:.3f} s", "aim: under 0.02 s"),
            (f"CPU, connected and quiet {seconds:g} s, the client", f"{client_cpu:.3f} s",
             "1 s heartbeats; aim: under 0.02 s"),
            (f"CPU, connected and quiet {seconds:g} s, the server", f"{chatting_cpu:.3f} s",
             "1 s heartbeats; aim: under 0.02 s"),
            (f"session files written while quiet {seconds:g} s", f"{writes}",
             "aim: none (the last contact is noted once a minute)")]


def draw_rows(quick: bool) -> list[tuple[str, str, str]]:
    rows = []
    for size in SIZES:
        drawn = redraws(size)
        where = f"{size[1]}x{size[0]}"
        for lines in (10, 10_000, 100_000):
            rows.append((f"CPU per new message drawn, {lines:,} history lines, {where}",
                         f"{drawn[lines]['draw'] * 1e3:.3f} ms",
                         f"{drawn[lines]['draw'] / drawn[10]['draw']:.2f}x the 10-line case"))
        rows.append((f"first draw of a 64 KiB message, {where}", f"{drawn['big_first'] * 1e3:.2f} ms",
                     "wrapped once"))
        rows.append((f"next message drawn below a 64 KiB message, {where}",
                     f"{drawn['big_next'] * 1e3:.3f} ms", "aim: under 2 ms"))
        if size == (24, 80):
            rows.append(("resident memory, 100,000 lines", f"{drawn[100_000]['rss_kib'] / 1024:.1f} MB",
                         "aim: under 60 MB"))
    return rows


def start_rows(quick: bool) -> list[tuple[str, str, str]]:
    starts, rows = (5 if quick else 15), []
    # Bytecode cached as users have it: written by a first start (the modules a
    # chat loads once it begins too).
    cached = {"PYTHONDONTWRITEBYTECODE": None}
    warm = spawn("-c", "import compileall, sys; compileall.compile_dir(sys.argv[1], quiet=1)",
                 str(ROOT / "_chat_curses"), env=cached)
    warm.popen.wait(60)
    warm.stop()
    bare_label = "a bare python printing the prompt"
    ways = {
        bare_label: (["-c", "import sys; print('Enter the server IP address'); sys.stdin.read()"], cached),
        "python chat_curses.py, bytecode cached": ([str(ROOT / "chat_curses.py")], cached),
        "python chat_curses.py, no bytecode (compiled each start)":
            ([str(uncached_copy() / "chat_curses.py")], {"PYTHONDONTWRITEBYTECODE": "1"}),
    }
    started = start_up(starts, ways)
    floor = statistics.median(started[bare_label])
    for label, times in started.items():
        median = statistics.median(times)
        rows.append((f"start to first prompt, {label}", f"{median * 1e3:.0f} ms",
                     f"median of {starts}, best {min(times) * 1e3:.0f} ms; "
                     + ("the floor" if label == bare_label else
                        f"{median / floor:.2f}x the floor" + ("; aim: 2.2x" if "cached" in label else ""))))
    return rows


SECTIONS = {"wire": wire_rows, "enter": enter_rows, "counted": counted_rows, "paste": paste_rows,
            "wrap": wrap_rows, "idle": idle_rows, "draw": draw_rows, "start": start_rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds; figures are rougher")
    parser.add_argument("--only", metavar="SECTION,...",
                        help="only these sections: " + ", ".join(SECTIONS))
    parser.add_argument("--peer", nargs=3, metavar=("KIND", "PORT", "PINNING"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        peer(args.peer[0], int(args.peer[1]), args.peer[2] == "pinned")
        return
    chosen = args.only.split(",") if args.only else list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"no section {', '.join(unknown)}; there are: {', '.join(SECTIONS)}")
    rows: list[tuple[str, str, str]] = []
    for name in chosen:
        rows += SECTIONS[name](args.quick)
    print_table(f"chat_curses figures on {machine()}", rows)


def print_table(title: str, rows: list[tuple[str, str, str]]) -> None:
    """The figures, one a line: what, how much, and beside what."""
    print(title)
    width, value_width = (max(len(row[column]) for row in rows) for column in (0, 1))
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:>{value_width}}  {note}")


if __name__ == "__main__":
    sys.modules["bench"] = sys.modules[__name__]  # (irc.py builds on this module: one copy of it)
    main()
