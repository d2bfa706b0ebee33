"""What the command line decided, and the defaults it decides from."""

from __future__ import annotations

from ..wire.events import Role

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 8000
DEFAULT_NAMES = {Role.CLIENT: "user", Role.SERVER: "server"}
DEFAULT_TIMEOUT = 10.0
DEFAULT_RESUME_WINDOW = 300.0
# A quiet chat sends a ping every so many seconds (see liveness.Heartbeat).
DEFAULT_HEARTBEAT = 5.0
# The shared secret, when no --secret-file is given.
SECRET_ENV = "CHAT_SECRET"


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
        self.log, self.log_path = log, log_path  # an open transcript (shell.transcript), or None
        self.term = term  # TERM as the user had it, before any fallback
