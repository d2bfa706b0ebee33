"""The command line: its options, the checks of what they say, and ``main``.

``chat_curses.py`` is the program's door; this is the room behind it, a
module so that its bytecode is cached: a script run as ``python FILE`` is
compiled again at every start, and this part alone took about 6 ms to compile.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import locale
import os
import sys
from collections.abc import Callable
from functools import partial

from .. import __version__
from ..chat.effects import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from ..chat.setup import (
    DEFAULT_HEARTBEAT,
    DEFAULT_RESUME_WINDOW,
    DEFAULT_TIMEOUT,
    SECRET_ENV,
    Settings,
)
from ..text.history import PRIVATE, History
from ..text.validate import (
    ValidationError,
    check_address,
    check_code,
    check_port,
    check_timeout,
    check_username,
    check_window,
    clean,
)
from ..wire.events import Role
from .app import App, run
from .terminal import TerminalError, curses, describe_descriptor_limit

HEARTBEAT_ENV = "CHAT_CURSES_HEARTBEAT"
# What the secure channel is built from (see the README: why these two).
RUNTIME_PACKAGES = ("cryptography", "spake2")
MAX_SECRET_BYTES = 4096
# A secret shorter than this gets a warning: a recorded handshake lets anyone
# try guesses offline, as fast as their machine computes HMACs.
SHORT_SECRET = 16


# --- Command line ------------------------------------------------------------


def program_name() -> str:
    """How the program was started: chat_curses.py, or the installed chat-curses."""
    return os.path.basename(sys.argv[0]) or "chat_curses.py"


def _flag_type(check: Callable[[str], object]) -> Callable[[str], object]:
    """Adapt a validator to argparse, which then names the flag in the error."""

    def convert(text: str) -> object:
        try:
            return check(text)
        except ValidationError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert


def read_secret_file(path: str) -> bytes:
    """The shared secret in a file, without surrounding white space."""
    try:
        with open(path, "rb") as source:
            data = source.read(MAX_SECRET_BYTES + 1)
    except OSError as error:
        raise argparse.ArgumentTypeError(
            f"cannot read {clean(path)!r}: {error.strerror or error}") from None
    if len(data) > MAX_SECRET_BYTES:
        raise argparse.ArgumentTypeError(
            f"{clean(path)!r} is too large for a secret (at most {MAX_SECRET_BYTES} bytes)")
    if not data.strip():
        raise argparse.ArgumentTypeError(f"{clean(path)!r} is empty")
    return data.strip()


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


def readable_by_others(path: str) -> bool:
    try:
        return os.name == "posix" and bool(os.stat(path).st_mode & 0o077)
    except OSError:
        return False


def terminal_columns() -> int:
    """The width shutil.get_terminal_size() gives: COLUMNS, else the terminal's, else 80."""
    with contextlib.suppress(ValueError):
        if int(os.environ.get("COLUMNS", "")) > 0:
            return int(os.environ["COLUMNS"])
    try:
        columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    return columns if columns > 0 else 80


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


