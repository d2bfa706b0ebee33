"""The command line: what its options say (read by ``shell.options``, or by
argparse in ``shell.usage``), the checks of the files and variables it
names, and ``main``.

``chat_curses.py`` is the program's door; this is the room behind it, a
module so that its bytecode is cached: a script run as ``python FILE`` is
compiled again at every start, and this part alone took about 6 ms to compile.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys

from ..chat.effects import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE
from ..chat.setup import DEFAULT_HEARTBEAT, SECRET_ENV, Settings
from ..text.history import PRIVATE, History
from ..text.validate import ValidationError, check_timeout, clean
from ..wire.events import Role
from .app import App, run
from .options import read_plain
from .terminal import TerminalError, curses, describe_descriptor_limit

try:  # the C module under locale.py, which (and the re it brings) costs 2 ms to import
    from _locale import LC_ALL, setlocale
    from _locale import Error as LocaleError
except ImportError:  # a Python without it: locale.py emulates it
    from locale import LC_ALL, setlocale
    from locale import Error as LocaleError

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


def read_secret_file(path: str) -> bytes:
    """The shared secret in a file, without surrounding white space; ValidationError
    if it cannot be read or holds none."""
    try:
        with open(path, "rb") as source:
            data = source.read(MAX_SECRET_BYTES + 1)
    except OSError as error:
        raise ValidationError(f"cannot read {clean(path)!r}: {error.strerror or error}") from None
    if len(data) > MAX_SECRET_BYTES:
        raise ValidationError(
            f"{clean(path)!r} is too large for a secret (at most {MAX_SECRET_BYTES} bytes)")
    if not data.strip():
        raise ValidationError(f"{clean(path)!r} is empty")
    return data.strip()


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


def argument_parser():
    """The command line as argparse reads it (``shell.usage``): for help, for
    the command lines that are not plain, and to refuse one."""
    from .usage import argument_parser  # here, not at the top: see shell.options

    return argument_parser(program_name(), terminal_columns())


def usage_error(message: str) -> None:
    """Usage, and what is wrong, as argparse says it; exits 2 (never returns)."""
    argument_parser().error(message)


def parse_args(argv: list[str] | None = None) -> Settings:
    """Read the command line; a bad one prints usage and exits 2."""
    argv = sys.argv[1:] if argv is None else argv
    args = read_plain(argv)
    if args is None:
        args = vars(argument_parser().parse_args(argv))
    secret_file, log_path = args["secret_file"], args["log"]
    secret = None
    if secret_file is not None:
        try:
            secret = read_secret_file(secret_file)
        except ValidationError as error:
            usage_error(f"argument --secret-file: {error}")
    elif SECRET_ENV in os.environ:
        secret = os.environ[SECRET_ENV].strip().encode("utf-8", "surrogateescape")
        if not secret:  # CHAT_SECRET=$(cat missing-file) must not turn the secret off
            usage_error(f"environment variable {SECRET_ENV} is set but empty; "
                    f"give it a secret, or unset it to chat without one")
    heartbeat = DEFAULT_HEARTBEAT
    if HEARTBEAT_ENV in os.environ:
        try:
            heartbeat = check_timeout(os.environ[HEARTBEAT_ENV])
        except ValidationError as error:
            usage_error(f"environment variable {HEARTBEAT_ENV}: {error}")
    log = None  # opened last: a usage error must not leave a new file behind
    if log_path is not None:
        from .transcript import Transcript  # here, not at the top: only --log needs it

        try:
            log = Transcript.open(log_path)
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            usage_error(f"argument --log: cannot write to {clean(log_path)!r}: {reason}")
    return Settings(
        role=Role.SERVER if args["server"] else Role.CLIENT,
        host=args["host"],
        port=args["port"],
        name=args["name"],
        timeout=args["timeout"],
        resume_window=args["resume_window"],
        quiet=args["quiet"],
        typing_notice=not args["no_typing_notice"],
        secret=secret,
        secret_file=secret_file,
        heartbeat=heartbeat,
        log=log,
        log_path=log_path,
        term=os.environ.get("TERM", ""),
        code=args["code"],
        require_code=args["require_code"],
        fresh=args["fresh"],
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
    with contextlib.suppress(LocaleError):
        setlocale(LC_ALL, "")  # curses then draws the terminal's own characters
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

