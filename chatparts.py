"""The pieces of the chat's logic around its core, with no curses and no sockets.

The settings and the frame the core hands out, the prompts and defaults of
the seed program, the lines as shown, and four small models the core is
made of: the setup questions (``Setup``), the stranger notes
(``StrangerNotes``), the heartbeat's timing (``Heartbeat``) and an outage
(``Outage``). ``chatcore.ChatCore`` puts them together.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from keyinput import MAX_PASTE_CHARS
from lineeditor import LineEditor
from netproto import Role
from screentext import History, Scrollback
from validators import (
    ValidationError,
    check_address,
    check_port,
    check_username,
    clean,
    clean_name,
)

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 8000
DEFAULT_NAMES = {Role.CLIENT: "user", Role.SERVER: "server"}
DEFAULT_TIMEOUT = 10.0
DEFAULT_RESUME_WINDOW = 300.0
# A quiet chat sends a ping every HEARTBEAT seconds; a partner silent for
# DEAD_AFTER heartbeats is gone.
DEFAULT_HEARTBEAT = 5.0
DEAD_AFTER = 3

ADDRESS_PROMPT = "Enter the server IP address (<Enter> for localhost): "
PORT_PROMPT = "Enter the server port number (<Enter> for 8000): "
NAME_PROMPT = "Enter your username (<Enter> for {default}): "
MESSAGE_PROMPTS = {
    Role.CLIENT: "Enter a message to send to the server (Type end to stop): ",
    Role.SERVER: "Enter a message to send to the client (Type end to stop): ",
}

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_HANGUP, EXIT_INTERRUPTED = 0, 1, 2, 129, 130
# After this many "Ignored connection" lines in a row, further ones are
# counted on one line instead of filling the history.
IGNORED_LINES_SHOWN = 3
# The most the input line holds; a message may not be longer anyway.
MAX_TYPED = MAX_PASTE_CHARS
# The longest echo of a typed answer in the history.
ECHO_CHARS = 100

# What the shell is asked to do.
LISTEN, DIAL, REPAINT, SUSPEND = "listen", "dial", "repaint", "suspend"
LINK_DOWN = "link down"  # close the partner's connection; the client dials again
BELL, FLASH = "bell", "flash"  # your turn has come; a key was refused
# How long the note of whose turn it is stays after a refused key.
REFUSED_NOTE_SECONDS = 3.0
# "NAME is typing..." is sent at most this often, and shown this long after the last.
TYPING_EVERY, TYPING_SHOWN = 1.0, 3.0


class Settings:
    """What the command line decided."""

    def __init__(self, role: Role, host: str | None = None, port: int | None = None,
                 name: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 resume_window: float = DEFAULT_RESUME_WINDOW, secret: bytes | None = None,
                 secret_file: str | None = None, heartbeat: float = DEFAULT_HEARTBEAT,
                 quiet: bool = False, typing_notice: bool = True, log: object = None,
                 log_path: str | None = None, term: str = "") -> None:
        self.role, self.host, self.port, self.name = role, host, port, name
        self.timeout, self.resume_window, self.heartbeat = timeout, resume_window, heartbeat
        self.secret, self.secret_file = secret, secret_file
        self.quiet = quiet  # no bell and no title when the turn comes
        self.typing_notice = typing_notice  # tell the partner while we write (never what)
        self.log, self.log_path = log, log_path  # an open transcript (app.Transcript), or None
        self.term = term  # TERM as the user had it, before any fallback


class Frame:
    """Everything the screen shows."""

    def __init__(self, history: History, scrollback: Scrollback, status: str, prompt: str,
                 editor: LineEditor | None, title: str = "") -> None:
        self.history, self.scrollback, self.status = history, scrollback, status
        self.prompt = prompt  # before the typed text; or, when locked, all the line says
        self.editor = editor  # None while the input is locked
        self.title = title  # for the terminal's title: whose turn it is


class Question:
    def __init__(self, field: str, prompt: str, default: str,
                 check: Callable[[str], object]) -> None:
        self.field = field  # the ChatCore attribute the answer goes to
        self.prompt, self.default, self.check = prompt, default, check


# --- Lines as shown -------------------------------------------------------------


def format_address(host: str, port: int) -> str:
    """host:port, with IPv6 literals in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def format_time(seconds: int) -> str:
    """Local time in ``time.ctime`` form: Mon Apr 17 11:42:43 2023."""
    try:
        return time.ctime(seconds)
    except (OverflowError, OSError, ValueError):  # beyond this platform's clock
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def format_message(seconds: int, name: str, text: str) -> str:
    """A history line; the line breaks of a pasted block are kept, all else is cleaned."""
    body = "\n".join(clean(line) for line in text.split("\n"))
    return f"<{format_time(seconds)}> [{clean_name(name)}]: {body}"