def parse_args(argv: list[str] | None = None) -> Settings:
    """Read the command line; a bad one prints usage and exits 2."""
    parser = argparse.ArgumentParser(
        # argparse's help, told the terminal's width at once, and once: left to
        # find it, argparse imports shutil, which imports zlib, bz2 and lzma
        # (about 4 ms of every start), and it makes a formatter for every
        # option it is given.
        # Raw: the keys and the exit codes below keep their lines.
        formatter_class=partial(argparse.RawDescriptionHelpFormatter,
                                width=terminal_columns() - 2),
        prog=program_name(),
        description="A one-to-one chat in the terminal. The two sides take\n"
        "turns, client first; type 'end' to leave.",
        epilog=HELP_AFTER,
    )
    role = parser.add_mutually_exclusive_group(required=True)
    role.add_argument("--server", action="store_true", help="wait for a partner to connect")
    role.add_argument("--client", action="store_true", help="connect to a waiting server")
    parser.add_argument("--host", type=_flag_type(check_address),
                        help="address to listen on (server) or connect to (client); "
                        "skips the address prompt")
    parser.add_argument("--port", type=_flag_type(check_port),
                        help="TCP port, 1-65535; skips the port prompt")
    parser.add_argument("--name", type=_flag_type(check_username),
                        help="your username, 1-32 printable characters; skips the username prompt")
    parser.add_argument("--code", type=_flag_type(check_code),
                        help="the pairing code the server shows (client); skips the code prompt")
    parser.add_argument("--require-code", action="store_true",
                        help="refuse partners that bring neither the pairing code nor the "
                        "secret (server)")
    parser.add_argument("--timeout", type=_flag_type(check_timeout), default=DEFAULT_TIMEOUT,
                        metavar="SECONDS",
                        help=f"seconds allowed to connect and finish the handshake "
                        f"(default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--resume-window", type=_flag_type(check_window),
                        default=DEFAULT_RESUME_WINDOW, metavar="SECONDS",
                        help=f"how long a broken chat waits to be resumed (default "
                        f"{DEFAULT_RESUME_WINDOW:g}; 0: a lost link ends the chat at once)")
    parser.add_argument("--fresh", action="store_true",
                        help="give up a chat saved for this address and port (its partner is "
                        "told) and start a new one")
    parser.add_argument("--secret-file", metavar="PATH",
                        help=f"a file holding a secret both sides must know; without it, "
                        f"the {SECRET_ENV} environment variable, if set, is the secret")
    parser.add_argument("--log", metavar="PATH",
                        help="append every line of the conversation, as shown, to this file")
    parser.add_argument("--quiet", action="store_true",
                        help="no bell and no terminal title when your turn comes")
    parser.add_argument("--no-typing-notice", action="store_true",
                        help="do not tell your partner while you are typing")
    parser.add_argument("--new-secret", metavar="PATH", action=NewSecretAction,
                        help="write a new random secret to PATH (a new file, mode 600) and exit")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    secret = None
    if args.secret_file is not None:
        try:
            secret = read_secret_file(args.secret_file)
        except argparse.ArgumentTypeError as error:
            parser.error(f"argument --secret-file: {error}")
    elif SECRET_ENV in os.environ:
        secret = os.environ[SECRET_ENV].strip().encode("utf-8", "surrogateescape")
        if not secret:  # CHAT_SECRET=$(cat missing-file) must not turn the secret off
            parser.error(f"environment variable {SECRET_ENV} is set but empty; "
                         f"give it a secret, or unset it to chat without one")
    heartbeat = DEFAULT_HEARTBEAT
    if HEARTBEAT_ENV in os.environ:
        try:
            heartbeat = check_timeout(os.environ[HEARTBEAT_ENV])
        except ValidationError as error:
            parser.error(f"environment variable {HEARTBEAT_ENV}: {error}")
    log = None  # opened last: a usage error must not leave a new file behind
    if args.log is not None:
        from .transcript import Transcript  # here, not at the top: only --log needs it

        try:
            log = Transcript.open(args.log)
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            parser.error(f"argument --log: cannot write to {clean(args.log)!r}: {reason}")
    return Settings(
        role=Role.SERVER if args.server else Role.CLIENT,
        host=args.host,
        port=args.port,
        name=args.name,
        timeout=args.timeout,
        resume_window=args.resume_window,
        quiet=args.quiet,
        typing_notice=not args.no_typing_notice,
        secret=secret,
        secret_file=args.secret_file,
        heartbeat=heartbeat,
        log=log,
        log_path=args.log,
        term=os.environ.get("TERM", ""),
        code=args.code,
        require_code=args.require_code,
        fresh=args.fresh,
    )


