"""One connection in its handshake, on a socket, until it is established or has failed.

A ``Link`` runs the secure handshake (``wire.handshake``: keys, and who is
on the other side), then the chat's hellos over the sealed channel
(``wire.protocol``: names, and how far each side has received), and
reports the outcome once: established, or failed with a ``Failure`` (how,
and why in words, the peer's own words shown as theirs). What a failure
means is the core's to decide. The client's dialer and the server's door
both hand their connections to one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from ..chat.dialing import Failure, Outcome
from ..chat.lines import describe_os_error, format_address
from ..limits import MAX_REASON_CHARS
from ..text.validate import clean
from ..wire.connection import Connection
from ..wire.events import (
    Bye,
    ConnectionClosed,
    Hello,
    NotProven,
    ProtocolError,
    Refused,
    RemoteProtocolError,
    Role,
)
from ..wire.handshake import Brings, ClientHello, Handshake, Proven
from ..wire.protocol import Protocol
from .loop import READ, WRITE, EventLoop

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import socket

    from ..wire.record import ChatRecord


def format_peer(sockaddr: tuple) -> str:
    """A socket address as host:port, IPv6 in brackets."""
    return format_address(str(sockaddr[0]), int(sockaddr[1]))


# A proof that failed, as the core weighs it.
_NOT_PROVEN = {Brings.CODE: Outcome.WRONG_CODE, Brings.SECRET: Outcome.WRONG_SECRET,
               Brings.RESUME: Outcome.NOT_PROVEN, Brings.NONE: Outcome.NOT_PROVEN}


class Link:
    """A connection doing its handshake.

    The loop calls ``on_ready(mask)``; the outcome comes once, through
    ``on_done(link, None)`` when established or ``on_done(link, failure)``.
    A client's ``handshake`` already knows what it brings, and a resuming
    client's ``chat`` is the record it takes up once the server has proved
    it holds it. A server's door answers each client's hello
    (``on_hello(link)``, which calls ``accept``, ``refuse`` or ``answer_busy``),
    when ``may_answer()`` lets it (it holds answers back after wrong
    proofs). ``deadline`` (monotonic) is the door's to keep.
    """

    def __init__(self, sock: socket.socket, role: Role, address: str, name: str, who: str,
                 on_done: Callable[["Link", Failure | None], None],
                 handshake: Handshake | None = None, chat: ChatRecord | None = None,
                 may_answer: Callable[[], bool] = lambda: True,
                 on_hello: Callable[["Link"], None] = lambda link: None,
                 deadline: float | None = None) -> None:
        self.handshake = handshake if handshake is not None else Handshake(role)
        self.conn = Connection(sock, self.handshake)
        self.role, self.chat = role, chat
        self.address, self.deadline, self.name, self.who = address, deadline, name, who
        self.on_done, self.may_answer, self.on_hello = on_done, may_answer, on_hello
        self.closed = self.done = self.greeted = False
        self.hello_waiting = False  # the server's: a client's hello, not yet answered
        self.guessing: Brings | None = None  # the server's: answered under a code or secret
        self.proven: Proven | None = None

    @property
    def protocol(self) -> Protocol | None:
        """The chat's protocol, once the handshake has proved the key."""
        return self.conn.protocol if self.proven is not None else None

    def on_ready(self, mask: int) -> None:
        """Writable, readable, or (mask 0) just opened or allowed to answer."""
        try:
            if mask & WRITE:
                self.conn.flush()
            self.step()
            if mask & READ and not self.done:
                for event in self.conn.receive():
                    self._on_event(event)
                    if self.done:
                        return  # what follows is the chat's: it stays in the Connection
                said = self.handshake.data_to_send()  # a reveal, a confirmation after one
                if said:
                    self.conn.write(said)
        except NotProven as error:
            self._finish(Failure(str(error), _NOT_PROVEN[Brings(error.how)]))
        except Refused as error:
            self._refused(error)
        except RemoteProtocolError as error:
            self.refuse(f"protocol error: {error}",
                        Failure(f"{self.who} broke the protocol: {error}", Outcome.REFUSED))
        except OSError as error:
            self._finish(Failure(describe_os_error(error)))

    def step(self) -> None:
        """Send whatever is ours to send now; report once the chat's hellos are done."""
        if self.done:
            return
        if self.role is Role.CLIENT and not self.greeted:
            self.greeted = True
            self.conn.write(self.handshake.hello())
        if self.hello_waiting and self.may_answer():
            self.hello_waiting = False
            self.on_hello(self)
        protocol = self.protocol
        if protocol is None or self.done:
            return
        if protocol.hello_due:
            self.conn.send(protocol.hello(self.name))
        if protocol.established:
            self._finish(None)

    # -- the server's answers to a client's hello (the door decides which) --

    def accept(self, password: bytes = b"", chat: ChatRecord | None = None) -> None:
        """Answer with our proof of the key, bound to ``password`` (the code or the
        secret), or to ``chat``'s resume secret, which the client then resumes."""
        self.chat = chat
        self.conn.write(self.handshake.accept(password, chat.secret if chat is not None else b""))

    def answer_busy(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.write(self.handshake.busy())
        self.time_out("told it is busy in another chat")

    def refuse(self, told: str, failure: Failure) -> None:
        """Tell the peer why we hang up (best effort: sealed once there are keys,
        plain before), then fail."""
        with contextlib.suppress(OSError, ProtocolError):
            if self.protocol is not None:
                self.conn.send(Bye(told[:MAX_REASON_CHARS]))
            elif self.role is Role.SERVER and not self.handshake.channel:
                self.conn.write(self.handshake.refuse(told[:MAX_REASON_CHARS]))
        self._finish(failure)

    # -- the door's questions --

    @property
    def waiting_for_answer(self) -> bool:
        return not self.done and self.hello_waiting

    @property
    def progress(self) -> tuple[int, float]:
        """How far the handshake has come: whole frames received, then how recently."""
        return self.conn.frames_received, self.conn.last_received

    def time_out(self, reason: str) -> None:
        self._finish(Failure(reason))

    def close(self, loop: EventLoop, linger: float = 0.0) -> None:
        if not self.closed:
            self.closed = True
            loop.unwatch(self.conn)
            self.conn.close(linger)

    def leave(self, loop: EventLoop) -> None:
        """The program ends mid-handshake: a goodbye, if sealed already, then close,
        giving the goodbye a moment to leave."""
        if self.protocol is not None:
            with contextlib.suppress(OSError, ProtocolError):
                self.conn.send(Bye())
        self.close(loop, linger=1.0)

    # -- internals --

    def _on_event(self, event) -> None:
        if isinstance(event, ClientHello):
            self.hello_waiting = True
            self.step()
        elif isinstance(event, Proven):
            self.proven = event
            self.conn.write(self.handshake.data_to_send())  # the client's own proof
            protocol = Protocol(self.role, self.handshake.channel, event.resume_secret,
                                verified=event.how.value if event.how in (Brings.CODE,
                                                                          Brings.SECRET) else "")
            if self.chat is not None:
                protocol.take_up(self.chat)
            self.conn.protocol = protocol  # the rest of the connection is the chat's
            self.step()
        elif isinstance(event, Hello):
            self.step()
        elif isinstance(event, Bye):
            # A reason is the peer's own words, shown as theirs, never as our diagnosis.
            self._finish(Failure(f"{self.who} said: {clean(event.reason)}", Outcome.REFUSED)
                         if event.reason else Failure(f"{self.who} left during the handshake"))
        elif isinstance(event, ConnectionClosed):
            self._finish(Failure(f"{self.who} closed the connection without saying goodbye"))

    def _refused(self, error: Refused) -> None:
        """The peer's plain refusal (the client's), or an old protocol (either side)."""
        if error.kind == Refused.OLD_VERSION:
            self.refuse("this side speaks protocol version 3, which encrypts every chat; "
                        "upgrade chat_curses",
                        Failure(f"{self.who} {clean(str(error))}", Outcome.REFUSED))
        elif error.kind == Refused.BUSY:
            self._finish(Failure(str(error), Outcome.REFUSED))
        else:
            kind = Outcome.CHAT_OVER if error.kind == Refused.CHAT_OVER else Outcome.REFUSED
            self._finish(Failure(f"{self.who} said: {clean(str(error))}", kind))

    def _finish(self, failure: Failure | None) -> None:
        if not self.done:
            self.done = True
            self.on_done(self, failure)