def _minutes(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def _minutes_or_seconds(seconds: float) -> str:
    return f"{int(seconds)} s" if seconds < 60 else _minutes(seconds)


def _shorten(text: str, limit: int = ECHO_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _as_invalid_input(error: Exception) -> str:
    text = str(error)
    return text if text.startswith("Invalid") else f"Invalid input: {text}"


# --- Before the chat -------------------------------------------------------------


class Setup:
    """The setup questions (address, port, name), each asked until answered well."""

    def __init__(self, settings: Settings, history: History) -> None:
        self.settings, self.role, self.history = settings, settings.role, history
        self.host, self.port, self.name = settings.host, settings.port, settings.name
        self.pending: list[str] = []  # the questions still to ask
        self.question: Question | None = None

    def start(self) -> bool:
        """Ask the first question the flags left open; True if there is none."""
        self.pending = [name for name in ("host", "port", "name") if getattr(self, name) is None]
        return self._next()

    def answer(self, answer: str) -> bool:
        """Take an answer to the current question; True once all are answered."""
        question = self.question
        self.history.add(question.prompt + _shorten(clean(answer)))
        try:
            value = question.check(answer if answer.strip() else question.default)
        except ValidationError as error:
            self.history.add(str(error), "warning")
            return False  # the same question again
        setattr(self, question.field, value)
        self.pending.remove(question.field)
        return self._next()

    def ask_again_for_the_address(self) -> bool:
        """The server could not listen there: ask again what was asked (not given by flags)."""
        self.pending = [name for name in ("host", "port") if getattr(self.settings, name) is None]
        if not self.pending:
            return False
        self._next()
        return True

    def _next(self) -> bool:
        if not self.pending:
            self.question = None
            return True
        default_name = DEFAULT_NAMES[self.role]
        self.question = {
            "host": Question("host", ADDRESS_PROMPT, DEFAULT_HOST, check_address),
            "port": Question("port", PORT_PROMPT, str(DEFAULT_PORT), check_port),
            "name": Question("name", NAME_PROMPT.format(default=default_name),
                             default_name, check_username),
        }[self.pending[0]]
        return False


class StrangerNotes:
    """A line for each stranger turned away; past a few in a row, one line counts the rest."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.in_a_row = 0
        self.until = -1  # the history's length after the last such line

    def note(self, address: str, reason: str) -> None:
        in_a_row = len(self.history.lines) == self.until  # nothing else said since
        self.in_a_row = self.in_a_row + 1 if in_a_row else 1
        more = self.in_a_row - IGNORED_LINES_SHOWN
        if more <= 0:
            self.history.add(f"Ignored connection from {address}: {reason}", "warning")
        else:
            summary = (f"Ignored {more} more connection{'s' * (more > 1)}; "
                       f"the last from {address}: {reason}")
            if more == 1:
                self.history.add(summary, "warning", final=False)  # the log gets the last count
            else:
                self.history.replace_last(summary, "warning")
        self.until = len(self.history.lines)


# --- The chat ----------------------------------------------------------------------


class Outage:
    def __init__(self, since: float, reason: str) -> None:
        self.since = since  # monotonic time the link broke
        self.reason = reason


class Heartbeat:
    """When a quiet link wants a ping, and when a silent partner counts as gone.

    A ping goes out after ``period`` seconds without sending anything; a
    partner from whom no whole frame came for ``DEAD_AFTER`` periods is gone.
    """

    def __init__(self, period: float, now: float) -> None:
        self.period = period
        self.dead_after = DEAD_AFTER * period
        self.last_sent = self.last_received = now

    def sent(self, now: float) -> None:
        self.last_sent = now

    def received(self, now: float) -> None:
        self.last_received = now

    def deadline(self) -> float:
        return min(self.last_sent + self.period, self.last_received + self.dead_after)

    def silent_too_long(self, now: float) -> bool:
        return now - self.last_received >= self.dead_after

    def ping_due(self, now: float) -> bool:
        return now - self.last_sent >= self.period
