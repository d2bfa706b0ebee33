"""The server's door: listening sockets, the handshakes under way, and the choice of partner.

``Door`` listens on every address the host names, runs the handshakes of
the connections it accepts (each a ``link.Link``), and lets the first one
to finish in. Whom it admits and how fast (squatters replaced, accept()
resting, guessing slowed down, busy for strangers while a chat is on) is
``chat.admission``'s to decide; the door carries it out on sockets.
"""

from __future__ import annotations

import errno
import socket
import sys
import time
from collections.abc import Callable
from functools import partial

from ..chat.admission import (
    ACCEPT_PAUSE,
    GUESS_PAUSE,
    GUESS_PAUSE_CAP,
    Admission,
    Answer,
    answer,
    weakest,
)
from ..chat.dialing import Failure, Outcome
from ..chat.lines import describe_os_error, format_address
from ..wire.events import Role
from ..wire.handshake import CHAT_OVER, Brings
from ..wire.record import ChatRecord
from .link import Link, format_peer
from .loop import READ, EventLoop

# Connections the kernel queues for us; a flood waits there, not in SYN
# retries. Strangers who reconnect as fast as they are dropped wait there,
# and so does a real partner, whose hello is there by the time it is
# accepted: it counts as progress at once, and keeps its place.
LISTEN_BACKLOG = 128
# Connections taken per wake-up, so that a flood cannot starve the rest.
ACCEPTS_PER_WAKE = 16


SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


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
    if all(_loopback(address) for address in addresses):
        return ("Only this machine can connect. To chat with another machine, start the "
                "server with --host 0.0.0.0.")
    families = {socket.AF_INET6 if address == "::" else socket.AF_INET
                for address in addresses if address in ("0.0.0.0", "::")}
    if families:
        found = machine_addresses(families)
        here = [address for address in found if _loopback(address)]
        away = [address for address in found if not _loopback(address)]
        where = ", ".join(away) if away else "this machine's addresses (see: ip addr)"
        return (f"A partner on another machine can connect to {where}"
                + (f"; on this one, to {', '.join(here)}." if here else "."))
    return ""


def machine_addresses(families: set[int]) -> list[str]:
    """The addresses a partner can dial: this machine's interfaces' (where the system
    tells them: Linux), else those its name resolves to; link-local ones aside (they
    need a scope a partner cannot guess). No traffic is sent."""
    found = interface_addresses() or resolved_addresses()
    return [address for address in dict.fromkeys(found)
            if (socket.AF_INET6 if ":" in address else socket.AF_INET) in families
            and not address.lower().startswith("fe80")]


def _loopback(address: str) -> bool:
    return address.startswith("127.") or address == "::1"


def interface_addresses() -> list[str]:
    """Each interface's IPv4 address (SIOCGIFADDR) and global IPv6 ones, on Linux."""
    if not sys.platform.startswith("linux"):
        return []
    import fcntl
    import struct

    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            try:
                asked = fcntl.ioctl(probe.fileno(), SIOCGIFADDR,
                                    struct.pack("256s", name.encode()[:15]))
            except OSError:
                continue  # no IPv4 address there
            found.append(socket.inet_ntoa(asked[20:24]))
    try:
        with open("/proc/net/if_inet6") as table:
            for row in table:  # address, index, prefix, scope (00: global, 10: host), ...
                fields = row.split()
                if len(fields) >= 4 and fields[3] in ("00", "10"):
                    found.append(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(fields[0])))
    except (OSError, ValueError):
        pass
    return found


def resolved_addresses() -> list[str]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return [str(info[4][0]) for info in infos]


