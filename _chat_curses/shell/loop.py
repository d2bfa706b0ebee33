"""The event loop: one selector over the keyboard, the sockets and a wake-up socket.

Signal handlers and worker threads write into the ``Waker``'s socket pair,
so the loop sleeps in ``select()`` until something happens, with no polling
timer: the only timeout is the nearest deadline the application names.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import time
from collections.abc import Callable, Iterator

# What a file is watched for: selectors.EVENT_READ and EVENT_WRITE, named here
# so that the way to the first prompt does without importing selectors (2 ms).
READ, WRITE = 1, 2

# Signals that end the program, and the exit code each gives (128 + number).
LEAVING_SIGNALS = {
    getattr(signal, name): 128 + getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP")
    if hasattr(signal, name)
}
# Signals the loop hears of through the Waker, besides those.
NOTED_SIGNALS = [getattr(signal, name) for name in ("SIGWINCH", "SIGTSTP", "SIGCONT")
                 if hasattr(signal, name)]


class Application:
    """What the loop asks of the program it runs (``app.App`` is one)."""

    exit_code: int | None

    def before_sleep(self) -> None: ...
    def seconds_to_deadline(self) -> float | None: ...  # (None: nothing is timed)
    def on_time(self, now: float) -> None: ...  # called once that deadline has come


class Waker:
    """A pipe whose read end the loop watches.

    Signal handlers write the signal's number into it (``signal.set_wakeup_fd``)
    and worker threads write a zero byte, so the sleeping loop wakes at once.
    On Windows, where select() watches only sockets, it is a socket pair; a
    plain pipe elsewhere spares the start the socket module's import.
    """

    THREAD_DONE = 0

    def __init__(self) -> None:
        if os.name == "nt":
            import socket

            reader, writer = socket.socketpair()
            reader.setblocking(False)
            writer.setblocking(False)
            self._send, self._receive = writer.send, reader.recv
            self._closers = (reader.close, writer.close)
            self._read_fd, self.write_fd = reader.fileno(), writer.fileno()
        else:
            self._read_fd, self.write_fd = os.pipe()
            os.set_blocking(self._read_fd, False)
            os.set_blocking(self.write_fd, False)
            self._send = functools.partial(os.write, self.write_fd)
            self._receive = functools.partial(os.read, self._read_fd)
            self._closers = (functools.partial(os.close, self._read_fd),
                             functools.partial(os.close, self.write_fd))

    def fileno(self) -> int:
        return self._read_fd

    def wake(self) -> None:
        with contextlib.suppress(OSError):  # full: the loop is awake anyway
            self._send(bytes([self.THREAD_DONE]))

    def drain(self) -> bytes:
        data = b""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while chunk := self._receive(512):
                data += chunk
        return data

    def close(self) -> None:
        for close in self._closers:
            with contextlib.suppress(OSError):
                close()


def _note_signal(signum: int, frame: object) -> None:
    """The work is done by the loop, which reads the number from the wake-up socket."""


@contextlib.contextmanager
def signals_to(waker: Waker) -> Iterator[None]:
    wanted = list(LEAVING_SIGNALS) + NOTED_SIGNALS
    previous = {signum: signal.signal(signum, _note_signal) for signum in wanted}
    previous_fd = signal.set_wakeup_fd(waker.write_fd, warn_on_full_buffer=False)
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        for signum, handler in previous.items():
            signal.signal(signum, handler)



class EventLoop:
    """One selector over everything; each registration carries its callback.

    The selector is made at the first sleep: the first prompt is drawn by
    then, and what was watched before is registered with it."""

    def __init__(self) -> None:
        self.selector = None  # (a selectors.DefaultSelector, from the first sleep)
        self.watching: dict = {}  # each file watched: its events and callback, as registered

    def watch(self, fileobj, callback: Callable[[int], None], read: bool = True,
              write: bool = False) -> None:
        """Watch ``fileobj`` (again each turn: a registration that stands costs a lookup)."""
        events = (READ if read else 0) | (WRITE if write else 0)
        wanted = (events, callback)
        had = self.watching.get(fileobj)
        if had == wanted:
            return
        if self.selector is not None:  # (else registered when it is made)
            if had is None:
                self.selector.register(fileobj, events, callback)
            else:
                self.selector.modify(fileobj, events, callback)
        self.watching[fileobj] = wanted

    def unwatch(self, fileobj) -> None:
        self.watching.pop(fileobj, None)
        if self.selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(fileobj)

    def _selector(self):
        if self.selector is None:
            import selectors  # here, not at the top: see the class

            self.selector = selectors.DefaultSelector()
            for fileobj, (events, callback) in self.watching.items():
                self.selector.register(fileobj, events, callback)
        return self.selector

    def run(self, app: Application, poll: Callable[[], None] | None = None,
            poll_every: float = 0.05) -> None:
        """Run until ``app.exit_code`` is set. ``poll``, if given, is called
        at least every ``poll_every`` seconds (a keyboard that cannot be selected)."""
        while app.exit_code is None:
            app.before_sleep()
            timeout = app.seconds_to_deadline()
            due = None if timeout is None else time.monotonic() + timeout
            if poll is not None:
                timeout = poll_every if timeout is None else min(timeout, poll_every)
            for key, mask in self._selector().select(timeout):
                # An earlier callback in this batch may have closed this one's file
                # (asked of our own map: the selector's is a Python Mapping, four calls deep).
                if key.fileobj in self.watching:
                    key.data(mask)
                if app.exit_code is not None:
                    break
            if poll is not None and app.exit_code is None:
                poll()
            # Time alone brings something once the deadline has come; a wake-up
            # before it was a key's or a message's, met by its own callback (and a
            # deadline a callback moved nearer is named before the next sleep).
            now = time.monotonic()
            if due is not None and now >= due:
                app.on_time(now)
        if self.selector is not None:
            self.selector.close()
