"""The command line's options: one table, read two ways.

A plain command line, each word one of the options below written out in
full and each value beside its flag (``--port 9000`` or ``--port=9000``), is
read here (``read_plain``). Anything else goes to argparse, built from the
same table (``shell.usage``): help, ``--version``, ``--new-secret``, an
abbreviated or repeated flag, a value that starts with ``-``, a value its
check refuses, a wrong number of roles. argparse then says what is wrong,
or reads what is right, as it always has: what the plain reading accepts,
argparse reads the same way (tests/unit/shell/test_options.py).

Why two: argparse brings re, gettext and locale with it, about 5 ms of a
start that takes 29; a plain command line, the usual one, needs none of them.
"""

from __future__ import annotations

from collections.abc import Callable

from ..chat.setup import DEFAULT_RESUME_WINDOW, DEFAULT_TIMEOUT, SECRET_ENV
from ..text.validate import (
    ValidationError,
    check_address,
    check_code,
    check_port,
    check_timeout,
    check_username,
    check_window,
)


class Option:
    """``--flag``: a switch (``check`` None), or a value that ``check`` reads."""

    __slots__ = ("flag", "dest", "check", "default", "metavar", "help")

    def __init__(self, flag: str, help: str, check: Callable[[str], object] | None = None,
                 default: object = None, metavar: str | None = None) -> None:
        self.flag, self.dest, self.help = flag, flag[2:].replace("-", "_"), help
        self.check, self.metavar = check, metavar
        self.default = False if check is None else default


# Exactly one of these is needed.
ROLES = (
    Option("--server", "wait for a partner to connect"),
    Option("--client", "connect to a waiting server"),
)
OPTIONS = ROLES + (
    Option("--host", "address to listen on (server) or connect to (client); skips the address "
           "prompt", check_address),
    Option("--port", "TCP port, 1-65535; skips the port prompt", check_port),
    Option("--name", "your username, 1-32 printable characters; skips the username prompt",
           check_username),
    Option("--code", "the pairing code the server shows (client); skips the code prompt",
           check_code),
    Option("--require-code", "refuse partners that bring neither the pairing code nor the "
           "secret (server)"),
    Option("--timeout", f"seconds allowed to connect and finish the handshake (default "
           f"{DEFAULT_TIMEOUT:g})", check_timeout, DEFAULT_TIMEOUT, "SECONDS"),
    Option("--resume-window", f"how long a broken chat waits to be resumed (default "
           f"{DEFAULT_RESUME_WINDOW:g}; 0: a lost link ends the chat at once)", check_window,
           DEFAULT_RESUME_WINDOW, "SECONDS"),
    Option("--fresh", "give up a chat saved for this address and port (its partner is told) "
           "and start a new one"),
    Option("--secret-file", f"a file holding a secret both sides must know; without it, the "
           f"{SECRET_ENV} environment variable, if set, is the secret", str,
           metavar="PATH"),
    Option("--log", "append every line of the conversation, as shown, to this file", str,
           metavar="PATH"),
    Option("--quiet", "no bell and no terminal title when your turn comes"),
    Option("--no-typing-notice", "do not tell your partner while you are typing"),
)
_BY_FLAG = {option.flag: option for option in OPTIONS}


def read_plain(argv: list[str]) -> dict[str, object] | None:
    """What a plain command line says, each option's ``dest`` to its value, as
    argparse would read it; None if it is not plain (argparse is to read it)."""
    values = {option.dest: option.default for option in OPTIONS}
    seen = set()
    words = iter(argv)
    for word in words:
        flag, joined, value = word.partition("=")
        option = _BY_FLAG.get(flag)
        if option is None or flag in seen:
            return None
        seen.add(flag)
        if option.check is None:
            if joined:  # --quiet=yes
                return None
            values[option.dest] = True
            continue
        if not joined:
            value = next(words, None)
            if value is None or value.startswith("-"):
                return None  # missing, or argparse's to tell from a flag
        try:
            values[option.dest] = option.check(value)
        except ValidationError:
            return None
    if sum(values[role.dest] for role in ROLES) != 1:
        return None
    return values
