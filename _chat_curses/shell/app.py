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
import os
import signal
import sys
import time
from collections.abc import Callable

from ..chat.core import ChatCore
from ..chat.effects import EXIT_FAILURE, Effect
from ..chat.lines import describe_os_error, unsent_draft
from ..chat.setup import Settings
from ..text.history import PRIVATE, Line
from ..values import earliest
from ..wire.events import BrokenRecord, RemoteProtocolError, Role
from .keeper import SessionKeeper
from .loop import LEAVING_SIGNALS, READ, WRITE, EventLoop, Waker, signals_to
from .paint import painter_for
from .screen import Screen
from .terminal import KEYBOARD_POLL_SECONDS, POLL_KEYBOARD, Keyboard, curses_screen

# The door, the dialer and the handshake serve only once the questions are
# answered: they are imported then (in _listen, _dial and _on_connected), so
# the first prompt does not wait for them and for what they bring (socket,
# threading).
TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import socket
    import threading

    from ..chat.dialing import Failure
    from ..wire.connection import Connection
    from .dialer import Dialer
    from .link import Link
    from .listener import Door


class App:
    def __init__(self, settings: Settings, listeners: list[socket.socket] | None = None) -> None:
        self.settings, self.listeners = settings, listeners  # (the server's, open already)
        self.core = ChatCore(settings)
        self.core.history.on_add = self._log
        self.door: Door | None = None
        self.dialer: Dialer | None = None
        self.link: Link | None = None  # the client's connection during its handshake
        self.partner: Connection | None = None
        self.warming: threading.Thread | None = None  # loads the cryptography
        self.keeper = SessionKeeper(self.core, settings)

    @property
    def exit_code(self) -> int | None:
        return self.core.exit_code

    def attach(self, loop: EventLoop, screen: Screen, keyboard: Keyboard, waker: Waker) -> None:
        self.loop, self.screen, self.keyboard, self.waker = loop, screen, keyboard, waker
        self.handlers = {  # what the core may ask
            Effect.RESTORE: self.keeper.take_up, Effect.LISTEN: self._listen,
            Effect.DIAL: self._dial, Effect.CANCEL_DIAL: self._cancel_dial,
            Effect.LINK_DOWN: self._link_down, Effect.FORGET_SAVED: self.keeper.drop,
            Effect.FORGET_OVER: self.keeper.forget_over,
            Effect.REPAINT: screen.repaint, Effect.SUSPEND: screen.suspend,
            Effect.BELL: screen.bell, Effect.FLASH: screen.flash,
        }
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
        """Draw first (what came shows at once), then make ready for the next sleep."""
        now = time.monotonic()
        # (While the terminal is too small, nothing but leaving acts: nothing else shows.)
        self.core.pane, self.core.keys.only_leaving = self.screen.measure()
        self.screen.draw(self.core.frame(now))
        if self.door is not None:
            self.door.before_sleep(now)
        if self.link is not None and not self.link.closed:
            self.loop.watch(self.link.conn, self.link.on_ready, write=self.link.conn.wants_write)
        if self.partner is not None:
            self.loop.watch(self.partner, self.on_partner, write=self.partner.wants_write)
        if self.warming is None:  # the first prompt is drawn: load the cryptography meanwhile
            self.warming = warm_up_in_background()
        self.keeper.flush(now)  # once drawn (what was sent is written; what came, not yet acked)

    def seconds_to_deadline(self) -> float | None:
        now = time.monotonic()
        due = earliest(self.keyboard.escape_deadline, self.core.deadline(), self.keeper.sync_due,
                       *(self.door.deadlines() if self.door is not None else ()))
        if due is None:
            return None  # nothing is timed: sleep until something happens
        return max(0.0, due - now)

    def on_time(self, now: float) -> None:
        if self.keyboard.escape_deadline is not None and now >= self.keyboard.escape_deadline:
            self.core.on_items(self.keyboard.flush(), now)
        if self.door is not None:
            self.door.on_time(now)
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

    def on_keyboard(self, mask: int = READ) -> None:
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
            if mask & WRITE:
                self.partner.flush()
            if mask & READ:
                for event in self.partner.receive():
                    self.keeper.heard()
                    self.core.received(event, time.monotonic())
                    if self.exit_code is not None:
                        break
        except BrokenRecord as error:  # changed or cut on the way: the link, not the partner
            self.core.reach.link.broke(str(error), time.monotonic())
        except RemoteProtocolError as error:
            self.core.broke_protocol(error)
        except OSError as error:
            self.core.reach.link.broke(describe_os_error(error), time.monotonic())
        self._carry_out()

    def close(self) -> None:
        """Release every socket and the log; a goodbye still queued gets a moment to leave."""
        if self.link is not None:  # still greeting the server
            self.link.leave(self.loop)
        self._link_down(linger=1.0)
        if self.door is not None:
            self.door.close()
        if self.dialer is not None:
            self.dialer.close()
        if self.core.chat is not None and (line := unsent_draft(self.core.editor.text)):
            self.core.history.add(line, "warning")  # the chat ends with a message half typed
        self.core.history.settle()
        self.keeper.close(self.exit_code)
        if self.settings.log is not None:
            self.settings.log.close()

    # -- carrying out what the core asks --

    def _carry_out(self) -> None:
        while self.core.actions:
            self.handlers[self.core.actions.pop(0)]()
        if self.core.outgoing and self.partner is not None:
            # On disk before on the wire: a message sent, or a message acknowledged,
            # is one the session file already holds, whatever happens next.
            self.keeper.save()
            data, self.core.outgoing = b"".join(self.core.outgoing), []
            try:
                self.partner.write(data)
            except OSError as error:
                self.core.reach.link.broke(describe_os_error(error), time.monotonic())
                self._carry_out()
        self.core.outgoing.clear()  # while the link is down: the messages wait in the outbox

    def _log(self, line: Line) -> None:
        if line.kind == PRIVATE:  # shown on this screen, never written (the pairing code)
            return
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
        from .listener import Door, ListenError

        reach = self.core.reach
        door = Door(self.loop, self.core.name, self.settings.timeout,
                    on_partner=self._found, on_ignored=reach.note_ignored,
                    on_note=self.core.warn,
                    chat=lambda: self.core.chat if self.core.chatting else None,
                    over=lambda: reach.farewell.holds,
                    secret=self.settings.secret, code=lambda: reach.code,
                    require_code=self.settings.require_code, on_wrong_code=reach.wrong_code)
        try:
            where = door.open(self.core.host, self.core.port, self.listeners)
        except ListenError as error:
            self.core.reach.listen_failed(str(error))
            return
        self.door = door
        self.core.reach.listening(where, door.reach_hint())

    def _found(self, link: Link) -> None:
        """A handshake is done (either side): the chat begins, or goes on where it was."""
        import socket  # (loaded with the door or the dialer already)

        self._link_down()  # an old connection, if any, only looked alive
        self.partner = link.conn
        with contextlib.suppress(OSError):
            self.partner.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.core.reach.found(link.protocol, link.address, time.monotonic(), link.proven.phrase):
            self.keeper.start()  # a new chat: its session file
        self.on_partner(READ)  # frames that came with the last of the handshake

    # -- the client: dial, then the handshake (the core decides what a failure means) --

    def _dial(self) -> None:
        from .dialer import Dialer

        tries = self.core.reach.tries
        self.dialer = Dialer(self.core.host, self.core.port, self.loop, self.waker,
                             self._on_connected, self._on_dial_failed,
                             lambda: tries.looked_up(time.monotonic()), tries.small_segments)
        self.core.reach.dialing(time.monotonic())

    def _on_dial_failed(self, reason: str, refused: bool) -> None:
        self.dialer = None
        self.core.reach.dial_failed(reason, time.monotonic(), refused)
        self._carry_out()

    def _on_connected(self, sock: socket.socket) -> None:
        from ..wire.handshake import Handshake
        from .link import Link, format_peer

        self.dialer = None
        try:
            address = format_peer(sock.getpeername())
        except OSError:  # reset in the meantime; the first read will say so
            address = self.core.reach.target
        self.link = Link(sock, Role.CLIENT, address, self.core.reach.farewell.hello_name(),
                         "the server", self._on_handshake_done,
                         handshake=Handshake(Role.CLIENT, *self.core.reach.bring()),
                         chat=self.core.chat or self.core.reach.farewell.chat)  # once proved
        self.core.reach.handshaking(time.monotonic())
        self.link.on_ready(0)  # say hello

    def _on_handshake_done(self, link: Link, failure: Failure | None) -> None:
        self.link = None
        if failure is not None:
            link.close(self.loop)
            self.core.reach.handshake_failed(failure, time.monotonic())
        else:
            self.loop.unwatch(link.conn)
            self._found(link)
        self._carry_out()

    def _cancel_dial(self) -> None:
        """The try under way ran out of time: drop it, whichever part it had reached."""
        if self.dialer is not None:
            self.dialer.close()
            self.dialer = None
        if self.link is not None:
            self.link.close(self.loop)
            self.link = None

    def _link_down(self, linger: float = 0.0) -> None:
        """The partner's link broke: close it (``linger``: for a goodbye on the way out)."""
        if self.partner is not None:
            self.loop.unwatch(self.partner)
            self.partner.close(linger)
            self.partner = None