def startup_warnings(settings: Settings) -> list[str]:
    """What the user should hear of before the first question."""
    warnings = []
    if settings.term and os.environ.get("TERM") != settings.term:
        warnings.append(f"This host does not know the terminal type {clean(settings.term)!r}; "
                        f"using {os.environ.get('TERM')!r} instead")
    for what, path in (("secret file", settings.secret_file), ("log file", settings.log_path)):
        if path is not None and readable_by_others(path):
            warnings.append(f"Warning: other users can read the {what} {clean(path)}; "
                            f"protect it with: chmod 600 {clean(path)}")
    if settings.secret is not None and len(settings.secret) < SHORT_SECRET:
        warnings.append(f"Warning: the secret is short ({len(settings.secret)} bytes). Anyone "
                        f"who records a handshake can try guesses offline; make a strong one "
                        f"with: {program_name()} --new-secret PATH")
    return warnings


# --- Start and finish --------------------------------------------------------


def missing_packages() -> list[str]:
    """The runtime packages (SPEC 11) this Python cannot find. Found, not
    imported: they load when a connection starts, not on the way to the prompt.
    (The import system's own finders are asked: importlib.machinery would
    cost a millisecond to import.)"""
    finders = [finder for finder in sys.meta_path if hasattr(finder, "find_spec")]
    return [name for name in RUNTIME_PACKAGES
            if all(finder.find_spec(name, None) is None for finder in finders)]


def print_transcript(history: History) -> None:
    """The conversation, as shown, onto the normal terminal (wrapped at spaces to its
    width, as on the screen); errors to stderr."""
    width = terminal_columns()
    for line in history.lines:
        if line.kind == PRIVATE:  # the pairing code stays on the screen it was shown on
            continue
        stream = sys.stderr if line.kind == "error" else sys.stdout
        with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
            print(line.as_rows(width), file=stream, flush=True)


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")
    settings = parse_args(argv)
    if curses is None:
        print(f"{program_name()}: the curses module is missing; on Windows run: "
              "pip install windows-curses", file=sys.stderr)
        return EXIT_USAGE
    missing = missing_packages()
    if missing:
        print(f"{program_name()}: the encrypted channel needs {' and '.join(missing)}, which "
              f"{'is' if len(missing) == 1 else 'are'} not installed; install with: "
              f"{sys.executable} -m pip install {' '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(f"{program_name()}: a terminal is needed: standard input and output must be "
              "a terminal, not a pipe or a file", file=sys.stderr)
        return EXIT_USAGE
    with contextlib.suppress(locale.Error):
        locale.setlocale(locale.LC_ALL, "")
    listeners = None
    if settings.role is Role.SERVER and None not in (settings.host, settings.port):
        # The place came as flags: a port in use is said before any prompt (SPEC 4).
        from .listener import ListenError, open_listeners

        try:
            listeners = open_listeners(settings.host, settings.port)
        except ListenError as error:
            print(f"{program_name()}: {error}", file=sys.stderr)
            return EXIT_FAILURE
    app = App(settings, listeners)
    try:
        code = run(app, lambda: startup_warnings(settings))
    except TerminalError as error:
        print(f"{program_name()}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # a bug: one clear line, and keep the conversation
        print_transcript(app.core.history)
        if isinstance(error, OSError) and error.errno in (errno.EMFILE, errno.ENFILE):
            print(f"{program_name()}: cannot go on: {describe_descriptor_limit()}", file=sys.stderr)
            return EXIT_FAILURE
        print(f"{program_name()}: internal error: {error!r}", file=sys.stderr)
        if os.environ.get("CHAT_CURSES_DEBUG"):
            import traceback

            traceback.print_exc()
        return EXIT_FAILURE
    print_transcript(app.core.history)
    return code


def cli() -> None:
    """The ``chat-curses`` command (and ``python chat_curses.py``)."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # before or after the screen, where no handler is set
        sys.exit(EXIT_INTERRUPTED)

