"""The imperative shell: the chat core wired to the screen, the keyboard and the network.

``App`` owns nothing but the wiring. The event loop calls it; it passes
keys, frames from the partner, failures and the time to ``ChatCore``, then
carries out what the core asks (listen, dial, repaint, suspend) and writes
the bytes it encoded for the partner. The server's door and the client's
dialer bring a partner; once its handshake is done the partner's
connection is read here and every event goes to the core.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import signal
import stat
import sys
import time
from collections.abc import Callable

from chatcore import (BELL, DIAL, EXIT_FAILURE, EXIT_HANGUP, FLASH, LINK_DOWN, LISTEN, REPAINT,
                      SUSPEND, ChatCore, Settings)
from eventloop import LEAVING_SIGNALS, EventLoop, Waker, signals_to
from netproto import (Bye, Connection, Protocol, ProtocolError, RemoteProtocolError, Role,
                      describe_os_error)
from validators import clean_name
from screentext import Line
from view import KEYBOARD_POLL_SECONDS, POLL_KEYBOARD, Keyboard, Screen, curses_screen

# The door, the dialer and the session file serve only once the questions are
# answered: they are imported then (in _listen, _dial, _on_connected and the
# SessionKeeper), so the first prompt does not wait for them and for what
# they bring (socket, threading, fcntl).
TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import socket

    from doors import Dialer, Door, Link
    from session import Journal

SECRET_ENV = "CHAT_SECRET"
# The client dials again after a growing delay: from about half a second,
# doubling, at most REDIAL_MAX, each with up to a fifth more or less (jitter).
REDIAL_FIRST, REDIAL_MAX = 0.5, 10.0


class Transcript:
    """The --log file: every history line appended as shown, flushed at once."""

    def __init__(self, stream) -> None:
        self.stream = stream

    @classmethod
    def open(cls, path: str) -> "Transcript":
        """Open ``path`` for appending, refusing what would block or betray us.

        Only a regular file will do: a FIFO nobody reads would freeze the
        loop, a device is no transcript. A symbolic link is followed only
        when it is our own, so that another user cannot plant one (in /tmp,
        say) to make us write into a file of their choosing. The file is
        opened without blocking, then checked, before anything is written.
        Raises OSError, or ValueError with the reason in words.
        """
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0)
        with contextlib.suppress(FileNotFoundError):
            if os.path.islink(path) and os.lstat(path).st_uid != _our_uid():
                raise ValueError("it is a symbolic link that belongs to another user")
            if not os.path.islink(path):
                flags |= getattr(os, "O_NOFOLLOW", 0)  # it may not turn into one now
        try:
            fd = os.open(path, flags, 0o600)  # a private record
        except OSError as error:
            if error.errno == errno.ENXIO:  # a FIFO with no reader
                raise ValueError("it is not a regular file") from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ValueError("it is not a regular file")
        return cls(os.fdopen(fd, "a", encoding="utf-8", errors="replace"))

    def write(self, line: Line) -> None:
        self.stream.write(line.as_text() + "\n")
        self.stream.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()


def _our_uid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else 0


class SessionKeeper:
    """The chat's session file, kept up to date while a chat is on (``session.Journal``).

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

    def start(self) -> None:
        """A new chat has begun: its session file, with the history so far."""
        from session import Journal, Saved

        core, protocol = self.core, self.core.protocol
        self.contact = time.time()
        if self.settings.resume_window <= 0:
            return
        saved = Saved(role=core.role, host=core.host, port=core.port, name=core.name,
                      token=protocol.session, peer=protocol.peer_name,
                      peer_address=core.peer_address, window=self.settings.resume_window,
                      delivery=protocol.delivery, turn=protocol.turn,
                      lines=[(line.text, line.kind) for line in core.history.lines],
                      contact=self.contact)
        try:
            self.journal = Journal.create(saved)
        except OSError as error:
            core.warn(f"Cannot save the chat for resuming: {describe_os_error(error)}")

    def take_up(self) -> None:
        """A session file for this role, address and port: show its chat and resume it."""
        from session import InUse, Journal, SessionError, load, session_path, set_aside

        core = self.core
        if self.settings.resume_window <= 0:
            return
        path = session_path(core.role, core.host, core.port)
        try:
            journal = Journal.claim(path)
        except (FileNotFoundError, InUse):
            return  # none, or another program's chat under way: a new chat
        except OSError as error:
            core.warn(f"Warning: the saved chat {path} cannot be opened: {describe_os_error(error)}")
            return
        try:
            saved = load(path, core.role, core.host, core.port)
        except (SessionError, FileNotFoundError) as error:
            journal.close(delete=False)
            with contextlib.suppress(OSError):
                path = set_aside(path)
            core.warn(f"Warning: the saved chat {path} cannot be used: {error}; it was set aside")
            return
        silent_for = max(time.time() - saved.contact, 0.0)
        if silent_for >= saved.window:
            journal.close(delete=True)
            core.warn(f"A saved chat with {clean_name(saved.peer)} is older than its resume "
                      f"window; a new chat starts.")
            return
        protocol = Protocol.restored(core.role, saved.token, saved.delivery, saved.turn,
                                     saved.peer)
        self.contact = saved.contact
        core.restore(protocol, saved.peer_address, saved.lines, silent_for, time.monotonic())
        self.journal = journal.take_up(saved)

    def heard(self) -> None:
        self.contact = time.time()

    def line(self, line: Line) -> None:
        if self.journal is not None:
            try:
                self.journal.line(line.text, line.kind)
            except OSError as error:
                self._lose(error)

    def save(self) -> None:
        """Write what changed (a crash of the program cannot lose it after this)."""
        if self.journal is None or self.core.protocol is None:
            return
        try:
            self.journal.sync(self.core.protocol.delivery, self.core.protocol.turn, self.contact)
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
        if self.journal is not None:
            self.save()
            # Only a hang-up (or a crash, which never gets here) leaves the chat to be resumed.
            self.journal.close(delete=exit_code != EXIT_HANGUP)
            self.journal = None

    def _lose(self, error: OSError) -> None:
        journal, self.journal = self.journal, None
        with contextlib.suppress(OSError):
            journal.close(delete=False)
        self.core.warn(f"Stopped saving the chat for resuming: {describe_os_error(error)}")