def warm_up_in_background() -> threading.Thread:
    """Load the cryptography in a thread while a person answers the prompts, or the
    server waits for its partner: the first handshake then need not wait for it.
    Not a daemon: the interpreter waits for it on the way out (a few hundredths of
    a second at most), since a daemon thread stopped inside the Rust extension's
    import would abort the whole process ("FATAL: exception not rethrown")."""
    import threading

    from ..wire.handshake import warm_up

    thread = threading.Thread(target=warm_up, name="warm-up")
    thread.start()
    return thread


def run(app: App, warnings: Callable[[], list[str]]) -> int:
    """Set the terminal up, run the chat until it ends, and put everything back.

    ``warnings()`` is asked once the screen is up (the terminal type may
    have fallen back by then) for what to show before the first question."""
    waker = Waker()
    try:
        with curses_screen() as window, signals_to(waker):
            loop = EventLoop()
            keyboard = Keyboard(window, None if POLL_KEYBOARD else sys.stdin.fileno())
            screen = Screen(window, colour=not os.environ.get("NO_COLOR"),
                            painter=painter_for(window, through_curses=POLL_KEYBOARD))
            app.attach(loop, screen, keyboard, waker)
            try:
                app.start(warnings())
                loop.run(app, poll=app.on_keyboard if POLL_KEYBOARD else None,
                         poll_every=KEYBOARD_POLL_SECONDS)
            finally:
                app.close()
    finally:
        waker.close()
    return app.exit_code if app.exit_code is not None else EXIT_FAILURE
