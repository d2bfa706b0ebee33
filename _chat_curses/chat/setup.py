"""How a chat is set up: the settings the command line gave, and the seed program's
questions (address, port and name) that complete them, each asked until answered well."""

from __future__ import annotations

from collections.abc import Callable

from ..text.history import History
from ..text.validate import (
    ValidationError,
    check_address,
    check_code,
    check_port,
    check_username,
    clean,
)
from ..wire.events import Role

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 8000
DEFAULT_NAMES = {Role.CLIENT: "user", Role.SERVER: "server"}
DEFAULT_TIMEOUT = 10.0
DEFAULT_RESUME_WINDOW = 300.0
# A quiet chat sends a ping every so many seconds: a silent link is suspected after
# two and a half, lost after ten (see liveness.Liveness).
DEFAULT_HEARTBEAT = 1.0
# The shared secret, when no --secret-file is given.
SECRET_ENV = "CHAT_SECRET"


class Settings:
    """What the command line decided."""

    def __init__(self, role: Role, host: str | None = None, port: int | None = None,
                 name: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 resume_window: float = DEFAULT_RESUME_WINDOW, secret: bytes | None = None,
                 secret_file: str | None = None, heartbeat: float = DEFAULT_HEARTBEAT,
                 quiet: bool = False, typing_notice: bool = True, log: object = None,
                 log_path: str | None = None, term: str = "", code: str | None = None,
                 require_code: bool = False, fresh: bool = False) -> None:
        self.role, self.host, self.port, self.name = role, host, port, name
        self.timeout, self.resume_window, self.heartbeat = timeout, resume_window, heartbeat
        self.secret, self.secret_file = secret, secret_file
        self.quiet = quiet  # no bell and no title when the turn comes
        self.typing_notice = typing_notice  # tell the partner while we write (never what)
        self.log, self.log_path = log, log_path  # an open transcript (shell.transcript), or None
        self.term = term  # TERM as the user had it, before any fallback
        self.code = code  # the client's pairing code from --code ("" for none), or None: ask
        self.require_code = require_code  # the server refuses partners with no code or secret
        self.fresh = fresh  # a chat saved for this address and port is given up, not resumed


# The longest echo of a typed answer in the history.
ECHO_CHARS = 100

ADDRESS_PROMPT = "Enter the server IP address (<Enter> for localhost): "
PORT_PROMPT = "Enter the server port number (<Enter> for 8000): "
NAME_PROMPT = "Enter your username (<Enter> for {default}): "
CODE_PROMPT = "Enter the pairing code from the server (<Enter> for none): "
MESSAGE_PROMPTS = {
    Role.CLIENT: "Enter a message to send to the server (Type end to stop): ",
    Role.SERVER: "Enter a message to send to the client (Type end to stop): ",
}


def shorten(text: str, limit: int = ECHO_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


class Question:
    def __init__(self, field: str, prompt: str, default: str,
                 check: Callable[[str], object]) -> None:
        self.field = field  # the ChatCore attribute the answer goes to
        self.prompt, self.default, self.check = prompt, default, check


class Setup:
    """The setup questions (address, port, name, and the client's pairing code when
    it has no secret), each asked until answered well."""

    def __init__(self, settings: Settings, history: History) -> None:
        self.settings, self.role, self.history = settings, settings.role, history
        self.host, self.port, self.name = settings.host, settings.port, settings.name
        self.code = settings.code  # "" for none
        if self.role is Role.SERVER or settings.secret is not None:
            self.code = ""  # the server makes codes; a secret takes the code's place
        self.pending: list[str] = []  # the questions still to ask
        self.question: Question | None = None

    def start(self) -> bool:
        """Ask the first question the flags left open; True if there is none."""
        self.pending = [name for name in ("host", "port", "name", "code")
                        if getattr(self, name) is None]
        return self._next()

    def answer(self, answer: str) -> bool:
        """Take an answer to the current question; True once all are answered."""
        question = self.question
        if question.field == "code" and answer.strip():
            echo = "(given, not shown)"  # the code is the server's to show, no transcript's
        elif not answer.strip():  # Enter alone: what it took, said
            echo = f"{question.default or 'none'} (default)"
        else:
            echo = answer
        self.history.add(question.prompt + shorten(clean(echo)))
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

    def taken_up(self, name: str) -> bool:
        """A saved chat answers what is still open: its name (unless given), no code."""
        was_asking = self.question is not None
        self.name = self.name or name
        self.code, self.pending = "", []
        self._next()
        return was_asking  # True: the questions end now

    def ask_again_for_the_code(self) -> bool:
        """The code was wrong: ask for it again, unless it came from --code."""
        if self.settings.code is not None:
            return False
        self.pending = ["code"]
        return not self._next()

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
            "code": Question("code", CODE_PROMPT, "", check_code),
        }[self.pending[0]]
        return False