class App:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.core = ChatCore(settings)
        self.core.history.on_add = self._log
        self.door: Door | None = None
        self.dialer: Dialer | None = None
        self.link: Link | None = None  # the client's connection during its handshake
        self.partner: Connection | None = None
        self.connect_deadline: float | None = None  # for connecting and the handshake
        self.redial_at: float | None = None  # when the client dials again after a broken link
        self.redials = 0  # attempts since the link broke
        self.keeper = SessionKeeper(self.core, settings)

    @property
    def exit_code(self) -> int | None:
        return self.core.exit_code

    def attach(self, loop: EventLoop, screen: Screen, keyboard: Keyboard, waker: Waker) -> None:
        self.loop, self.screen, self.keyboard, self.waker = loop, screen, keyboard, waker
        self.handlers = {LISTEN: self._listen, DIAL: self._dial, REPAINT: screen.repaint,
                         SUSPEND: screen.suspend, LINK_DOWN: self._link_down,
                         BELL: screen.bell, FLASH: screen.flash}  # what the core may ask
        loop.watch(waker, self.on_wake)
        if keyboard.fd is not None:
            loop.watch(keyboard.fd, self.on_keyboard)

    def start(self, warnings: list[str]) -> None:
        for warning in warnings:
            self.core.warn(warning)
        self.core.start()
        self._carry_out()

    # -- what the loop calls --

    def before_sleep(self) -> None:
        if self.door is not None:
            self.door.before_sleep()
        if self.link is not None and not self.link.closed:
            self.loop.watch(self.link.conn, self.link.on_ready, write=self.link.conn.wants_write)
        if self.partner is not None:
            self.loop.watch(self.partner, self.on_partner, write=self.partner.wants_write)
        self.core.pane = self.screen.history_size()
        now = time.monotonic()
        self.screen.draw(self.core.frame(now))
        # Only once the screen is drawn does the file go to the disk: what was
        # sent is written already, and what arrived is not acknowledged yet.
        self.keeper.flush(now)

    def seconds_to_deadline(self) -> float | None:
        deadlines = [self.connect_deadline, self.keyboard.escape_deadline, self.core.deadline(),
                     self.redial_at, self.keeper.sync_due]
        if self.door is not None:
            deadlines += self.door.deadlines()
        deadlines = [deadline for deadline in deadlines if deadline is not None]
        if not deadlines:
            return None  # nothing is timed: sleep until something happens
        return max(0.0, min(deadlines) - time.monotonic())

    def on_time(self, now: float) -> None:
        if self.keyboard.escape_deadline is not None and now >= self.keyboard.escape_deadline:
            self.core.on_items(self.keyboard.flush(), now)
        if self.door is not None:
            self.door.on_time(now)
        if self.connect_deadline is not None and now >= self.connect_deadline:
            reason = f"timed out after {self.settings.timeout:g} s"
            if self.link is not None:  # connected, but the handshake never came
                self.link.time_out(f"connected, but no chat_curses answered within "
                                   f"{self.settings.timeout:g} s (is something else on that port?)")
            elif self.core.outage is not None:
                self._redial_later()
            else:
                self.core.could_not_connect(reason)
        if self.redial_at is not None and now >= self.redial_at:
            self.redial_at = None
            self._dial()
        self.core.tick(now)
        self._carry_out()

    def on_wake(self, mask: int) -> None:
        for signum in self.waker.drain():
            if signum == getattr(signal, "SIGHUP", None):
                self.core.hang_up()
            elif signum in LEAVING_SIGNALS:
                self.core.leave(LEAVING_SIGNALS[signum])
            elif signum == getattr(signal, "SIGWINCH", None):
                self.screen.follow_terminal_size()
            elif signum == getattr(signal, "SIGTSTP", None):
                self.screen.suspend()
            elif signum == getattr(signal, "SIGCONT", None):
                self.screen.resume()
        if self.dialer is not None:
            self.dialer.on_wake()
        self._carry_out()

    def on_keyboard(self, mask: int = selectors.EVENT_READ) -> None:
        items = self.keyboard.read()
        if items is None:  # the terminal is gone (an SSH session dropped) though no SIGHUP came
            self.core.hang_up()
        else:
            self.core.on_items(items, time.monotonic(), self.keyboard.more_waiting()
                               or self.keyboard.decoder.in_paste)
        self._carry_out()

    def on_partner(self, mask: int) -> None:
        """The partner's connection is writable or readable: every event goes to the core."""
        try:
            if mask & selectors.EVENT_WRITE:
                self.partner.flush()
            if mask & selectors.EVENT_READ:
                for event in self.partner.receive():
                    self.keeper.heard()
                    self.core.received(event, time.monotonic())
                    if self.exit_code is not None:
                        break
        except RemoteProtocolError as error:
            self.core.broke_protocol(error)
        except OSError as error:
            self.core.link_broke(describe_os_error(error), time.monotonic())
        self._carry_out()

    def close(self) -> None:
        """Release every socket and the log; a goodbye still queued gets a moment to leave."""
        if self.link is not None:  # still greeting the server: say goodbye
            with contextlib.suppress(OSError, ProtocolError):
                self.link.conn.send(Bye())
            self.link.close(self.loop, linger=1.0)
        if self.partner is not None:
            self.loop.unwatch(self.partner)
            self.partner.close(linger=1.0)
        if self.door is not None:
            self.door.close()
        if self.dialer is not None:
            self.dialer.close()
        self.core.keep_unsent_draft()
        self.core.history.settle()
        self.keeper.close(self.exit_code)
        if self.settings.log is not None:
            self.settings.log.close()

    # -- carrying out what the core asks --

    def _carry_out(self) -> None:
        while self.core.actions:
            action = self.core.actions.pop(0)
            if action in (LISTEN, DIAL):
                self.keeper.take_up()  # a chat this program was in when it stopped
            self.handlers[action]()
        if self.core.outgoing and self.partner is not None:
            # On disk before on the wire: a message sent, or a message acknowledged,
            # is one the session file already holds, whatever happens next.
            self.keeper.save()
            data, self.core.outgoing = b"".join(self.core.outgoing), []
            try:
                self.partner.write(data)
            except OSError as error:
                self.core.link_broke(describe_os_error(error), time.monotonic())
                self._carry_out()
        self.core.outgoing.clear()  # while the link is down: the messages wait in the outbox

    def _log(self, line: Line) -> None:
        self.keeper.line(line)
        log = self.settings.log
        if log is None:
            return
        try:
            log.write(line)
        except OSError as error:
            self.settings.log = None  # once: the warning below is a history line too
            self.core.warn(f"Stopped writing the log: {describe_os_error(error)}")

    # -- the server: the door --

    def _listen(self) -> None:
        from doors import Door, ListenError

        door = Door(self.loop, self.core.name, self.settings.secret, self.settings.timeout,
                    on_partner=self._on_partner_found, on_ignored=self.core.note_ignored,
                    on_note=self.core.warn,
                    chat=lambda: self.core.protocol if self.core.chatting else None)
        try:
            where = door.open(self.core.host, self.core.port)
        except ListenError as error:
            self.core.listen_failed(str(error))
            return
        self.door = door
        self.core.listening(where)
        if self.core.outage is None:
            hint = reach_hint([sock.getsockname()[0] for sock in door.listeners])
            if hint:
                self.core.history.add(hint)

    def _on_partner_found(self, link: Link) -> None:
        if link.conn.protocol.resumed:
            self._resume(link)
        else:
            self._begin(link)

    # -- the client: dial, then the handshake --

    def _dial(self) -> None:
        if self.core.outage is None:
            self.core.dialing()
        self.connect_deadline = time.monotonic() + self.settings.timeout
        from doors import Dialer

        self.dialer = Dialer(self.core.host, self.core.port, self.loop, self.waker,
                             self._on_connected, self._on_dial_failed)

    def _on_dial_failed(self, reason: str) -> None:
        self.dialer = None
        if self.core.outage is not None:
            self._redial_later()
        else:
            self.connect_deadline = None
            self.core.could_not_connect(reason)

    def _on_connected(self, sock: socket.socket) -> None:
        from doors import Link, format_peer

        self.dialer = None
        try:
            address = format_peer(sock.getpeername())
        except OSError:  # reset in the meantime; the first read will say so
            address = self.core.target
        self.link = Link(sock, Role.CLIENT, address, self.connect_deadline, self.core.name,
                         self.settings.secret, "the server", self._on_handshake_done)
        if self.core.outage is not None:  # take the chat up again
            chat = self.core.protocol
            self.link.conn.protocol.resume(chat.session, chat.delivery, chat.turn)
        else:
            self.core.handshaking()
        self.link.on_ready(0)  # say hello

    def _on_handshake_done(self, link: Link, failure: str | None) -> None:
        self.connect_deadline = None
        self.link = None
        if failure is not None:
            link.close(self.loop)
            if self.core.outage is None:
                self.core.could_not_connect(failure + _secret_hint(failure))
            elif link.chat_over:  # the server no longer has it: start a new one
                self.keeper.drop()
                self.core.start_over(failure)
                self._dial()
            elif link.refused:  # the server will not take the chat up again
                self.core.lost(f"could not resume the chat: {failure}")
            else:
                self._redial_later()
            return
        self.loop.unwatch(link.conn)
        if link.conn.protocol.resumed:
            self._resume(link)
        else:
            self._begin(link)

    def _redial_later(self) -> None:
        """Another try after a growing delay, while the window lasts (the core ends it)."""
        self.connect_deadline = None
        if self.dialer is not None:
            self.dialer.close()
            self.dialer = None
        import random  # here, not at the top: only a broken link needs it

        delay = min(REDIAL_FIRST * 2 ** self.redials, REDIAL_MAX)
        self.redials += 1
        self.redial_at = time.monotonic() + delay * random.uniform(0.8, 1.2)

    def _link_down(self) -> None:
        """The partner's connection broke: close it; the client dials again."""
        if self.partner is not None:
            self.loop.unwatch(self.partner)
            self.partner.close()
            self.partner = None
        if self.settings.role is Role.CLIENT:
            self.redials = 0
            self._redial_later()

    # -- both: the chat --

    def _begin(self, link: Link) -> None:
        self._take(link)
        self.core.connected(link.conn.protocol, link.address, time.monotonic())
        self.keeper.start()
        self.on_partner(selectors.EVENT_READ)  # frames that came with the last of the handshake

    def _resume(self, link: Link) -> None:
        """The same chat on a new connection: what the partner lacks is sent again."""
        if self.partner is not None:  # the old one only looked alive
            self.loop.unwatch(self.partner)
            self.partner.close()
        self._take(link)
        self.redial_at, self.redials = None, 0
        self.core.resumed(link.conn.protocol, link.address, time.monotonic())
        try:
            self.partner.write(link.conn.protocol.delivery.to_resend())
        except OSError as error:
            self.core.link_broke(describe_os_error(error), time.monotonic())
        self.on_partner(selectors.EVENT_READ)

    def _take(self, link: Link) -> None:
        import socket  # (loaded with the door or the dialer already)

        self.partner = link.conn
        with contextlib.suppress(OSError):
            self.partner.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def reach_hint(addresses: list[str]) -> str:
    """Who can reach a server listening on these addresses, in words, when it is not plain."""
    if all(address.startswith("127.") or address == "::1" for address in addresses):
        return ("Only this machine can connect. To chat with another machine, start the "
                "server with --host 0.0.0.0, and a shared secret (--secret-file).")
    if any(address in ("0.0.0.0", "::") for address in addresses):
        found = machine_addresses()
        where = ", ".join(found) if found else "this machine's addresses (see: ip addr)"
        return f"A partner on another machine can connect to {where}."
    return ""


