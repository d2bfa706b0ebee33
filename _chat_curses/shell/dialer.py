"""The client's way to the server, never blocking the screen."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
from collections.abc import Callable

from ..chat.lines import describe_os_error
from .loop import EventLoop, Waker

# Bytes: the segment a path that drops big packets still carries (IPv4's least MTU,
# 576, less 40 for the headers), as TCP's own fallback uses.
SMALL_SEGMENT = 536


class Dialer:
    """The client's way to the server, never blocking the screen.

    The host name is looked up in a worker thread (a slow DNS server must not
    freeze the screen), then each address is tried in turn with a
    non-blocking connect, which the loop reports when the socket turns
    writable. The outcome is reported once: ``on_connected(sock)`` or
    ``on_failed(reason, refused)`` (``refused``: nothing listens there, as when
    the server is not started yet); ``on_looked_up()`` hears when the connecting
    begins. The caller keeps the deadline. With ``small``, the connection
    asks for small segments (TCP's MSS, announced to the server too), for a
    path that drops big packets.
    """

    def __init__(self, host: str, port: int, loop: "EventLoop", waker: Waker,
                 on_connected: Callable[[socket.socket], None],
                 on_failed: Callable[[str, bool], None],
                 on_looked_up: Callable[[], None] = lambda: None, small: bool = False) -> None:
        self.host, self.port, self.loop, self.small = host, port, loop, small
        self.on_connected, self.on_failed, self.on_looked_up = on_connected, on_failed, on_looked_up
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
            self.on_failed(f"cannot find {self.host} ({describe_os_error(self.looked_up)})", False)
            return
        self._addresses = list(self.looked_up)
        self.on_looked_up()
        self._try_next_address()

    def _try_next_address(self) -> None:
        while self._addresses:
            family, kind, proto, _, sockaddr = self._addresses.pop(0)
            sock = socket.socket(family, kind, proto)
            sock.setblocking(False)
            if self.small and hasattr(socket, "TCP_MAXSEG"):
                with contextlib.suppress(OSError):  # (a hint: the chat goes on without it)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, SMALL_SEGMENT)
            code = sock.connect_ex(sockaddr)
            if code in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
                self._sock = sock
                self.loop.watch(sock, self._on_writable, read=False, write=True)
                return
            sock.close()
            self._error = OSError(code, os.strerror(code))
        error = self._error or OSError(errno.EHOSTUNREACH, "no address to connect to")
        reason, refused = describe_os_error(error), error.errno == errno.ECONNREFUSED
        self.on_failed(reason + (" (is the server running?)" if refused else ""), refused)

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
