"""One connection in its handshake, on a socket, until it is established or has failed.

``Link`` says hello, proves the secret when there is one, and reports the
outcome once: established, or failed with the reason in words (the peer's
own words shown as theirs). The client's dialer and the server's door
both hand their connections to one.
"""

from __future__ import annotations

import contextlib
import selectors
from collections.abc import Callable

from ..chat.connecting import Failure, Outcome
from ..chat.lines import describe_os_error, format_address
from ..limits import MAX_REASON_CHARS
from ..text.validate import clean
from ..wire.connection import Connection
from ..wire.events import (
    AuthenticationError,
    Busy,
    Bye,
    ConnectionClosed,
    Hello,
    Proof,
    ProtocolError,
    RemoteProtocolError,
    Role,
    WrongSecret,
)
from ..wire.protocol import Protocol
from .loop import EventLoop

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import socket

def format_peer(sockaddr: tuple) -> str:
    """A socket address as host:port, IPv6 in brackets."""
    return format_address(str(sockaddr[0]), int(sockaddr[1]))


# The server's word to a client that asks to resume a chat it does not have.
CHAT_OVER = "that chat is over"


class Link:
    """A connection doing its handshake.

    The loop calls ``on_ready(mask)``; the outcome comes once, through
    ``on_done(link, None)`` when established or ``on_done(link, failure)``
    (a ``chat.connecting.Failure``: how, and why in words) when it failed;
    what a failure means is the core's to decide. ``may_answer()`` tells
    whether our hello may go now (the Door holds it back after a wrong
    secret). ``deadline`` (monotonic) is the Door's to keep.
    """

    def __init__(self, sock: socket.socket, role: Role, address: str, name: str,
                 secret: bytes | None, who: str,
                 on_done: Callable[["Link", Failure | None], None],
                 may_answer: Callable[[], bool] = lambda: True,
                 on_hello: Callable[["Link"], bool] = lambda link: True,
                 deadline: float | None = None) -> None:
        self.conn = Connection(sock, Protocol(role, secret=secret))
        self.address, self.deadline, self.name, self.who = address, deadline, name, who
        self.on_done, self.may_answer, self.on_hello = on_done, may_answer, on_hello
        self.closed = False
        self.done = False

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
            kind = Outcome.WRONG_SECRET if isinstance(error, WrongSecret) else Outcome.REFUSED
            self.refuse(str(error), Failure(str(error), kind))
        except RemoteProtocolError as error:
            self.refuse(f"protocol error: {error}",
                        Failure(f"{self.who} broke the protocol: {error}", Outcome.REFUSED))
        except OSError as error:
            self._finish(Failure(describe_os_error(error)))

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
            self._finish(Failure("the server is busy in another chat", Outcome.REFUSED))
        elif isinstance(event, Bye) and event.reason:
            kind = Outcome.CHAT_OVER if event.reason == CHAT_OVER else Outcome.REFUSED
            # A reason is the peer's own words, shown as theirs, never as our diagnosis.
            self._finish(Failure(f"{self.who} said: {clean(event.reason)}", kind))
        elif isinstance(event, Bye):
            self._finish(Failure(f"{self.who} left during the handshake"))
        elif isinstance(event, ConnectionClosed):
            self._finish(Failure(f"{self.who} closed the connection without saying goodbye"))

    def refuse(self, told: str, failure: Failure) -> None:
        """Tell the peer why we hang up (best effort), then fail."""
        with contextlib.suppress(OSError, ProtocolError):
            self.conn.send(Bye(told[:MAX_REASON_CHARS]))
        self._finish(failure)

    def time_out(self, reason: str) -> None:
        self._finish(Failure(reason))

    def _finish(self, failure: Failure | None) -> None:
        if not self.done:
            self.done = True
            self.on_done(self, failure)

    def close(self, loop: EventLoop, linger: float = 0.0) -> None:
        if not self.closed:
            self.closed = True
            loop.unwatch(self.conn)
            self.conn.close(linger)
