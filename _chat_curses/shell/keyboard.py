"""The terminal's keys, read in bulk and decoded (``text.keys.KeyDecoder``)."""

from __future__ import annotations

import os
import select
import sys
import time

from ..text.keys import ESCAPE_WAIT, Item, KeyDecoder
from .terminal import curses

# The console cannot be watched by select() on Windows: poll the keyboard.
POLL_KEYBOARD = sys.platform == "win32" or os.environ.get("CHAT_CURSES_POLL_KEYBOARD") == "1"
KEYBOARD_POLL_SECONDS = 0.05


class Keyboard:
    """The terminal's keys, read in bulk and decoded.

    ncurses reads one byte per ``read()``, which makes a 64 KiB paste cost
    65,000 reads and polls; here each turn of the loop takes what the
    terminal holds, up to ``SLICE`` bytes, so a huge paste is taken in
    slices and the network is served in between. On Windows, where the
    console is no file to read, keys come from curses' ``get_wch``.
    """

    SLICE = 64 * 1024

    def __init__(self, window: "curses.window", fd: int | None) -> None:
        self.window, self.fd = window, fd
        self.decoder = KeyDecoder()
        self._more = False  # the terminal held more than the last read took
        self.escape_deadline: float | None = None  # when a held Esc is taken alone

    def read(self) -> list[Item] | None:
        """What was typed since the last call; None when the terminal is gone."""
        data = self._read_console() if self.fd is None else self._read_fd()
        if data is None:
            return None
        items = self.decoder.feed(data)
        self.escape_deadline = time.monotonic() + ESCAPE_WAIT if self.decoder.pending else None
        return items

    def more_waiting(self) -> bool:
        """More keys were already waiting when the last read stopped (they are part of a paste)."""
        return self.fd is not None and self._more

    def flush(self) -> list[Item]:
        """The rest of an escape sequence did not come: decide on what is held."""
        self.escape_deadline = None
        return self.decoder.flush()

    def _read_fd(self) -> bytes | None:
        data = b""
        self._more = True  # unless the terminal is found to hold no more
        while len(data) < self.SLICE:
            try:
                chunk = os.read(self.fd, self.SLICE - len(data))
            except (BlockingIOError, InterruptedError):
                self._more = False
                break
            except OSError:  # EIO: the terminal hung up
                return data or None
            if not chunk:
                return data or None
            data += chunk
            if not _readable(self.fd):
                self._more = False
                break
        return data

    def _read_console(self) -> bytes:
        data = bytearray()
        while len(data) < self.SLICE:
            try:
                key = self.window.get_wch()
            except curses.error:  # no more input
                break
            if isinstance(key, str):
                data += key.encode("utf-8", "replace")
            elif key in CONSOLE_KEYS:
                data += CONSOLE_KEYS[key].encode()
        return bytes(data)


def _readable(fd: int) -> bool:
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return False


# The Windows console gives curses key codes: these are turned into the
# sequences a terminal would send, and decoded like them.
CONSOLE_KEYS: dict[int, str] = {}
if curses is not None:
    CONSOLE_KEYS = {
        curses.KEY_ENTER: "\r", curses.KEY_BACKSPACE: "\x7f", curses.KEY_DC: "\x1b[3~",
        curses.KEY_LEFT: "\x1b[D", curses.KEY_RIGHT: "\x1b[C", curses.KEY_UP: "\x1b[A",
        curses.KEY_DOWN: "\x1b[B", curses.KEY_HOME: "\x1b[H", curses.KEY_END: "\x1b[F",
        curses.KEY_PPAGE: "\x1b[5~", curses.KEY_NPAGE: "\x1b[6~",
    }
