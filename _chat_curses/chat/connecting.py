"""How the chat reaches its partner and keeps it, and what a failed try means.

``Reach`` is the part of ``ChatCore`` that the shell reports to about the
link: the server listening, the client dialing and its handshake, a try
that failed, the chat established, broken, taken up from a file, resumed.
``Dialing`` is the client's policy for its tries, with no clock of its own.

A try is dialing the server and the handshake after it; it must be done
within the timeout (``--timeout``). What a failure means is decided in one
place, ``Reach.handshake_failed``:

- before the chat: every failure is the last word;
- a chat waiting to be resumed:
  - the server no longer has it (``Outcome.CHAT_OVER``): it is given up
    and a new chat starts at once;
  - the server turned it down (``Outcome.REFUSED``, ``WRONG_SECRET``): the
    chat is lost;
  - the link failed (``Outcome.BROKEN``): another try later
    (``Dialing.later``), from about half a second, doubling up to
    ``REDIAL_MAX``, each a fifth more or less (jitter, so that two clients
    do not keep colliding), while the resume window lasts (the core ends it).

Every method that depends on the time takes ``now``; the jitter is a
function passed in, so tests give their own.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from ..text.validate import clean_name
from ..values import Value, settle
from ..wire.events import Role
from .effects import Effect
from .lines import minutes_or_seconds, secret_hint
from .liveness import Liveness

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from ..wire.protocol import Protocol
    from ..wire.record import ChatRecord


class Outcome(str, enum.Enum):
    """How a handshake failed, as far as the chat is concerned."""

    __hash__ = object.__hash__

    BROKEN = "broken"  # the connection failed, closed or went silent: worth another try
    REFUSED = "refused"  # the peer turned us down: busy, its own reason, a protocol error
    WRONG_SECRET = "wrong secret"  # a proof of the secret that did not verify
    CHAT_OVER = "chat over"  # the server no longer has the chat we asked to resume


class Failure(Value):
    """A try that failed: how (``kind``) and why, in words (``reason``)."""

    __slots__ = _fields = _compared = ("reason", "kind")

    def __init__(self, reason: str, kind: Outcome = Outcome.BROKEN) -> None:
        settle(self, "reason", reason)
        settle(self, "kind", kind)


def _no_jitter() -> float:
    return 1.0


class Dialing:
    REDIAL_FIRST, REDIAL_MAX = 0.5, 10.0

    def __init__(self, timeout: float, jitter: Callable[[], float] = _no_jitter) -> None:
        self.timeout = timeout
        self.jitter = jitter  # a factor from 0.8 to 1.2
        self.try_ends: float | None = None  # the try under way must be done by then
        self.connected = False  # the try under way has its connection: the handshake runs
        self.redial_at: float | None = None  # when the next try starts
        self.redials = 0  # tries since the last one that succeeded

    def started(self, now: float) -> None:
        """A try begins: the dialer is on its way."""
        self.try_ends, self.connected, self.redial_at = now + self.timeout, False, None

    def connect(self) -> None:
        """The try's connection is up; its handshake runs."""
        self.connected = True

    def succeeded(self) -> None:
        """A try succeeded (or the partner came back by itself): no more tries for now."""
        self.try_ends = self.redial_at = None
        self.connected, self.redials = False, 0

    def failed(self) -> None:
        """The try under way failed (what that means is ``Reach.handshake_failed``'s)."""
        self.try_ends, self.connected = None, False

    def later(self, now: float) -> None:
        """Another try, after a growing delay."""
        delay = min(self.REDIAL_FIRST * 2 ** self.redials, self.REDIAL_MAX)
        self.redials += 1
        self.redial_at = now + delay * self.jitter()

    def link_broke(self, now: float) -> None:
        """The chat's link broke: the first try again comes soon."""
        self.redials = 0
        self.later(now)

    def stop(self) -> None:
        """No more tries: the chat is over, or no longer waits for this one."""
        self.try_ends = self.redial_at = None

    def deadline(self) -> float | None:
        due = [time for time in (self.try_ends, self.redial_at) if time is not None]
        return min(due) if due else None

    def timed_out(self, now: float) -> Failure | None:
        """The try under way ran out of time: its failure, in words."""
        if self.try_ends is None or now < self.try_ends:
            return None
        if self.connected:  # connected, but the handshake never came
            return Failure(f"connected, but no chat_curses answered within {self.timeout:g} s "
                           f"(is something else on that port?)")
        return Failure(f"timed out after {self.timeout:g} s")

    def redial_due(self, now: float) -> bool:
        if self.redial_at is not None and now >= self.redial_at:
            self.redial_at = None
            return True
        return False


