"""The setup questions of the seed program: address, port and name, each asked until answered well."""

from __future__ import annotations

from collections.abc import Callable

from ..text.history import History
from ..text.validate import ValidationError, check_address, check_port, check_username, clean
from ..wire.events import Role
from .lines import shorten
from .settings import DEFAULT_HOST, DEFAULT_NAMES, DEFAULT_PORT, Settings

ADDRESS_PROMPT = "Enter the server IP address (<Enter> for localhost): "
PORT_PROMPT = "Enter the server port number (<Enter> for 8000): "
NAME_PROMPT = "Enter your username (<Enter> for {default}): "
MESSAGE_PROMPTS = {
    Role.CLIENT: "Enter a message to send to the server (Type end to stop): ",
    Role.SERVER: "Enter a message to send to the client (Type end to stop): ",
}


class Question:
    def __init__(self, field: str, prompt: str, default: str,
                 check: Callable[[str], object]) -> None:
        self.field = field  # the ChatCore attribute the answer goes to
        self.prompt, self.default, self.check = prompt, default, check


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
        self.history.add(question.prompt + shorten(clean(answer)))
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
