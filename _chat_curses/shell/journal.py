"""A chat's session file: enough to resume the chat after the program died.

One private file per chat, ``ROLE-HOST-PORT.session`` in
``$XDG_STATE_HOME/chat-curses/`` (by default ``~/.local/state/chat-curses/``;
the folder 700, the file 600). It is a journal of JSON lines: a header
(the chat's resume secret and how the partner was verified, the names,
the role, address and port), then one record per change: a history line as shown, a message we sent (its frame, to send
again), how far we have received, what the partner acknowledged, whose
turn it is, the last contact. Records are only ever appended, so a chat of
100,000 messages costs per message what a new one does. What a turn of the
loop changed is written in one ``write`` before anything goes on the wire
(``sync``), so ``kill -9`` at any moment leaves a file whose last line at
worst is cut short, which reading ignores; it is synced to the disk
(``flush``) once the screen is drawn, so a slow disk never delays a message
(``keeper.SessionKeeper`` does so at most once a second in a burst). The header is written to a
temporary file, synced and renamed into place, so that a file exists whole
or not at all.

Reading it back (``load``) rebuilds the state; a file that is corrupt,
foreign or unreadable raises ``SessionError`` with the reason in words.
"""

from __future__ import annotations

import json
import os
import re
import time

try:
    import fcntl
except ImportError:  # Windows: no locks; one program per chat is the user's to keep
    fcntl = None

from ..wire.delivery import Delivery
from ..wire.events import Role
from ..wire.record import ChatRecord

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    from pathlib import Path

FORMAT = 2  # 2: the chat's resume secret (SPEC 11) in place of its token
STATE_ENV = "XDG_STATE_HOME"


class SessionError(Exception):
    """A session file that cannot be used; the text says why."""


class InUse(Exception):
    """Another chat_curses has this session file open: its chat is not ours to take."""


def _claim(path: Path) -> int:
    """Open the file to append to it, holding a lock that dies with the process."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise InUse(str(path)) from None
    return fd


class Saved:
    """A chat as its session file keeps it: the chat's record, and what surrounds it here."""

    def __init__(self, role: Role, host: str, port: int, name: str, chat: ChatRecord,
                 peer_address: str, window: float, lines: list[tuple[str, str]] | None = None,
                 contact: float = 0.0) -> None:
        self.role, self.host, self.port, self.name = role, host, port, name
        self.chat, self.peer_address, self.window = chat, peer_address, window
        self.lines = [] if lines is None else lines  # (text, kind), as shown
        self.contact = contact  # wall-clock time of the last frame from the partner


def state_folder() -> Path:
    from pathlib import Path  # here, not at the top: start-up need not pay for it

    base = os.environ.get(STATE_ENV) or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "chat-curses"


def session_path(role: Role, host: str, port: int) -> Path:
    safe_host = re.sub(r"[^0-9A-Za-z.-]", "_", host)
    return state_folder() / f"{role.value}-{safe_host}-{port}.session"


def _private_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        os.chmod(folder, 0o700)