class Reach:
    """The part of a ``ChatCore`` that reaches the partner and keeps the link.

    Each method is a report from the shell (or, for ``link_broke``, from the
    core itself: a partner gone silent); what follows is decided here or in
    ``Dialing``, and comes out as lines, effects and the chat's state.
    """

    def __init__(self, core, tries: Dialing) -> None:  # a ChatCore
        self.core = core
        self.tries = tries  # the client's

    # -- before the chat --

    def listening(self, where: str, hint: str = "") -> None:
        """The server's door is open on ``where``; ``hint`` says who can reach it."""
        core = self.core
        core.phase = f"waiting on {where}"
        if core.outage is None:  # not a chat taken up from its session file
            core.history.add("Trying to connect to another user...")
            if hint:
                core.history.add(hint)
            core.note = "Waiting for a partner to connect..."

    def listen_failed(self, reason: str) -> None:
        """The server cannot listen: ask again for what was asked, else fail."""
        core = self.core
        if not core.setup.ask_again_for_the_address():
            core.fail(reason)
            return
        core.history.add(reason, "warning")

    def note_ignored(self, address: str, reason: str) -> None:
        """The door turned a stranger away."""
        self.core.strangers.note(address, reason)

    def dialing(self, now: float) -> None:
        """The client's try has begun (``Effect.DIAL`` carried out)."""
        core = self.core
        self.tries.started(now)
        if core.outage is None:
            core.history.add("Trying to connect to server....")
            core.phase, core.note = f"connecting to {core.target}", f"Connecting to {core.target}..."

    def handshaking(self) -> None:
        """The client's try has its connection; the handshake runs."""
        core = self.core
        self.tries.connect()
        if core.outage is None:
            core.phase = f"handshake with {core.target}"

    def dial_failed(self, reason: str, now: float) -> None:
        """The client's try found no connection (refused, no route, no such name)."""
        self.handshake_failed(Failure(reason), now)

    def handshake_failed(self, failure: Failure, now: float) -> None:
        """The client's try failed: what it means (the module's words say it)."""
        core = self.core
        self.tries.failed()
        if core.outage is None:  # before the chat: the last word
            core.fail(f"Could not connect to {core.target}: "
                      f"{failure.reason}{secret_hint(failure.reason)}")
        elif failure.kind is Outcome.CHAT_OVER:  # the server no longer has it: a new chat
            core.history.add(f"The chat with {core.peer_name} cannot be resumed "
                             f"({failure.reason}); a new chat starts.", "warning")
            core.chat = core.liveness = None
            core.actions += [Effect.FORGET_SAVED, Effect.DIAL]
        elif failure.kind is not Outcome.BROKEN:  # turned down: the chat is lost
            core.lost(f"could not resume the chat: {failure.reason}")
        else:  # another try, later
            self.tries.later(now)

    # -- the chat's link --

    def connected(self, protocol: Protocol, address: str, now: float) -> None:
        """The handshake is done: the chat begins."""
        core = self.core
        core.protocol, core.chat, core.peer_address = protocol, protocol.chat, address
        core.peer_name = clean_name(core.chat.peer)
        self.tries.succeeded()
        core.liveness = Liveness(core.settings.heartbeat, core.settings.resume_window, now)
        core.history.add("Connection established.")
        core.history.add(f"You are chatting with {core.peer_name} ({address}).")
        core.note = f"Waiting for {core.peer_name}..."
        core.waiting_since = now

    def restore(self, chat: ChatRecord, address: str, lines: list[tuple[str, str]],
                silent_for: float, now: float) -> None:
        """Take up a chat this program was in when it stopped (its session file):
        show its history again and wait for the link, as after a broken one.
        ``silent_for``: seconds since the partner was last heard from."""
        core = self.core
        for text, kind in lines:
            core.history.add(text, kind)
        core.chat, core.peer_address = chat, address
        core.peer_name = clean_name(chat.peer)
        core.note = f"Waiting for {core.peer_name}..."
        core.waiting_since = now
        core.liveness = Liveness(core.settings.heartbeat, core.settings.resume_window, now)
        core.liveness.lost_while_stopped(now, silent_for,
                                         "the link was lost while this program was stopped")
        window = minutes_or_seconds(max(core.settings.resume_window - silent_for, 0))
        core.history.add(f"Resuming the chat with {core.peer_name}; it waits up to {window} more.")

    def resumed(self, protocol: Protocol, address: str, now: float) -> None:
        """A new connection has taken the chat up where the old one left it:
        what the partner lacks of ours goes again, in order."""
        core = self.core
        core.protocol, core.peer_address = protocol, address
        self.tries.succeeded()
        core.liveness.up(now)
        core.history.add(f"Reconnected to {core.peer_name} ({address}).")
        core.outgoing.append(protocol.resend())

    def link_broke(self, reason: str, now: float) -> None:
        """The connection died without a goodbye: wait for the chat to be resumed, or end it."""
        core = self.core
        if core.outage is not None or core.exit_code is not None:
            return
        if not core.liveness.down(now, reason):
            core.lost(reason)  # no window: the chat ends at once
            return
        core.protocol = None
        core.actions.append(Effect.LINK_DOWN)
        window = minutes_or_seconds(core.settings.resume_window)
        core.history.add(f"Connection lost: {reason}", "warning")
        if core.role is Role.CLIENT:
            self.tries.link_broke(now)
            core.history.add(f"Reconnecting to {core.target}; the chat waits up to {window}.")
        else:
            core.history.add(f"Waiting for {core.peer_name} to come back, up to {window}.")

    # -- time --

    def deadline(self) -> float | None:
        return self.tries.deadline()

    def tick(self, now: float) -> None:
        """A try that ran out of time fails; the next try starts when it is due."""
        failure = self.tries.timed_out(now)
        if failure is not None:
            self.core.actions.append(Effect.CANCEL_DIAL)
            self.handshake_failed(failure, now)
        if self.tries.redial_due(now):
            self.core.actions.append(Effect.DIAL)
