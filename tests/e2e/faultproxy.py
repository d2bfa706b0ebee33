"""A small TCP proxy between the two programs that can break the link for real.

The client connects to the proxy, which connects on to the server and
copies bytes both ways. On command it can reset every link it carries
(RST, as a NAT or a dying Wi-Fi does), swallow the bytes of the links it
carries while keeping them open (a flow the route silently drops), hold
back the bytes of every link, those it accepts later too, and let them go
once restored (a network gone dark: TCP resends what it lost, once it can),
flip a bit in the next bytes one side sends (a path that changes what it
carries), or stop listening (the server's host unreachable). It records
every byte each side sent on each link (``records``), as anyone on the
path could. Only 127.0.0.1; one thread; every loop bounded; ``close()``
ends it all.
"""

from __future__ import annotations

import selectors
import socket
import struct
import threading
import time


class FaultProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener: socket.socket | None = None
        self.port = 0
        self.links: list[tuple[socket.socket, socket.socket]] = []
        self.swallowing: set[socket.socket] = set()
        self.dark = False  # every link's bytes are held back, new ones' too
        # (to whom, what), in order; (who, None): who closed its end
        self.held: list[tuple[socket.socket, bytes | None]] = []
        self.flipping: set[socket.socket] = set()
        self.records: list[dict[str, bytearray]] = []  # per link: what "client" and "server" sent
        self._record_of: dict[socket.socket, bytearray] = {}
        self.accepted = 0
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._commands: list = []
        self._listen_on(self._new_listener())
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    # -- commands, from the test's thread --

    def start_listening(self) -> None:
        """Listen again, on the same port."""
        listener = self._new_listener()
        self._do(lambda: self._listen_on(listener))

    def _new_listener(self) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        return listener

    def stop_listening(self) -> None:
        self._do(self._close_listener)

    def reset(self) -> None:
        """Reset every link carried now, both ways (RST, no FIN)."""
        self._do(self._reset_all)

    def swallow(self) -> None:
        """From now on, drop every byte of the links carried now, keeping them open."""
        self._do(lambda: self.swallowing.update(sock for link in self.links for sock in link))

    def blackhole(self) -> None:
        """Carry nothing, on any link, now and new ones, until ``restore``."""
        self._do(lambda: setattr(self, "dark", True))

    def restore(self) -> None:
        """Carry every link's bytes again, those held back first."""
        def light():
            self.dark = False
            held, self.held = self.held, []
            for to, data in held:
                if data is None:  # (``to`` closed its end: both go)
                    self._drop_link(to, graceful=True)
                    continue
                try:
                    to.sendall(data)
                except OSError:
                    pass  # (that link has gone meanwhile)
        self._do(light)

    def flip(self, side: str = "client") -> None:
        """Flip one bit in the next bytes ``side`` sends on the links carried now."""
        end = 0 if side == "client" else 1
        self._do(lambda: self.flipping.update(link[end] for link in self.links))

    def wire(self) -> bytes:
        """Every byte that crossed the proxy, both ways, on every link."""
        return b"".join(bytes(record[side]) for record in self.records
                        for side in ("client", "server"))

    def close(self) -> None:
        self._do(self._reset_all)
        self._do(self._close_listener)
        time.sleep(0.1)
        self._stop.set()
        self._thread.join(5)
        self._selector.close()

    def _do(self, command) -> None:
        done = threading.Event()
        with self._lock:
            self._commands.append((command, done))
        done.wait(5)

    # -- the proxy's own thread --

    def _run(self) -> None:
        deadline = time.monotonic() + 300  # bounded, whatever the test does
        while not self._stop.is_set() and time.monotonic() < deadline:
            with self._lock:
                commands, self._commands = self._commands, []
            for command, done in commands:
                command()
                done.set()
            for key, _ in self._selector.select(0.02):
                if key.data is None:
                    self._accept()
                else:
                    self._copy(key.fileobj, key.data)

    def _listen_on(self, listener: socket.socket) -> None:
        self.listener = listener
        self._selector.register(listener, selectors.EVENT_READ, None)

    def _close_listener(self) -> None:
        if self.listener is not None:
            self._selector.unregister(self.listener)
            self.listener.close()
            self.listener = None

    def _accept(self) -> None:
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        try:
            server = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
        except OSError:
            _reset(client)
            return
        self.accepted += 1
        record = {"client": bytearray(), "server": bytearray()}
        self.records.append(record)
        self._record_of[client], self._record_of[server] = record["client"], record["server"]
        for sock, other in ((client, server), (server, client)):
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ, other)
        self.links.append((client, server))

    def _copy(self, sock: socket.socket, other: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data and self.dark:  # its close waits for the light too
            self._selector.unregister(sock)
            self.held.append((sock, None))
            return
        if not data:
            self._drop_link(sock, graceful=True)
            return
        if sock in self.swallowing:
            return
        if self.dark:
            self.held.append((other, data))
            self._record_of[sock] += data
            return
        self._record_of[sock] += data
        if sock in self.flipping:
            self.flipping.discard(sock)
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0x10]) + data[middle + 1:]
        try:
            other.sendall(data)
        except OSError:
            self._drop_link(sock, graceful=False)

    def _drop_link(self, sock: socket.socket, graceful: bool) -> None:
        for link in list(self.links):
            if sock in link:
                self.links.remove(link)
                for end in link:
                    self._forget(end)
                    if graceful:
                        end.close()
                    else:
                        _reset(end)

    def _reset_all(self) -> None:
        for link in self.links:
            for end in link:
                self._forget(end)
                _reset(end)
        self.links = []

    def _forget(self, sock: socket.socket) -> None:
        self.swallowing.discard(sock)
        self.flipping.discard(sock)
        try:
            self._selector.unregister(sock)
        except (KeyError, ValueError):
            pass


def _reset(sock: socket.socket) -> None:
    """Close with an RST instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()
