"""The server's door: listening sockets, the handshakes under way, and the choice of partner.

``Door`` listens on every address the host names, runs up to
``MAX_CANDIDATES`` handshakes at once (each a ``link.Link``), and lets the
first one to finish in. While every place is taken, a newcomer replaces the
one that has made the least progress, at most ``REPLACEMENTS_PER_SECOND``
times a second, so that strangers holding connections open cannot keep a
real partner out. A failing ``accept()`` (out of file descriptors) rests
the listener; after a wrong proof of the secret, hellos are answered more
and more slowly, so that guessing online costs seconds per try.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import sys
import time
from collections.abc import Callable
from functools import partial

from ..chat.connecting import Failure, Outcome
from ..chat.lines import format_address
from ..wire.connection import describe_os_error
from ..wire.events import Busy, ProtocolError, Role
from ..wire.record import ChatRecord
from .link import CHAT_OVER, Link, format_peer
from .loop import EventLoop

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


def reach_hint(addresses: list[str]) -> str:
    """Who can reach a server listening on these addresses, in words, when it is not plain."""
    if all(address.startswith("127.") or address == "::1" for address in addresses):
        return ("Only this machine can connect. To chat with another machine, start the "
                "server with --host 0.0.0.0, and a shared secret (--secret-file).")
    if any(address in ("0.0.0.0", "::") for address in addresses):
        found = machine_addresses()
        where = ", ".join(found) if found else "this machine's addresses (see: ip addr)"
        return f"A partner on another machine can connect to {where}."
    return ""


def machine_addresses() -> list[str]:
    """This machine's own addresses, loopback aside (no traffic is sent to find them)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, type=socket.SOCK_STREAM)
    except OSError:
        return []
    found = dict.fromkeys(str(info[4][0]) for info in infos)
    return [address for address in found
            if not (address.startswith("127.") or address == "::1" or address.startswith("fe80"))]


class Door:
    """Listening sockets, the handshakes under way, and the choice of partner.

    ``on_partner(link)`` hands over each link whose handshake is done: the
    first partner, and later the same partner resuming the chat on a new
    connection (``link.conn.protocol.resumed``). While a chat is on
    (``chat()`` gives its record), the door stays open for that return
    alone: anyone else is answered ``busy``. ``on_ignored(address, reason)``
    tells of each stranger turned away, ``on_note(text)`` of what else the
    server should show.
    """

    def __init__(self, loop: EventLoop, name: str, secret: bytes | None, timeout: float,
                 on_partner: Callable[[Link], None],
                 on_ignored: Callable[[str, str], None],
                 on_note: Callable[[str], None],
                 chat: Callable[[], ChatRecord | None] = lambda: None) -> None:
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

    def reach_hint(self) -> str:
        """Who can reach this door, in words, when it is not plain."""
        return reach_hint([sock.getsockname()[0] for sock in self.listeners])

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
            link = Link(sock, Role.SERVER, format_peer(sockaddr), self.name, self.secret, "it",
                        self._on_done, self._may_answer, self._on_hello,
                        deadline=time.monotonic() + self.timeout)
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

    def _on_done(self, link: Link, failure: Failure | None) -> None:
        if link in self.candidates:
            self.candidates.remove(link)
        if failure is not None:
            link.close(self.loop)
            if failure.kind is Outcome.WRONG_SECRET:
                self._slow_down_guessing()
            self.on_ignored(link.address, failure.reason)
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
        if chat is not None and token == chat.token:
            protocol.take_up(chat)
            return True
        if chat is None:
            link.refuse(CHAT_OVER, Failure("it asked to resume a chat that is over", Outcome.REFUSED))
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