class Journal:
    """The open session file of a chat under way: records appended and synced."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self._fd = path, fd
        self._lines: list[dict] = []  # history lines not yet written (see ``line``)
        self._unsynced = False  # written since the last flush
        self.written = Delivery()  # how far sent, received and acked are on disk
        self.turn: Role | None = None
        self.contact = 0.0

    @classmethod
    def create(cls, saved: Saved) -> "Journal":
        """A new session file holding the header and the lines so far (atomically)."""
        path = session_path(saved.role, saved.host, saved.port)
        _private_folder(path.parent)
        header = {"chat_curses_session": FORMAT, "role": saved.role.value, "host": saved.host,
                  "port": saved.port, "name": saved.name, "secret": saved.chat.secret.hex(),
                  "verified": saved.chat.verified,
                  "peer": saved.chat.peer, "peer_address": saved.peer_address,
                  "window": saved.window, "started": time.time()}
        records = [header] + [{"line": text, "kind": kind} for text, kind in saved.lines]
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"".join(_line(record) for record in records))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
        return cls.reopen(path, saved)

    @classmethod
    def claim(cls, path: Path) -> "Journal":
        """The session file of a chat to take up again, locked for this process.
        Raises InUse when another process holds it."""
        return cls(path, _claim(path))

    def take_up(self, saved: Saved) -> "Journal":
        """Append from where ``saved`` (what the file holds) leaves off."""
        delivery = saved.chat.delivery
        self.written = Delivery(delivery.sent, delivery.received, delivery.acked)
        self.turn, self.contact = saved.chat.turn, saved.contact
        return self

    @classmethod
    def reopen(cls, path: Path, saved: Saved) -> "Journal":
        """The session file of a chat just written, to append to."""
        return cls(path, _claim(path)).take_up(saved)

    def line(self, text: str, kind: str) -> None:
        """A history line, held until the next ``sync`` writes it with the rest:
        one write and one sync per turn of the loop, however many lines it added."""
        self._lines.append({"line": text, "kind": kind})

    def sync(self, chat: ChatRecord, contact: float) -> None:
        """Append what changed in the chat since the last call, as one write."""
        records, self._lines = self._lines, []
        delivery, turn = chat.delivery, chat.turn
        for number in range(self.written.sent + 1, delivery.sent + 1):
            frame = delivery.unacked.get(number)  # None if acknowledged already
            records.append({"sent": number} if frame is None else
                           {"sent": number, "frame": frame.decode("utf-8")})
        if delivery.received != self.written.received:
            records.append({"received": delivery.received})
        if delivery.acked != self.written.acked:
            records.append({"acked": delivery.acked})
        if turn is not self.turn:
            records.append({"turn": turn.value})
        if contact - self.contact >= 1.0:
            records.append({"contact": round(contact, 1)})
            self.contact = contact
        if records:
            self._append(records)
            self.written = Delivery(delivery.sent, delivery.received, delivery.acked)
            self.turn = turn

    @property
    def unsynced(self) -> bool:
        """Something was written since the last ``flush``."""
        return self._unsynced

    def flush(self) -> None:
        """Sync what was written to the disk, if anything was since the last time."""
        if self._unsynced:
            self._unsynced = False
            os.fdatasync(self._fd) if hasattr(os, "fdatasync") else os.fsync(self._fd)

    def _append(self, records: list[dict]) -> None:
        os.write(self._fd, b"".join(_line(record) for record in records))
        self._unsynced = True

    def close(self, delete: bool) -> None:
        try:
            if self._lines and not delete:
                self._append(self._lines)
            if not delete:
                self.flush()
        finally:
            self._lines = []
            os.close(self._fd)
        if delete:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass


def _line(record: dict) -> bytes:
    return _ENCODER.encode(record).encode("utf-8") + b"\n"


# Made once: json.dumps builds a new encoder per call when given options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def load(path: Path, role: Role, host: str, port: int) -> Saved:
    """The chat a session file keeps. Raises SessionError, FileNotFoundError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise SessionError(f"cannot read it ({error.strerror or error})") from None
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        lines.pop()  # cut short by a crash while it was written: the record never was
    try:
        header = json.loads(lines[0]) if lines else None
        if not isinstance(header, dict) or header.get("chat_curses_session") != FORMAT:
            raise SessionError("it is not a chat_curses session of this version")
        saved = Saved(role=Role(header["role"]), host=header["host"], port=header["port"],
                      name=header["name"],
                      chat=ChatRecord(bytes.fromhex(header["secret"]), header["peer"],
                                      verified=str(header.get("verified", ""))),
                      peer_address=header["peer_address"], window=float(header["window"]),
                      contact=float(header["started"]))
        if (saved.role, saved.host, saved.port) != (role, host, port):
            raise SessionError("it belongs to another chat")
        if len(saved.chat.secret) != 32:
            raise SessionError("its resume secret is malformed")
        for raw in lines[1:]:
            _apply(saved, json.loads(raw))
    except SessionError:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise SessionError(f"it is damaged ({type(error).__name__})") from None
    return saved


def _apply(saved: Saved, record: dict) -> None:
    delivery = saved.chat.delivery
    if "line" in record:
        saved.lines.append((str(record["line"]), str(record.get("kind", "system"))))
    elif "sent" in record and "frame" in record:  # (a file of an older version ends it in \n)
        delivery.keep(int(record["sent"]), str(record["frame"]).rstrip("\n").encode("utf-8"))
    elif "sent" in record:
        delivery.sent = delivery.acked = max(delivery.sent, int(record["sent"]))
    elif "received" in record:
        delivery.received = int(record["received"])
    elif "acked" in record:
        delivery.acknowledge(int(record["acked"]))
    elif "turn" in record:
        saved.chat.turn = Role(record["turn"])
    elif "contact" in record:
        saved.contact = float(record["contact"])
    else:
        raise ValueError("unknown record")


def set_aside(path: Path) -> Path:
    """Keep a file that cannot be used out of the way, for a person to look at."""
    aside = path.with_name(path.name + f".bad-{int(time.time())}")
    os.replace(path, aside)
    return aside
