"""The command line through argparse: help, ``--version``, ``--new-secret``,
and every usage error, said as argparse says them.

Imported only when a command line is not plain (``shell.options``) or has
to be refused: argparse and what it brings cost about 5 ms to import.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from functools import partial

from .. import __version__
from ..chat.effects import EXIT_OK
from ..text.validate import ValidationError, clean
from .options import OPTIONS, ROLES

HELP_AFTER = """\
keys:
  Enter        send your message on your turn (or answer a prompt)
  end, Ctrl-D  type end and Enter, or Ctrl-D on an empty line: leave the
               chat; the partner is told (Ctrl-C leaves at once)
  PgUp, PgDn   scroll the history
  Up, Down     bring back the messages you sent
  Ctrl-R       while the link is down: the client's next try, at once
  Ctrl-L       repaint the screen

the pairing code:
  The server shows one (such as 7-amber-otter) for each chat. Tell it
  to your partner another way (say it, or a message you trust); the
  client gives it at its prompt, and proves it reached that server.
  Without it the chat is still encrypted, but unverified: compare the
  phrase both screens show.

exit codes:
  0    the chat ended: end or Ctrl-D, by either side
  1    it could not begin, or was lost (refused, timed out, port in
       use, server busy, not back within the resume window)
  2    usage: a bad flag or value, no terminal, a terminal it cannot
       drive
  129  the terminal hung up: the chat waits to be taken up again
  130  Ctrl-C; 143: SIGTERM (the partner is told)
"""


def argument_parser(prog: str, width: int) -> argparse.ArgumentParser:
    """argparse, told every option of ``shell.options``; its help ``width`` wide."""
    parser = argparse.ArgumentParser(
        # argparse's help, told the terminal's width at once, and once: left to
        # find it, argparse imports shutil, which imports zlib, bz2 and lzma
        # (about 4 ms), and it makes a formatter for every option it is given.
        # Raw: the keys and the exit codes below keep their lines.
        formatter_class=partial(argparse.RawDescriptionHelpFormatter, width=width - 2),
        prog=prog,
        description="A one-to-one chat in the terminal. The two sides take\n"
        "turns, client first; type 'end' to leave.",
        epilog=HELP_AFTER,
    )
    role = parser.add_mutually_exclusive_group(required=True)
    for option in OPTIONS:
        to = role if option in ROLES else parser
        if option.check is None:
            to.add_argument(option.flag, action="store_true", help=option.help)
        else:
            to.add_argument(option.flag, type=_flag_type(option.check), default=option.default,
                            metavar=option.metavar, help=option.help)
    parser.add_argument("--new-secret", metavar="PATH", action=NewSecretAction,
                        help="write a new random secret to PATH (a new file, mode 600) and exit")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _flag_type(check: Callable[[str], object]) -> Callable[[str], object]:
    """Adapt a validator to argparse, which then names the flag in the error."""

    def convert(text: str) -> object:
        try:
            return check(text)
        except ValidationError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert


def write_new_secret(path: str) -> None:
    """A new secret of 32 random bytes, as 64 hexadecimal digits, in a new private file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(os.urandom(32).hex() + "\n")


class NewSecretAction(argparse.Action):
    """--new-secret PATH: write a secret and exit, like --version, whatever else is given."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=1, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        path = values[0]
        try:
            write_new_secret(path)
        except OSError as error:
            parser.error(f"argument --new-secret: cannot create {clean(path)!r}: "
                         f"{error.strerror or error}")
        print(f"Wrote a new secret to {clean(path)}. Give your partner a copy by a safe way, "
              f"and both start with: --secret-file {clean(path)}")
        parser.exit(EXIT_OK)