def machine_addresses() -> list[str]:
    """This machine's own addresses, loopback aside (no traffic is sent to find them)."""
    import socket  # (loaded with the door already)

    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, type=socket.SOCK_STREAM)
    except OSError:
        return []
    found = dict.fromkeys(str(info[4][0]) for info in infos)
    return [address for address in found
            if not (address.startswith("127.") or address == "::1" or address.startswith("fe80"))]


def _secret_hint(failure: str) -> str:
    """Our own words after a refusal about the secret, whoever said it."""
    if "secret" not in failure:
        return ""
    return f" (both sides need the same secret: --secret-file PATH or {SECRET_ENV})"


def run(app: App, warnings: Callable[[], list[str]]) -> int:
    """Set the terminal up, run the chat until it ends, and put everything back.

    ``warnings()`` is asked once the screen is up (the terminal type may
    have fallen back by then) for what to show before the first question."""
    waker = Waker()
    try:
        with curses_screen() as window, signals_to(waker):
            loop = EventLoop()
            keyboard = Keyboard(window, None if POLL_KEYBOARD else sys.stdin.fileno())
            app.attach(loop, Screen(window, colour=not os.environ.get("NO_COLOR")), keyboard, waker)
            try:
                app.start(warnings())
                loop.run(app, poll=app.on_keyboard if POLL_KEYBOARD else None,
                         poll_every=KEYBOARD_POLL_SECONDS)
            finally:
                app.close()
    finally:
        waker.close()
    return app.exit_code if app.exit_code is not None else EXIT_FAILURE
