"""A ``Protocol`` over one non-blocking socket, for a selector loop.

The only part of the wire that touches a socket, and only the one it is
given: it owns no selector and imports no socket module at load.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from .events import NEED_DATA, ConnectionClosed, Event

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import socket

    from .protocol import Protocol

_READ_SIZE = 64 * 1024
# Reads per receive() call: enough to drain any honest burst, few enough that
# a flooding peer cannot starve the keyboard and the screen.
_MAX_READS = 16


class Connection:
    """A ``Protocol`` over one non-blocking socket, for a selector loop.

    It owns no selector: the loop asks ``fileno()`` and ``wants_write`` and
    calls ``receive()`` when readable and ``flush()`` when writable. Socket
    errors come out as ``OSError`` from ``send``, ``flush`` and ``receive``.
    ``last_received`` (the last whole frame) and ``last_sent``
    (``time.monotonic()``) tell how quiet the link has been, for the heartbeat.
    """

    def __init__(self, sock: socket.socket, protocol: Protocol) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.protocol = protocol
        self._outbox = bytearray()
        self.last_received = self.last_sent = time.monotonic()
        self.frames_received = 0

    def fileno(self) -> int:
        return self.sock.fileno()

    @property
    def wants_write(self) -> bool:
        return bool(self._outbox)

    def send(self, event: Event) -> None:
        """Queue an event (raising LocalProtocolError if illegal) and write what the socket takes."""
        self.write(self.protocol.send(event))

    def write(self, data: bytes) -> None:
        """Queue bytes the protocol has already made, and write what the socket takes."""
        self._outbox += data
        self.last_sent = time.monotonic()
        self.flush()

    def flush(self) -> None:
        """Write as much of the queued bytes as the socket accepts without blocking."""
        while self._outbox:
            try:
                sent = self.sock.send(self._outbox)
            except (BlockingIOError, InterruptedError):
                return
            del self._outbox[:sent]

    def receive(self) -> Iterator[Event]:
        """Read what the socket holds and yield the events it makes.

        Events already decoded but not yet taken (the caller stopped early
        last time) come first. Stops when a read finds the socket drained
        (it returns less than asked), at end of file (after yielding
        ConnectionClosed), or after a bounded number of reads; the selector
        calls again while more is waiting.
        RemoteProtocolError propagates after every event before the bad
        frame has been yielded.
        """
        yield from self._decoded()
        for _ in range(_MAX_READS):
            try:
                data = self.sock.recv(_READ_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            self.protocol.receive_data(data)
            yield from self._decoded()
            if len(data) < _READ_SIZE:  # the socket held no more (or was closed): the
                return  # selector says when more comes, without a read that would block

    def _decoded(self) -> Iterator[Event]:
        while (event := self.protocol.next_event()) is not NEED_DATA:
            # Only whole frames show the peer is alive: one that drips the
            # bytes of a frame it never finishes counts as silent.
            self.last_received = time.monotonic()
            self.frames_received += 1
            yield event
            if isinstance(event, ConnectionClosed):
                return

    def close(self, linger: float = 0.0) -> None:
        """Close the socket, first spending up to ``linger`` seconds writing what is queued."""
        if self._outbox and linger > 0:
            import socket  # (loaded already: this connection has one)

            try:
                self.sock.settimeout(linger)
                self.sock.sendall(self._outbox)
                self._outbox.clear()
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        self.sock.close()
