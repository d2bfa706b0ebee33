"""A chat's session file on the disk: found, private, locked, appended to (SPEC 10, 12).

One file per chat in ``$XDG_STATE_HOME/chat-curses/`` (by default
``~/.local/state/chat-curses/``), named for where the chat goes, not for how
that was typed: ``ROLE-ADDRESS-PORT.session``, the address as resolved
(``addresses``: ``localhost`` and ``127.0.0.1`` find the same file), and
``ROLE-ADDRESS-PORT.2.session`` and on for a second chat to the same place
(two clients through one forwarded port never share a file). What a file
holds, and how its bytes are read back and checked, is ``chat.saved``'s;
here is how it is kept:

- The user's own or refused, as OpenSSH's StrictModes: the folder is made
  700; a folder or file that another user owns, or that others can write,
  is refused (``Unsafe``); one that others can only read is made private.
- No symlink followed: every file is opened with ``O_NOFOLLOW``; a new file
  is written whole under a fresh temporary name made with ``O_EXCL``, synced,
  locked, and only then linked to a free name (``os.link`` never replaces
  what is there), so that a file exists whole or not at all.
- Locked while a program has it (``flock``, which dies with the process): a
  locked file is another program's chat under way, never taken up.
- Appended to only, so that a chat of 100,000 messages costs per message
  what a new one does. What a turn of the loop changed is written in one
  ``write`` before anything goes on the wire (``sync``), so ``kill -9`` at
  any moment leaves a file whose last line at worst is cut short, which
  reading ignores; it is synced to the disk (``flush``) once the screen is
  drawn, so a slow disk never delays a message (``keeper.SessionKeeper``
  does so at most once a second in a burst).
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from itertools import starmap

try:
    import fcntl
except ImportError:  # Windows: no locks; one program per chat is the user's to keep
    fcntl = None

from ..chat.saved import Saved, SessionError, as_line, changes, header, line_record, state_of
from ..limits import MAX_SESSION_BYTES
from ..wire.events import Role
from ..wire.record import ChatRecord

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    from pathlib import Path

STATE_ENV = "XDG_STATE_HOME"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # (Windows has no symlinks to follow by accident)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_POSIX = os.name == "posix"
# Chats to one place at once, at most: the names tried for a new file.
MOST_AT_ONE_PLACE = 100
SESSION, OVER = ".session", ".over"
# Seconds: how stale the last contact in the file may grow while a chat is quiet. After
# kill -9, the window is counted from it: at worst this much too early.
CONTACT_EVERY = 60.0
MAX_OVER_BYTES = 4096
# How long a host name may take to resolve before the file is looked up by the name as typed.
RESOLVE_WAIT = 2.0


class InUse(Exception):
    """Another chat_curses has this session file open: its chat is not ours to take."""


class Unsafe(Exception):
    """A folder or file that is not this user's alone; the text says why."""


def state_folder() -> Path:
    from pathlib import Path  # here, not at the top: start-up need not pay for it

    base = os.environ.get(STATE_ENV) or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "chat-curses"


def addresses(host: str, port: int) -> list[str]:
    """Where ``host`` goes: its addresses, each written one way (``::1``, never
    ``0:0::1``), sorted; the name itself if it cannot be resolved in time."""
    import ipaddress

    try:
        return [ipaddress.ip_address(host.strip("[]")).compressed]
    except ValueError:
        pass
    import socket
    import threading

    found: list = []

    def resolve() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError):
            pass

    worker = threading.Thread(target=resolve, daemon=True)
    worker.start()
    worker.join(RESOLVE_WAIT)
    resolved = {ipaddress.ip_address(info[4][0].split("%")[0]).compressed for info in list(found)}
    return sorted(resolved) or [host]


def _stem(role: Role, address: str, port: int) -> str:
    return f"{role.value}-{re.sub(r'[^0-9A-Za-z.-]', '_', address)}-{port}"


def _names(stem: str, suffix: str = SESSION):
    yield f"{stem}{suffix}"
    for number in range(2, MOST_AT_ONE_PLACE + 1):
        yield f"{stem}.{number}{suffix}"


def session_paths(role: Role, places: list[str], port: int, suffix: str = SESSION) -> list[Path]:
    """The session files there are of chats to any of ``places``, oldest name first
    (with ``suffix=OVER``: the proofs of chats given up there)."""
    folder = state_folder()
    try:
        present = set(os.listdir(folder))
    except OSError:
        return []
    return [folder / name for place in places
            for name in _names(_stem(role, place, port), suffix) if name in present]


