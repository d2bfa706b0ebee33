"""The chat's session file, kept up to date while a chat is on (``journal.Journal``)."""

from __future__ import annotations

import contextlib
import os
import time

from ..chat.core import ChatCore
from ..chat.effects import EXIT_HANGUP
from ..chat.lines import describe_os_error
from ..chat.setup import Settings
from ..text.history import PRIVATE, Line
from ..text.validate import clean_name
from ..wire.events import Role

# The session file serves only once the questions are answered: it is
# imported then, so the first prompt does not wait for it (nor for pathlib
# and fcntl, which it brings).
TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from pathlib import Path

    from ..wire.record import ChatRecord
    from .journal import Journal


class SessionKeeper:
    """The chat's session file, kept up to date while a chat is on.

    A failure to write it never stops the chat: it is said once, and the
    chat goes on without being resumable.
    """

    SYNC_EVERY = 1.0  # seconds: at most what a crash of the machine (not the program) can lose

    def __init__(self, core: ChatCore, settings: Settings) -> None:
        self.core, self.settings = core, settings
        self.journal: Journal | None = None
        self.contact = time.time()  # wall-clock time of the partner's last frame
        self.synced_at = float("-inf")  # monotonic time of the last sync to the disk
        self.sync_due: float | None = None  # when what was written since must be synced
        self.place = ""  # ROLE-ADDRESS-PORT: where this chat's proof of its end would stay
        self.places: list[str] = []  # where the chat goes, resolved once (``take_up``)
        self.over_taken: Path | None = None  # the proof of a chat given up, being told

    def start(self) -> None:
        """A new chat has begun: its session file, with the history so far."""
        from ..chat.saved import Saved
        from .journal import Journal, Unsafe, addresses, place_of

        core = self.core
        self.contact = time.time()
        if self.settings.resume_window <= 0:
            return
        saved = Saved(role=core.role, host=core.host, port=core.port, name=core.name,
                      chat=core.chat, peer_address=core.peer_address,
                      window=self.settings.resume_window,
                      lines=[(line.text, line.kind) for line in core.history.lines
                             if line.kind != PRIVATE],
                      contact=self.contact)
        # Where the chat goes: the server's own address, the address the client reached.
        place = ((self.places or addresses(core.host, core.port))[0] if core.role is Role.SERVER
                 else core.peer_address.rpartition(":")[0].strip("[]"))
        try:
            self.journal = Journal.create(saved, place)
            self.place = place_of(self.journal.path)
        except Unsafe as error:
            core.warn(f"The chat cannot be saved for resuming: {error}")
        except OSError as error:
            core.warn(f"Cannot save the chat for resuming: {describe_os_error(error)}")

    def take_up(self) -> None:
        """A saved chat to where this one goes (this role, address and port): show
        its chat and resume it. A file that cannot be used is said so, and set aside
        if it is ours but damaged; a new chat starts."""
        from .journal import OVER, addresses, session_paths

        core = self.core
        if self.settings.resume_window <= 0:
            return
        self.places = places = addresses(core.host, core.port)
        for path in session_paths(core.role, places, core.port):
            if self._take_up(path):
                return
        for path in session_paths(core.role, places, core.port, OVER):
            if self._take_over(path):
                return

    def _take_over(self, path: Path) -> bool:
        """A chat given up here earlier, whose partner may not know: prove it over."""
        from ..chat.saved import SessionError, parse_over
        from .journal import Unsafe, read_over, set_aside

        try:
            given_up = parse_over(read_over(path), time.time())
        except FileNotFoundError:
            return False
        except (Unsafe, SessionError, OSError) as error:
            if isinstance(error, SessionError):
                with contextlib.suppress(OSError):
                    path = set_aside(path)
            reason = describe_os_error(error) if type(error) is OSError else str(error)
            self.core.warn(f"Warning: the record of a chat given up, {path}, cannot be used: "
                           f"{reason}")
            return False
        if given_up is None:  # its time is past: its partner has long stopped waiting
            with contextlib.suppress(OSError):
                path.unlink()
            return False
        self.over_taken = path
        self.core.reach.farewell.begin(*given_up)
        return True

    def forget_over(self) -> None:
        """The partner knows the chat given up is over: its proof goes."""
        if self.over_taken is not None:
            with contextlib.suppress(OSError):
                self.over_taken.unlink()
            self.over_taken = None

    def _take_up(self, path: Path) -> bool:
        from ..chat.saved import SessionError, parse
        from .journal import InUse, Journal, Unsafe, claim, place_of, set_aside

        core = self.core
        try:
            fd, data = claim(path)
            try:
                saved = parse(data, core.role, core.port, time.time())
            except SessionError:
                os.close(fd)
                raise
        except (FileNotFoundError, InUse):
            return False  # gone, or another program's chat under way
        except Unsafe as error:
            core.warn(f"Warning: the saved chat {path} is refused: {error}")
            return False
        except SessionError as error:
            with contextlib.suppress(OSError):
                path = set_aside(path)
            core.warn(f"Warning: the saved chat {path} cannot be used: {error}; it was set aside")
            return False
        except OSError as error:
            core.warn(f"Warning: the saved chat {path} cannot be opened: {describe_os_error(error)}")
            return False
        journal, name = Journal(path, fd, saved.role), clean_name(saved.chat.peer)
        silent_for = max(time.time() - saved.contact, 0.0)
        # Given up, on purpose or by its age (the window in force now): the partner, if it
        # still waits, is told as after a Ctrl-D (the proof left here, ``chat.farewell``).
        if self.settings.fresh or silent_for >= self.settings.resume_window:
            self._leave_over(place_of(path), saved.chat, saved.name)
            journal.close(delete=True)
            core.warn(f"The saved chat with {name} is given up (--fresh); a new chat starts."
                      if self.settings.fresh else f"A saved chat with {name} is older than "
                      f"its resume window; a new chat starts.")
            return False
        self.contact = saved.contact
        core.reach.restore(saved.chat, saved.peer_address, saved.lines, silent_for,
                           time.monotonic(), saved.name)
        self.journal = journal.take_up(saved)
        self.place = place_of(path)
        return True

    def heard(self) -> None:
        self.contact = time.time()

    def line(self, line: Line) -> None:
        if self.journal is not None:
            try:
                self.journal.line(line.text, line.kind)
            except OSError as error:
                self._lose(error)

    def save(self, keep_contact: bool = False) -> None:
        """Write what changed (a crash of the program cannot lose it after this); the
        last contact too while the link is down, and on the way out."""
        if self.journal is None or self.core.chat is None:
            return
        try:
            self.journal.sync(self.core.chat, self.contact, self.core.name or "",
                              keep_contact or self.core.outage is not None)
        except OSError as error:
            self._lose(error)

    def flush(self, now: float) -> None:
        """Save, and sync it to the disk (nor can a crash of the machine lose it,
        after this): at once if the last sync was ``SYNC_EVERY`` ago, else when
        it will be (``sync_due``). At a person's pace every message is synced
        as it comes; a burst costs one sync a second, not one per message."""
        self.save()
        if self.journal is None or not self.journal.unsynced:
            self.sync_due = None
        elif now < self.synced_at + self.SYNC_EVERY:
            self.sync_due = self.synced_at + self.SYNC_EVERY
        else:
            self.sync_due, self.synced_at = None, now
            try:
                self.journal.flush()
            except OSError as error:
                self._lose(error)

    def drop(self) -> None:
        """The partner no longer has the chat: its file goes."""
        if self.journal is not None:
            self.journal.close(delete=True)
            self.journal = None

    def close(self, exit_code: int | None) -> None:
        """The program ends: a hang-up (or a crash, which never gets here) leaves the
        chat to be resumed; any other end removes its file, and leaves the proof that
        it is over, unless the partner ended it: a goodbye into a link that is down,
        or only looked up, told nobody (``chat.farewell``)."""
        core = self.core
        if exit_code != EXIT_HANGUP and core.chat is not None and self.place \
                and not core.reach.farewell.partner_ended and not self._surely_up():
            self._leave_over(self.place, core.chat, core.name or "")
        if self.journal is not None:
            self.save(keep_contact=True)
            self.journal.close(delete=exit_code != EXIT_HANGUP)
            self.journal = None

    def _surely_up(self) -> bool:
        """The link is up, and the partner was heard within a heartbeat (its pings come
        that often): a goodbye said now reaches it."""
        return (self.core.protocol is not None
                and time.time() - self.contact <= self.settings.heartbeat + 1.0)

    @staticmethod
    def _leave_over(place: str, chat: ChatRecord, name: str) -> None:
        from ..chat.saved import MAX_WINDOW, over
        from .journal import write_over

        with contextlib.suppress(OSError):  # (on the way out: nobody to tell of it)
            write_over(place, over(chat, time.time() + MAX_WINDOW, name))

    def _lose(self, error: OSError) -> None:
        """The file cannot be written (a full disk): it goes at once, since what it
        lacks would resume the chat wrong; the chat goes on, not resumable."""
        journal, self.journal = self.journal, None
        with contextlib.suppress(OSError):
            journal.close(delete=True)
        self.core.warn(f"Stopped saving the chat for resuming: {describe_os_error(error)}")
