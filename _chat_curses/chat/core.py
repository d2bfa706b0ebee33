"""The chat's own logic, with no curses and no sockets: a functional core.

``ChatCore`` is to the chat what ``wire.protocol.Protocol`` is to the wire.
It takes events (keys as ``text.keys`` decodes them, the partner's decoded
frames, a link that broke, the time now) and keeps what follows from them:
the history, the status bar, the input line, whose turn it is, when a ping
is due, when the partner counts as gone, and how the chat ends. What it
wants done in the world it leaves for the shell (``shell.app.App``) to carry out:

- ``outgoing``: bytes for the partner, already encoded by its ``Protocol``;
- ``actions``: ``effects.Effect`` values: ``LISTEN`` or ``DIAL`` once the
  setup questions are answered, ``DIAL`` again when a broken link is to be
  tried again, ``CANCEL_DIAL`` when a try runs out of time, ``LINK_DOWN``,
  ``REPAINT`` (Ctrl-L), ``SUSPEND`` (Ctrl-Z), ``BELL``...;
- ``exit_code``: set when the program should end;
- ``frame(now)``: what the screen should show.

It decides; the shell carries out. When to dial again, when to give up,
what a failed handshake means (``connecting.Reach``, ``dialing.Dialing``), when the partner
counts as gone and how long a broken chat waits (``liveness.Liveness``):
all here, none in the shell, which reports what happened to the link to ``reach``
(``connecting.Reach``: ``dialing``, ``dial_failed``, ``handshake_failed``,
``connected``...; ``Reach.link``, a ``keeping.KeptLink``: ``broke``...) and the rest here.

Every method that depends on the time takes ``now`` (``time.monotonic()``),
so tests drive it with whatever clock they like and read the frame it
would draw, as ``Protocol`` is tested with bytes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from ..limits import MAX_REASON_CHARS
from ..text.editor import LineEditor
from ..text.history import History, Scrollback
from ..text.keys import Item
from ..text.validate import ValidationError, check_message, clean
from ..values import earliest
from ..wire.events import (
    GIVEN_UP,
    Bye,
    ConnectionClosed,
    Event,
    LocalProtocolError,
    Message,
    Ping,
    ProtocolError,
    Role,
    Typing,
)
from .effects import EXIT_FAILURE, EXIT_HANGUP, EXIT_OK, Effect
from .frame import Frame, frame_of
from .keymap import TYPING_SHOWN, Keys
from .lines import (
    StrangerNotes,
    add_digest,
    as_invalid_input,
    format_message,
    goodbye,
)
from .setup import Settings, Setup

# The protocol comes with the first connection, the way to the partner once the
# questions are answered: the first prompt need not wait for them.
TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from ..wire.protocol import Protocol
    from ..wire.record import ChatRecord
    from .connecting import Reach
    from .liveness import Liveness, Outage


class ChatCore:
    def __init__(self, settings: Settings, jitter: Callable[[], float] | None = None) -> None:
        self.settings, self.role = settings, settings.role
        self.history = History()
        self.setup = Setup(settings, self.history)
        self.strangers = StrangerNotes(self.history)
        self.scrollback = Scrollback()
        self.editor = LineEditor()
        self.keys = Keys(self)
        self.pane = (80, 22)  # the history pane's width and height, kept current by the shell
        self.exit_code: int | None = None
        self.outgoing: list[bytes] = []
        self.actions: list[Effect] = []
        self.phase = "setting up"  # for the status bar, before the chat
        self.note = ""  # what the input line says while it is locked
        self.chat: ChatRecord | None = None  # the chat, once a handshake began it (or a file kept it)
        self.protocol: Protocol | None = None  # the partner's connection's, while the link is up
        self.peer_name = self.peer_address = ""
        self.waiting_since = 0.0  # since when the partner has had the turn
        self.scrolled_at = 0  # the history's length when the view was scrolled back
        self.peer_typing_until = 0.0  # the partner's typing notice shows until then
        self.jitter = jitter or _jitter  # the redial delay's random factor
        self.reach: Reach | None = None  # the way to the partner, once the address is known
        self.looked_for: tuple | None = None  # the address and port a saved chat was looked for
        self.liveness: Liveness | None = None  # whether the link is up, once there is a chat

    # -- setting up --

    def start(self) -> None:
        self._next_step(self.setup.start())

    def warn(self, text: str) -> None:
        self.history.add(text, "warning")

    def _next_step(self, done: bool) -> None:
        """After a question: once the address is known, a chat saved for it is looked
        for first (it answers the questions left); once all are answered, the way to
        the partner begins."""
        where = (self.setup.host, self.setup.port)  # known before the questions are done
        if None not in where and where != self.looked_for:
            if self.reach is None:
                from .connecting import Dialing, Reach  # here, not at the top: questions first

                self.reach = Reach(self, Dialing(self.settings.timeout, self.jitter))
            self.looked_for = where
            self.actions.append(Effect.RESTORE)
        if done and not (self.reach is not None and self.reach.farewell.trying):
            self.actions.append(Effect.LISTEN if self.role is Role.SERVER else Effect.DIAL)

    @property
    def host(self) -> str | None:
        return self.setup.host

    @property
    def port(self) -> int | None:
        return self.setup.port

    @property
    def name(self) -> str | None:
        return self.setup.name

    # -- the chat: what the partner does --

    def received(self, event: Event, now: float) -> None:
        """An event from the partner, decoded and checked by its Protocol."""
        if self.chat is None:  # the link of a chat given up, being told it is over
            return self.reach.farewell.heard(event)
        self.reach.link.heard(now, deaf=isinstance(event, Ping) and event.deaf)
        if isinstance(event, Typing):
            self.peer_typing_until = now + TYPING_SHOWN
        elif isinstance(event, Message):
            self.peer_typing_until = 0.0
            self.history.add(format_message(event.sent, self.peer_name, event.text), "peer")
            if not self.settings.quiet:
                self.actions.append(Effect.BELL)  # your turn: heard in another tmux window, over SSH
        elif isinstance(event, Bye) and event.reason == GIVEN_UP:
            self.reach.farewell.given_up()
        elif isinstance(event, Bye) and not event.reason:
            self.reach.farewell.partner_ended = True  # nothing to prove to it later
            goodbye(self.history, self.chat, self.peer_name)
            self.exit_code = EXIT_OK
        elif isinstance(event, Bye):
            self.reach.farewell.partner_ended = True
            # A reason is the partner's own words, shown as theirs, never as our diagnosis.
            self.lost(f"{self.peer_name} closed the connection; "
                      f"{self.peer_name} said: {clean(event.reason)}")
        elif isinstance(event, ConnectionClosed):
            self.reach.link.broke("the connection was closed without a goodbye", now)

    def broke_protocol(self, error: ProtocolError) -> None:
        """The partner sent something the protocol does not allow: tell it why, and stop."""
        if self.chat is None:  # the link of a chat given up: it is over all the same
            return self.reach.farewell.done(told=True)
        self._send_event(Bye(f"protocol error: {error}"[:MAX_REASON_CHARS]))
        self.lost(f"{self.peer_name} broke the protocol: {error}")

    def lost(self, reason: str) -> None:
        """The link to the partner is gone."""
        add_digest(self.history, self.chat)
        self.fail(f"Connection lost: {reason}")

    def hang_up(self) -> None:
        """The terminal is gone (SIGHUP): stop, but leave the chat to be resumed."""
        if self.exit_code is not None:
            return
        if self.chatting:
            self.history.add(f"The terminal hung up; start again within the window to "
                             f"take the chat with {self.peer_name} up again.")
        self.exit_code = EXIT_HANGUP

    # -- time --

    def deadline(self) -> float | None:
        """When ``tick`` has something to do next: a try's end or the next try, a
        ping, giving up on a silent partner, the end of the window for resuming,
        or a refused key's note."""
        if self.reach is None:
            return None  # the questions are still being asked: nothing is timed
        if not self.chatting:
            return self.reach.deadline()
        return earliest(self.reach.deadline(), self.liveness.deadline(),
                        self.keys.refused_until or None, self.peer_typing_until or None)

    def tick(self, now: float) -> None:
        if self.exit_code is not None or self.reach is None:
            return
        self.reach.tick(now)
        if not self.chatting:
            return
        self.keys.tick(now)
        if self.peer_typing_until and now >= self.peer_typing_until:
            self.peer_typing_until = 0.0
        self.reach.link.tick(now)
        if self.liveness.ping_due(now):  # (saying so while we hear nothing)
            self._send_event(Ping(deaf=self.liveness.suspected), now)

    # -- keys --

    def on_items(self, items: list[Item], now: float, more_waiting: bool = False) -> None:
        """Keys, text and pastes from the keyboard, in the order typed (see ``Keys``)."""
        self.keys.on_items(items, now, more_waiting)

    def taken_up(self, name: str) -> None:
        """A saved chat was taken up (``Reach.restore``): it answers the questions left."""
        self._next_step(self.setup.taken_up(name))

    def submit(self, now: float) -> None:
        if self.setup.question is not None:
            self._next_step(self.setup.answer(self.editor.take()))
        elif self.input_open:
            self._send(self.editor.text, now)
        elif self.chatting:
            self.keys.refused(now)

    # -- sending --

    def _send(self, text: str, now: float) -> None:
        if text.strip() == "end":
            self.editor.take()
            self.leave(EXIT_OK)
            return
        try:
            check_message(text)
            sent = int(time.time())
            if self.linked:
                self._send_event(Message(text, sent), now)
            else:  # it waits in the chat's outbox for the link to come back
                self.chat.post(Message(text, sent), self.role)
            self.liveness.posted(now)
        except (ValidationError, LocalProtocolError) as error:
            self.history.add(as_invalid_input(error), "warning")
            if not text.strip():
                self.editor.take()  # nothing worth keeping; a long text stays to be cut
            return
        self.editor.take()
        self.editor.remember(text)
        self.history.add(format_message(sent, self.name, text), "own")
        self.waiting_since = now
        self.scrollback.follow()

    def _send_event(self, event: Event, now: float | None = None) -> None:
        """Encode an event for the partner (raising LocalProtocolError if illegal now)."""
        self.outgoing.append(self.protocol.send(event))
        if now is not None:
            self.liveness.sent(now)

    # -- endings --

    def leave(self, code: int) -> None:
        """Leave by choice (end, Ctrl-D, Ctrl-C, a signal): tell the partner, then stop."""
        if self.exit_code is not None:
            return
        if self.chatting:
            if self.protocol is not None:
                with contextlib.suppress(ProtocolError):
                    self._send_event(Bye())
            goodbye(self.history, self.chat, self.name)
        else:
            self.history.add("Cancelled before the chat began.")
        self.exit_code = code

    def fail(self, line: str) -> None:
        """The chat cannot go on: the line says why, and the program ends with 1."""
        self.history.add(line, "error")
        self.exit_code = EXIT_FAILURE
        if self.reach is not None:
            self.reach.tries.stop()

    # -- what the screen shows --

    def frame(self, now: float) -> Frame:
        return frame_of(self, now)

    # -- state --

    @property
    def outage(self) -> Outage | None:
        """The link is down, and the chat waits to be resumed."""
        return self.liveness.outage if self.liveness is not None else None

    @property
    def chatting(self) -> bool:
        return self.chat is not None and self.exit_code is None

    @property
    def linked(self) -> bool:
        """The chat is on and its link is up."""
        return self.chatting and self.protocol is not None

    @property
    def our_turn(self) -> bool:
        return self.chat is not None and self.chat.turn is self.role

    @property
    def typing_message(self) -> bool:
        """The chat is on, and the input takes our message (``chatting and our_turn``)."""
        chat = self.chat
        return chat is not None and chat.turn is self.role and self.exit_code is None

    @property
    def input_open(self) -> bool:
        return self.setup.question is not None or self.typing_message


def _jitter() -> float:
    """A factor from 0.8 to 1.2, so that two clients redialling do not keep colliding."""
    import random  # here, not at the top: only a broken link needs it

    return random.uniform(0.8, 1.2)