def place_of(session: Path) -> str:
    """The role, address and port a session file is named for (``ROLE-ADDRESS-PORT``)."""
    return re.sub(r"\.[0-9]+$", "", session.name.removesuffix(SESSION))


def write_over(stem: str, record: dict) -> Path:
    """Leave what proves a given-up chat over (``chat.saved.over``), beside where its
    session file was (``stem``: ``place_of`` it): whole, private, at a free name."""
    path, fd = _new_file(stem, OVER, [record])
    os.close(fd)
    return path


def _new_file(stem: str, suffix: str, records: list[dict]) -> tuple[Path, int]:
    """A new file of ``records``, written whole under a fresh name made with
    ``O_EXCL``, synced and locked, then linked to a free name (``os.link`` never
    replaces what is there): its path, and its descriptor, open to append."""
    folder = private_folder()
    temporary = folder / f".{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | _NOFOLLOW
    fd = os.open(temporary, flags, 0o600)
    try:
        try:
            os.write(fd, b"".join(as_line(record) for record in records))
            os.fsync(fd)
            _lock(fd)
            return _link_free_name(temporary, folder, stem, suffix), fd
        finally:
            os.unlink(temporary)
    except BaseException:
        os.close(fd)
        raise


def read_over(path: Path) -> bytes:
    """What a proof of a given-up chat holds: the user's own file (Unsafe if not), not
    a link, and small. Raises SessionError past its size, FileNotFoundError, OSError."""
    fd, info = _open_own(path, os.O_RDONLY)
    try:
        if info.st_size > MAX_OVER_BYTES:
            raise SessionError(f"it is larger than such a record ({info.st_size:,} bytes)")
        return _read_all(fd, info.st_size)
    finally:
        os.close(fd)


def session_path(role: Role, place: str, port: int) -> Path:
    """The first name of a chat's file (a second chat to one place gets ``.2``...)."""
    return state_folder() / f"{_stem(role, place, port)}.session"


def private_folder() -> Path:
    """The state folder, made if need be (700), and this user's alone; raises Unsafe."""
    folder = state_folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if _POSIX:
        above = os.stat(folder.parent)  # ($XDG_STATE_HOME): others must not swap ours out
        if above.st_uid not in (os.geteuid(), 0):
            raise Unsafe(f"the folder {folder.parent} belongs to another user")
        if above.st_mode & 0o002 and not above.st_mode & stat.S_ISVTX:
            raise Unsafe(f"others can write the folder {folder.parent}")
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode):
            raise Unsafe(f"{folder} is not a folder")
        _check_own(info, f"the folder {folder}")
        if info.st_mode & 0o077:
            os.chmod(folder, 0o700)
    return folder


def _check_own(info: os.stat_result, what: str) -> None:
    if info.st_uid != os.geteuid():
        raise Unsafe(f"{what} belongs to another user")
    if info.st_mode & 0o022:
        raise Unsafe(f"others can write {what}")


def _lock(fd: int) -> None:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InUse() from None


def claim(path: Path) -> tuple[int, bytes]:
    """Open a session file to take it up: this user's own (Unsafe if not), not a
    link, not another program's (InUse), locked for this one; its descriptor to
    append to, and what it holds. Raises SessionError for a file larger than any
    chat makes (unread), FileNotFoundError, OSError."""
    fd, info = _open_own(path, os.O_RDWR | os.O_APPEND)
    try:
        _lock(fd)
        if info.st_size > MAX_SESSION_BYTES:  # refused unread
            raise SessionError(f"it is larger than any chat makes ({info.st_size:,} bytes)")
        return fd, _read_all(fd, info.st_size)
    except BaseException:
        os.close(fd)
        raise


def _open_own(path: Path, flags: int) -> tuple[int, os.stat_result]:
    """A file of ours in our folder, opened without following a link, made private."""
    private_folder()
    fd = os.open(path, flags | _NOFOLLOW | _NONBLOCK)  # (a FIFO planted there: no wait)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unsafe("it is not a file")
        if _POSIX:
            _check_own(info, "it")
            if info.st_mode & 0o077:
                os.fchmod(fd, 0o600)
        return fd, info
    except BaseException:
        os.close(fd)
        raise


def _read_all(fd: int, size: int) -> bytes:
    """What the file holds, and a byte more if it grew meanwhile (the size limit sees it).
    (Writes still go to its end: the file is open to append.)"""
    os.lseek(fd, 0, os.SEEK_SET)
    parts, left = [], size + 1
    while left > 0 and (part := os.read(fd, min(left, 1 << 24))):
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