class Door:
    """Listening sockets, the handshakes under way, and the choice of partner.

    ``on_partner(link)`` hands over each link whose handshake is done: the
    first partner, and later the same partner resuming the chat on a new
    connection, proved by the chat's resume secret (``link.protocol.resumed``).
    While a chat is on (``chat()`` gives its record), the door stays open for
    that return alone: anyone else is answered ``busy``. While none is, the
    partner of a chat given up here (``over()`` gives its record) may resume it,
    only to be told it is over (``chat.farewell``). A new partner proves
    the ``secret``, when there is one, or else the pairing code (``code()``
    gives the one in force; ``on_wrong_code()`` hears of each wrong guess),
    or nothing, unless ``require_code``. ``on_ignored(address, reason)``
    tells of each stranger turned away, ``on_note(text)`` of what else the
    server should show.
    """

    def __init__(self, loop: EventLoop, name: str, timeout: float,
                 on_partner: Callable[[Link], None],
                 on_ignored: Callable[[str, str], None],
                 on_note: Callable[[str], None],
                 chat: Callable[[], ChatRecord | None] = lambda: None,
                 over: Callable[[], ChatRecord | None] = lambda: None,
                 secret: bytes | None = None, code: Callable[[], str] = lambda: "",
                 require_code: bool = False,
                 on_wrong_code: Callable[[], None] = lambda: None) -> None:
        self.loop, self.name, self.timeout = loop, name, timeout
        self.on_partner, self.on_ignored, self.on_note = on_partner, on_ignored, on_note
        self.chat, self.secret, self.code, self.require_code = chat, secret, code, require_code
        self.on_wrong_code, self.over = on_wrong_code, over
        self.listeners: dict[socket.socket, Callable[[int], None]] = {}
        self.candidates: list[Link] = []  # connections in their handshake
        self.admission = Admission()
        self.accepting = True  # the listeners are watched (as the last ``before_sleep`` left them)

    def reach_hint(self) -> str:
        """Who can reach this door, in words, when it is not plain."""
        return reach_hint([sock.getsockname()[0] for sock in self.listeners])

    def open(self, host: str, port: int, listening: list[socket.socket] | None = None) -> str:
        """Listen on every address ``host`` names (or with the sockets ``listening``
        there already); say where. Raises ListenError."""
        self.listeners = {sock: partial(self._on_accept, sock)
                          for sock in listening or open_listeners(host, port)}
        return ", ".join(format_peer(sock.getsockname()) for sock in self.listeners)

    # -- what the loop asks --

    def before_sleep(self, now: float) -> None:
        for link in self.candidates:
            self.loop.watch(link.conn, link.on_ready, write=link.conn.wants_write)
        self.accepting = accepting = self.admission.accepting(now)
        for listener, on_accept in self.listeners.items():
            if accepting:
                self.loop.watch(listener, on_accept)
            else:
                self.loop.unwatch(listener)

    def deadlines(self) -> list[float]:
        """When ``on_time`` has something to do: a handshake's end, the listener's
        pause ending, a hello held back getting its answer. (Asked at every turn of
        the loop, mostly with no handshake under way: then no list is made for them.)"""
        deadlines = [link.deadline for link in self.candidates] if self.candidates else []
        if self.listeners and not self.accepting:  # (a pause that ended since: at once)
            deadlines.append(self.admission.accept_paused_until)
        if self._waiting_for_answer():
            deadlines.append(self.admission.next_answer_at)
        return deadlines

    def on_time(self, now: float) -> None:
        for link in list(self.candidates):
            if now >= link.deadline:
                link.time_out(f"no handshake within {self.timeout:g} s")
        waiting = self._waiting_for_answer()
        if waiting and now >= self.admission.next_answer_at:
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
        admission = self.admission
        for _ in range(ACCEPTS_PER_WAKE):
            replaceable = self._replaceable()
            if not admission.room(len(self.candidates), time.monotonic(), len(replaceable)):
                return
            try:
                sock, sockaddr = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. out of file descriptors: rest, say so once
                if admission.accept_failed(time.monotonic()):
                    self.on_note(f"Could not accept a connection: {describe_os_error(error)}; "
                                 f"trying again every {ACCEPT_PAUSE:g} s")
                return
            admission.accepted()
            if admission.must_replace(len(self.candidates), time.monotonic()):
                weakest(replaceable).time_out(
                    "made the least progress while every handshake place was taken")
            link = Link(sock, Role.SERVER, format_peer(sockaddr), self.name, "it",
                        self._on_done, may_answer=self._may_answer, on_hello=self._answer,
                        deadline=time.monotonic() + self.timeout)
            self.candidates.append(link)
            # A partner's hello is usually there already: read it now, so that
            # its progress counts before the next stranger is weighed against it.
            link.on_ready(READ)

    # -- handshakes --

    def _on_done(self, link: Link, failure: Failure | None) -> None:
        if link in self.candidates:
            self.candidates.remove(link)
        if failure is not None:
            link.close(self.loop)
            # Answered with our proof under a code or the secret, and not proved back:
            # a guess, checked against that proof, however the connection ends.
            guessed = link.guessing if link.proven is None else None
            if guessed is not None and self.admission.wrong_proof(time.monotonic()):
                what = "secret" if guessed is Brings.SECRET else "pairing code"
                self.on_note(f"Someone tried a wrong {what}: the next attempts are answered "
                             f"more slowly, from {GUESS_PAUSE:g} s apart, doubling up to "
                             f"{GUESS_PAUSE_CAP:g} s")
            self.on_ignored(link.address, failure.reason)
            if guessed is Brings.CODE:
                self.on_wrong_code()
            return
        self.admission.good_handshake()
        self.loop.unwatch(link.conn)
        for other in list(self.candidates):
            if other.chat is None:  # a resume, proved, may still come; newcomers may not
                other.time_out("another partner connected first")
        self.on_partner(link)

    def _answer(self, link: Link) -> None:
        """A client's hello: a new chat, the partner resuming ours, or someone to turn away."""
        chat = self.chat()
        given_up = self.over() if chat is None else None
        brings = link.handshake.brings
        verdict, words = answer(chat is not None, brings.value, self.secret is not None,
                                self.require_code, given_up is not None)
        if verdict is Answer.RESUME:
            link.accept(chat=chat or given_up)  # proved, or not, by the chat's resume secret
        elif verdict is Answer.NEW:
            password = {Brings.SECRET: self.secret or b"",
                        Brings.CODE: self.code().encode()}.get(brings, b"")
            if password:
                link.guessing = brings  # a guess, until the client's proof checks
            link.accept(password)
        elif verdict is Answer.BUSY:
            link.answer_busy()
        elif verdict is Answer.CHAT_OVER:
            link.refuse(CHAT_OVER, Failure("it asked to resume a chat that is over",
                                           Outcome.REFUSED))
        else:
            link.refuse(words, Failure(words, Outcome.REFUSED))  # the same words on both screens

    def _may_answer(self) -> bool:
        return self.admission.may_answer(time.monotonic())

    def _replaceable(self) -> list[Link]:
        """The handshakes a newcomer may replace: a hello in line for its answer keeps its place."""
        return [link for link in self.candidates if not link.waiting_for_answer]

    def _waiting_for_answer(self) -> list[Link]:
        """Candidates whose hello waits for an answer, held back after a wrong secret."""
        if not self.admission.holding_back():
            return []
        return [link for link in self.candidates if link.waiting_for_answer]
