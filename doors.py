"""Getting a partner: the client's Dialer, the server's Door, and the handshake between.

Everything here works on sockets for the event loop, and hands over a
``Link`` whose handshake is done; what the chat then does is ``chatcore``'s.

- ``Dialer`` looks the server's name up in a thread and connects without
  blocking, trying each address in turn.
- ``Link`` is one connection in its handshake: it says hello, proves the
  secret when there is one, and reports the outcome once, as established
  or failed (with the reason in words, the peer's own shown as theirs).
- ``Door`` is the server's: it listens on every address the host names,
  runs up to ``MAX_CANDIDATES`` handshakes at once, and lets the first one
  to finish in. While every place is taken, a newcomer replaces the one
  that has made the least progress, at most ``REPLACEMENTS_PER_SECOND``
  times a second, so that strangers holding connections open cannot keep a
  real partner out. A failing ``accept()`` (out of file descriptors) rests
  the listener; after a wrong proof of the secret, hellos are answered
  more and more slowly, so that guessing online costs seconds per try.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import sys
import threading
import time
from functools import partial
from collections.abc import Callable

from chatcore import format_address
from eventloop import EventLoop, Waker
from netproto import (
    AuthenticationError,
    Busy,
    Bye,
    Connection,
    ConnectionClosed,
    Hello,
    Proof,
    Protocol,
    ProtocolError,
    RemoteProtocolError,
    Role,
    WrongSecret,
    describe_os_error,
)
from validators import clean

# Handshakes the server runs at once with connections that have not yet
# finished theirs.
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
# after this pause, doubled with each further failure up to the cap.
GUESS_PAUSE, GUESS_PAUSE_CAP = 1.0, 8.0


def format_peer(sockaddr: tuple) -> str:
    return format_address(str(sockaddr[0]), int(sockaddr[1]))


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


# The server's word to a client that asks to resume a chat it does not have.
CHAT_OVER = "that chat is over"


# --- One connection in its handshake ------------------------------------------------


class Link:
    """A connection doing its handshake, until ``deadline`` (monotonic).

    The loop calls ``on_ready(mask)``; the outcome comes once, through
    ``on_done(link, None)`` when established or ``on_done(link, reason)``
    when it failed. ``may_answer()`` tells whether our hello may go now
    (the Door holds it back after a wrong secret).
    """

    def __init__(self, sock: socket.socket, role: Role, address: str, deadline: float,
                 name: str, secret: bytes | None, who: str,
                 on_done: Callable[["Link", str | None], None],
                 may_answer: Callable[[], bool] = lambda: True,
                 on_hello: Callable[["Link"], bool] = lambda link: True) -> None:
        self.conn = Connection(sock, Protocol(role, secret=secret))
        self.address, self.deadline, self.name, self.who = address, deadline, name, who
        self.on_done, self.may_answer, self.on_hello = on_done, may_answer, on_hello
        self.closed = False
        self.done = False
        self.wrong_secret = False  # the failure was a proof that did not verify
        self.refused = False  # the peer turned us down (busy, a reason, another secret)
        self.chat_over = False  # the server does not have the chat we asked to resume

    def on_ready(self, mask: int) -> None:
        """Writable, readable, or (mask 0) just opened or allowed to answer."""
        try:
            if mask & selectors.EVENT_WRITE:
                self.conn.flush()
            self.step()
            if mask & selectors.EVENT_READ and not self.done:
                for event in self.conn.receive():
                    self._on_event(event)
                    if self.done:
                        return  # what follows is the chat's: it stays in the Connection
        except AuthenticationError as error:
            self.wrong_secret = isinstance(error, WrongSecret)
            self.refused = True
            self.refuse(str(error), str(error))
        except RemoteProtocolError as error:
            self.refused = True
            self.refuse(f"protocol error: {error}", f"{self.who} broke the protocol: {error}")
        except OSError as error:
            self._finish(describe_os_error(error))

    def step(self) -> None:
        """Send whatever the handshake expects of us now; report once it is done."""
        protocol = self.conn.protocol
        if self.done:
            return
        if protocol.hello_due:
            if not self.may_answer():
                return  # it waits its turn
            self.conn.send(protocol.hello(self.name))
        if protocol.proof_due:
            self.conn.send(protocol.proof())
        if protocol.established:
            self._finish(None)

    @property
    def waiting_for_answer(self) -> bool:
        return not self.done and self.conn.protocol.hello_due

    @property
    def progress(self) -> tuple[int, float]:
        """How far the handshake has come: whole frames received, then how recently."""
        return self.conn.frames_received, self.conn.last_received

    def _on_event(self, event) -> None:
        if isinstance(event, Hello) and not self.on_hello(self):
            return
        if isinstance(event, (Hello, Proof)):
            self.step()
        elif isinstance(event, Busy):
            self.refused = True
            self._finish("the server is busy in another chat")
        elif isinstance(event, Bye):
            self.refused = self.refused or bool(event.reason)
            self.chat_over = event.reason == CHAT_OVER
            # A reason is the peer's own words, shown as theirs, never as our diagnosis.
            self._finish(f"{self.who} said: {clean(event.reason)}" if event.reason
                         else f"{self.who} left during the handshake")
        elif isinstance(event, ConnectionClosed):
            self._finish(f"{self.who} closed the connection without saying goodbye")

    def refuse(self, told: str, shown: str) -> None:
        """Tell the peer why we hang up (best effort), then fail."""
        with contextlib.suppress(OSError, ProtocolError):
            self.conn.send(Bye(told[:200]))
        self._finish(shown)

    def time_out(self, reason: str) -> None:
        self._finish(reason)

    def _finish(self, reason: str | None) -> None:
        if not self.done:
            self.done = True
            self.on_done(self, reason)

    def close(self, loop: EventLoop, linger: float = 0.0) -> None:
        if not self.closed:
            self.closed = True
            loop.unwatch(self.conn)
            self.conn.close(linger)


# --- The client's way to the server ------------------------------------------------------


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


# --- The server's door ------------------------------------------------------------------


class Door:
    """Listening sockets, the handshakes under way, and the choice of partner.

    ``on_partner(link)`` hands over each link whose handshake is done: the
    first partner, and later the same partner resuming the chat on a new
    connection (``link.conn.protocol.resumed``). While a chat is on
    (``chat()`` gives its Protocol), the door stays open for that return
    alone: anyone else is answered ``busy``. ``on_ignored(address, reason)``
    tells of each stranger turned away, ``on_note(text)`` of what else the
    server should show.
    """

    def __init__(self, loop: EventLoop, name: str, secret: bytes | None, timeout: float,
                 on_partner: Callable[[Link], None],
                 on_ignored: Callable[[str, str], None],
                 on_note: Callable[[str], None],
                 chat: Callable[[], Protocol | None] = lambda: None) -> None:
        self.loop, self.name, self.secret, self.timeout = loop, name, secret, timeout
        self.on_partner, self.on_ignored, self.on_note = on_partner, on_ignored, on_note
        self.chat = chat
        self.listeners: dict[socket.socket, Callable[[int], None]] = {}
        self.candidates: list[Link] = []
        self.accept_paused_until = 0.0  # monotonic time; accept() failed and rests until then
        self.accept_failing = False  # said once per run of failures
        self.next_replacement_at = 0.0  # monotonic time; handshakes are cut for newcomers no sooner
        self.wrong_proofs = 0  # in a row, since the last good handshake
        self.next_answer_at = 0.0  # monotonic time before which no hello is answered

    def open(self, host: str, port: int) -> str:
        """Listen on every address ``host`` names; say where. Raises ListenError."""
        self.listeners = {sock: partial(self._on_accept, sock)
                          for sock in open_listeners(host, port)}
        return ", ".join(format_peer(sock.getsockname()) for sock in self.listeners)

    # -- what the loop asks --

    def before_sleep(self) -> None:
        for link in self.candidates:
            self.loop.watch(link.conn, link.on_ready, write=link.conn.wants_write)
        accepting = time.monotonic() >= self.accept_paused_until
        for listener, on_accept in self.listeners.items():
            if accepting:
                self.loop.watch(listener, on_accept)
            else:
                self.loop.unwatch(listener)

    def deadlines(self) -> list[float]:
        deadlines = [link.deadline for link in self.candidates]
        if self.listeners and self.accept_paused_until > time.monotonic():
            deadlines.append(self.accept_paused_until)
        if self._waiting_for_answer():
            deadlines.append(self.next_answer_at)
        return deadlines

    def on_time(self, now: float) -> None:
        for link in list(self.candidates):
            if now >= link.deadline:
                link.time_out(f"no handshake within {self.timeout:g} s")
        waiting = self._waiting_for_answer()
        if waiting and now >= self.next_answer_at:
            waiting[0].on_ready(0)  # the longest waiting is answered next

    def close(self) -> None:
        for link in self.candidates:
            link.close(self.loop)
        self.candidates = []
        for sock in self.listeners:
            self.loop.unwatch(sock)
            sock.close()
        self.listeners = {}

    # -- accepting --

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
                    self.on_note(f"Could not accept a connection: {describe_os_error(error)}; "
                                 f"trying again every {ACCEPT_PAUSE:g} s")
                return
            self.accept_failing = False
            if len(self.candidates) >= MAX_CANDIDATES:
                weakest = min(self.candidates, key=lambda link: link.progress)
                weakest.time_out("made the least progress while every handshake place was taken")
                self.next_replacement_at = time.monotonic() + 1 / REPLACEMENTS_PER_SECOND
            link = Link(sock, Role.SERVER, format_peer(sockaddr), time.monotonic() + self.timeout,
                        self.name, self.secret, "it", self._on_done, self._may_answer,
                        self._on_hello)
            self.candidates.append(link)
            # A partner's hello is usually there already: read it now, so that
            # its progress counts before the next stranger is weighed against it.
            link.on_ready(selectors.EVENT_READ)

    def _may_replace(self) -> bool:
        """Another handshake may be cut short for a newcomer; if not, the listener rests.

        Replacements are spaced evenly, never in bursts: a connection just
        accepted then has MAX_CANDIDATES spacings (160 ms) to say hello
        before it could be the one with the least progress.
        """
        now = time.monotonic()
        if now >= self.next_replacement_at:
            return True
        self.accept_paused_until = self.next_replacement_at
        return False

    # -- handshakes --

    def _on_done(self, link: Link, failure: str | None) -> None:
        if link in self.candidates:
            self.candidates.remove(link)
        if failure is not None:
            link.close(self.loop)
            if link.wrong_secret:
                self._slow_down_guessing()
            self.on_ignored(link.address, failure)
            return
        self.wrong_proofs = 0
        self.loop.unwatch(link.conn)
        for other in list(self.candidates):
            if not other.conn.protocol.resumed:
                other.time_out("another partner connected first")
        self.on_partner(link)

    def _on_hello(self, link: Link) -> bool:
        """A hello came: a new chat, the partner resuming ours, or someone we must turn away."""
        protocol, chat = link.conn.protocol, self.chat()
        token = protocol.peer_session
        if chat is None and not token:
            return True
        if chat is not None and token == chat.session:
            protocol.resume(token, chat.delivery, chat.turn)
            return True
        if chat is None:
            link.refuse(CHAT_OVER, "it asked to resume a chat that is over")
            return False
        with contextlib.suppress(OSError, ProtocolError):
            link.conn.send(Busy())
        link.time_out("told it is busy in another chat")
        return False

    def _may_answer(self) -> bool:
        if time.monotonic() < self.next_answer_at:
            return False
        if self.wrong_proofs:
            self.next_answer_at = time.monotonic() + self._guess_pause()
        return True

    def _slow_down_guessing(self) -> None:
        """A wrong proof of the secret: answer the next hellos more slowly."""
        self.wrong_proofs += 1
        self.next_answer_at = time.monotonic() + self._guess_pause()
        if self.wrong_proofs == 1:
            self.on_note(f"Someone tried a wrong secret: the next attempts are answered more "
                         f"slowly, from {GUESS_PAUSE:g} s apart, doubling up to "
                         f"{GUESS_PAUSE_CAP:g} s")

    def _guess_pause(self) -> float:
        return min(GUESS_PAUSE * 2 ** (self.wrong_proofs - 1), GUESS_PAUSE_CAP)

    def _waiting_for_answer(self) -> list[Link]:
        """Candidates whose hello waits for an answer, held back after a wrong secret."""
        if self.next_answer_at == 0.0:
            return []
        return [link for link in self.candidates if link.waiting_for_answer]
