"""The terminal set up for curses and put back whatever happens.

``curses_screen()`` sets the terminal up (raw keys, no echo, bracketed
paste, the user's title kept) and restores it on the way out; an unknown
``TERM`` falls back to a close relative. ``write_terminal`` sends bytes
straight to the terminal, past curses (the bell, the title, modes).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Iterator

try:
    import curses
except ImportError:  # Windows without the windows-curses package
    curses = None  # type: ignore[assignment]


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
    """initscr, trying a close relative when the host does not know TERM."""
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
        write_terminal(BRACKETED_PASTE_OFF + TITLE_POP)
        with contextlib.suppress(curses.error):
            window.keypad(False)
            curses.noraw()
            curses.echo()
        with contextlib.suppress(curses.error):  # fails when the terminal is gone
            curses.endwin()


# Terminals that know bracketed paste wrap pasted text in markers; others
# ignore the request.
BRACKETED_PASTE_ON, BRACKETED_PASTE_OFF = b"\x1b[?2004h", b"\x1b[?2004l"


def write_terminal(data: bytes) -> None:
    with contextlib.suppress(OSError, ValueError):
        os.write(sys.__stdout__.fileno(), data)