class Journal:
    """The open session file of a chat under way: records appended and synced."""

    def __init__(self, path: Path, fd: int, role: Role) -> None:
        self.path, self._fd, self.role = path, fd, role  # (the role: ours)
        self._lines: list[tuple[str, str]] = []  # history lines not yet written (see ``line``)
        self.unsynced = False  # something was written since the last ``flush``
        # What the file has of the chat (as ``state_of`` reads it).
        self.written: tuple = ("", "", 0, 0, 0, None, b"")
        self.contact = 0.0

    @classmethod
    def create(cls, saved: Saved, place: str) -> "Journal":
        """A new session file for a chat to ``place`` (an address), holding the
        header and the lines so far: whole, private, locked, under a free name."""
        records = [header(saved, time.time())]
        records += [{"line": text, "kind": kind} for text, kind in saved.lines]
        path, fd = _new_file(_stem(saved.role, place, saved.port), SESSION, records)
        return cls(path, fd, saved.role).take_up(saved)

    def take_up(self, saved: Saved) -> "Journal":
        """Append from where ``saved`` (what the file holds) leaves off."""
        self.written, self.contact = state_of(saved.chat, saved.name), saved.contact
        return self

    def line(self, text: str, kind: str) -> None:
        """A history line, held until the next ``sync`` writes it with the rest:
        one write and one sync per turn of the loop, however many lines it added."""
        self._lines.append((text, kind))  # (written as JSON then: after the draw, for the partner's)

    def sync(self, chat: ChatRecord, contact: float, name: str = "",
             keep_contact: bool = False) -> None:
        """Append what changed in the chat since the last call, as one write
        (``name``: ours, if it changed; ``keep_contact``: the last contact too).

        The digest is left to a later record while it lacks only our messages
        since the file's own, whose frames the file holds (none acknowledged
        before it heard of them): a reader chains them into it
        (``chat.saved.parse``). So a message of ours goes to the file, and on
        the wire, without the digest worked out; the partner's answer, which
        the digest must have, brings it.
        """
        written = self.written
        lags = chat.delivery.acked <= written[2] and chat.digest_lags(written[6], self.role)
        state = state_of(chat, name or written[1], written[6] if lags else None)
        moved = contact - self.contact
        changed = state != self.written
        if not changed and not self._lines and moved < (1.0 if keep_contact else CONTACT_EVERY):
            return  # nothing to write: the usual case for a second call in one turn of the loop
        lines, self._lines = self._lines, []
        # The last contact goes with what else is written, or when the link is down
        # (``keep_contact``); while all is well and quiet, once in CONTACT_EVERY only,
        # so that the heartbeat alone costs the file next to nothing.
        noted = moved >= CONTACT_EVERY or (moved >= 1.0 and (changed or lines or keep_contact))
        records = changes(self.written, state, chat.delivery.unacked, contact if noted else None)
        if noted:
            self.contact = contact
        if records or lines:
            self._append(lines, records)
            self.written = state

    def flush(self) -> None:
        """Sync what was written to the disk, if anything was since the last time."""
        if self.unsynced:
            self.unsynced = False
            os.fdatasync(self._fd) if hasattr(os, "fdatasync") else os.fsync(self._fd)

    def _append(self, lines: list[tuple[str, str]], records: bytes = b"") -> None:
        """``records`` (as ``changes`` writes them), after ``lines`` (history lines:
        text, kind), in one write."""
        os.write(self._fd, b"".join([*starmap(line_record, lines), records]))
        self.unsynced = True

    def close(self, delete: bool) -> None:
        """Done with the file: kept to resume from, or removed (``delete``); only
        this file, never another that has since taken its name."""
        try:
            if self._lines and not delete:
                self._append(self._lines)
            if not delete:
                self.flush()
            elif _same_file(self.path, self._fd):
                self.path.unlink()
        finally:
            self._lines = []
            os.close(self._fd)


def _link_free_name(temporary: Path, folder: Path, stem: str, suffix: str) -> Path:
    for name in _names(stem, suffix):
        try:
            os.link(temporary, folder / name, follow_symlinks=False)
            return folder / name
        except FileExistsError:
            continue
    raise FileExistsError(f"{MOST_AT_ONE_PLACE} chats to one place are saved already")


def _same_file(path: Path, fd: int) -> bool:
    try:
        there, ours = os.lstat(path), os.fstat(fd)
    except FileNotFoundError:
        return False
    return (there.st_dev, there.st_ino) == (ours.st_dev, ours.st_ino)


def set_aside(path: Path) -> Path:
    """Keep a file that cannot be used out of the way, for a person to look at."""
    aside = path.with_name(path.name + f".bad-{int(time.time())}")
    os.replace(path, aside)
    return aside
