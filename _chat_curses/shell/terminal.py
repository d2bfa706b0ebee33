"""The terminal itself, below curses' drawing: set up, put back, written to, read.

``curses_screen()`` sets the terminal up (raw keys, no echo, bracketed
paste, the user's title kept) and restores it on the way out; an unknown
``TERM`` falls back to a close relative. ``write_terminal`` sends bytes
straight to the terminal, past curses (the bell, the title, modes).
``Keyboard`` reads its keys in bulk and decodes them
(``text.keys.KeyDecoder``); where the console cannot be read as a file
(Windows), it polls curses' ``get_wch`` instead, and the environment
variable ``CHAT_CURSES_POLL_KEYBOARD=1`` takes that path on any system, so
that the tests run it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import sys
import time
from collections.abc import Iterator

try:
    import curses
except ImportError:  # Windows without the windows-curses package
    curses = None  # type: ignore[assignment]

from ..text.keys import ESCAPE_WAIT, Item, KeyDecoder
from ..values import Pattern

# The title is pushed on the terminal's title stack when the screen starts
# and popped when it ends, so the user's own title comes back (xterm-likes;
# others ignore both).
TITLE_PUSH, TITLE_POP = b"\x1b[22;2t", b"\x1b[23;2t"


class TerminalError(Exception):
    """curses cannot drive this terminal (an unknown TERM, say); the text says why."""


def out_of_descriptors() -> bool:
    """The process cannot open one more file (ulimit -n reached)."""
    try:
        os.close(os.open(os.devnull, os.O_RDONLY))
    except OSError as error:
        return error.errno in (errno.EMFILE, errno.ENFILE)
    return False


def describe_descriptor_limit() -> str:
    try:
        import resource

        limit = f" (the limit is {resource.getrlimit(resource.RLIMIT_NOFILE)[0]})"
    except (ImportError, OSError, ValueError):
        limit = ""
    return f"too many open files{limit}; raise the limit with: ulimit -n 1024"


def terminal_fallbacks(term: str) -> list[str]:
    """Close relatives of a terminal type this host has no description of.

    Over SSH the remote host often lacks the entry for a newer terminal
    (tmux-256color, xterm-kitty, alacritty...); its family's classic entry
    draws the same screen.
    """
    if term.startswith("tmux") or term.startswith("screen"):
        return ["screen-256color", "screen"] if "256" in term else ["screen"]
    if term.endswith("256color") or term.startswith(("xterm", "rxvt", "kitty", "alacritty",
                                                       "foot", "wezterm", "ghostty")):
        return ["xterm-256color", "xterm"]
    return []


def _initscr() -> "curses.window":
    """initscr, trying a close relative when the host does not know TERM; a terminal
    that cannot place the cursor (``TERM=dumb``) is refused: the screen would be garbled."""
    window = _open_screen()
    if sys.platform != "win32" and not _places_the_cursor():
        with contextlib.suppress(curses.error):
            curses.endwin()
        raise TerminalError(f"this terminal (TERM={os.environ.get('TERM', '')!r}) cannot place "
                            f"the cursor, which the chat's screen needs; set TERM to your "
                            f"terminal's type (xterm-256color, screen, linux...)")
    return window


def _places_the_cursor() -> bool:
    cup = terminfo("cup")
    return cup is None or bool(cup)  # (no description to go by: let curses try)


# A delay some descriptions ask for after a string ("$<5>", for terminals of
# 1980): curses waits or pads; written as it is, it would show.
_PADDING = Pattern(rb"\$<[0-9.]+[*/]*>")


def terminfo(name: str) -> bytes | None:
    """The terminal's string for capability ``name`` (b"" where it has none), its
    delays left out; None where there is no terminfo to ask (Windows)."""
    try:
        value = curses.tigetstr(name) or b""
    except (AttributeError, curses.error):
        return None
    return _PADDING.sub(b"", value) if b"$<" in value else value  # (most have none)


def _open_screen() -> "curses.window":
    term = os.environ.get("TERM", "")
    try:
        return curses.initscr()
    except curses.error as error:
        failure = error
    for fallback in terminal_fallbacks(term):
        os.environ["TERM"] = fallback
        try:
            return curses.initscr()
        except curses.error:
            continue
    os.environ["TERM"] = term
    if out_of_descriptors():  # curses could not open the terminal description
        raise OSError(errno.EMFILE, "too many open files")
    raise TerminalError(f"cannot use this terminal ({failure}); check that TERM "
                        f"(now {term!r}) names your terminal")


@contextlib.contextmanager
def curses_screen() -> Iterator["curses.window"]:
    """Set the terminal up for the chat and restore it whatever happens."""
    window = _initscr()
    try:
        curses.raw()  # Ctrl-C, Ctrl-Z, Ctrl-S arrive as keys
        curses.nonl()  # Return arrives as \r, not turned into \n: a pasted \r\n stays one break
        curses.noecho()
        window.keypad(True)  # for Windows, where curses reads the keys
        window.nodelay(True)
        curses.typeahead(-1)  # we read the keys ourselves: never hold output back for them
        write_terminal(BRACKETED_PASTE_ON + TITLE_PUSH)
        yield window
    finally:
        write_terminal(BRACKETED_PASTE_OFF + TITLE_POP + cursor_normal())
        with contextlib.suppress(curses.error):
            window.keypad(False)
            curses.noraw()
            curses.echo()
        with contextlib.suppress(curses.error):  # fails when the terminal is gone
            curses.endwin()


# Terminals that know bracketed paste wrap pasted text in markers; others
# ignore the request.
BRACKETED_PASTE_ON, BRACKETED_PASTE_OFF = b"\x1b[?2004h", b"\x1b[?2004l"


def cursor_normal() -> bytes:
    """The terminal's string for its usual cursor: the painter hides the cursor
    past curses, so curses would not know to show it again on the way out."""
    return terminfo("cnorm") or b""


def write_terminal(data: bytes) -> None:
    try:  # (no contextlib.suppress: this is every draw's)
        os.write(sys.__stdout__.fileno(), data)
    except (OSError, ValueError):  # the terminal is gone: the loop hears of it from the keys
        pass


# --- the keys ---------------------------------------------------------------

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
    PIECE = 1024  # a read this long or longer may be one piece of a paste

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
            # A short read took all the terminal held then; a long one may be a
            # piece of a paste the terminal hands over in parts: ask whether more waits.
            if len(chunk) < self.PIECE or not _readable(self.fd):
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
