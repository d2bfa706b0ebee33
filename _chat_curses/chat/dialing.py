"""The client's tries to reach the server, and how one failed. No clock of its own.

A try is dialing the server and the handshake after it; it must be done
within the timeout (``--timeout``). ``Dialing`` keeps when the try under way
must end and when the next is due: while a chat waits to be resumed, another
try comes later (``later``): the first a quarter of a second after the link
broke, then about every second (``REDIAL_EVERY``), as mosh does, so that the
chat resumes within a second of the network coming back; each a fifth more or
less (jitter, so that two clients do not keep colliding), counted from the
start of the last try. While resuming, a connection that is not up within
``CONNECT_WAIT`` of the address being looked up (``looked_up``; a slow name
server has the whole timeout), or, once the link is down, whose handshake
is not done within ``HANDSHAKE_WAIT`` of it, is given up for a fresh one
(beside a link that still looks up, the handshake has the whole timeout:
on a lossy network the server may already have taken the new path up, and
a try given up then would break both): on a network that
drops everything, a connect waits for the kernel's SYN retries (1, 3, 7
s...), and a fresh try after the network is back answers at once. Before
the chat, a connection refused (a server not started yet: people start the
two in either order) is tried again the same way until the timeout has
passed since the first try (``patient``). A person may ask for the next try
at once (``now``). What a failure (``Failure``, its
``Outcome``) means for the chat is ``connecting.Reach.handshake_failed``'s.

Every method that depends on the time takes ``now``; the jitter is a
function passed in, so tests give their own.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from ..values import Value, earliest, settle


class Outcome(str, enum.Enum):
    """How a handshake failed, as far as the chat is concerned."""

    __hash__ = object.__hash__

    BROKEN = "broken"  # the connection failed, closed or went silent: worth another try
    REFUSED = "refused"  # the peer turned us down: busy, its own reason, an old protocol
    WRONG_CODE = "wrong code"  # the pairing code did not prove the key
    WRONG_SECRET = "wrong secret"  # the shared secret did not prove the key
    NOT_PROVEN = "not proven"  # no resume secret for this chat, or a changed handshake
    CHAT_OVER = "chat over"  # the server says it does not have the chat we asked to resume
    NOT_LISTENING = "not listening"  # refused: no server there, or not yet


class Failure(Value):
    """A try that failed: how (``kind``) and why, in words (``reason``)."""

    __slots__ = _fields = _compared = ("reason", "kind")

    def __init__(self, reason: str, kind: Outcome = Outcome.BROKEN) -> None:
        settle(self, "reason", reason)
        settle(self, "kind", kind)


def _no_jitter() -> float:
    return 1.0


class Dialing:
    REDIAL_FIRST, REDIAL_EVERY = 0.25, 1.0
    CONNECT_WAIT = 1.0  # while resuming: a connection not up by then is tried afresh
    HANDSHAKE_WAIT = 2.0  # while resuming: a handshake not done by then is tried afresh

    def __init__(self, timeout: float, jitter: Callable[[], float] = _no_jitter) -> None:
        self.timeout = timeout
        self.jitter = jitter  # a factor from 0.8 to 1.2
        self.try_ends: float | None = None  # the try under way must be done by then
        self.connected = False  # the try under way has its connection: the handshake runs
        self.redial_at: float | None = None  # when the next try starts
        self.redials = 0  # tries since the last one that succeeded
        self.started_at: float | None = None  # when the last try began
        self.resuming = False  # the try under way is one to take a chat up again
        self.step_ends: float | None = None  # while resuming: its connect or handshake ends
        self.small_segments = False  # ask for small TCP segments: big packets get lost
        self.patience_ends: float | None = None  # the first connection's tries end by then
        self.beside = False  # the try under way is beside a link that still looks up
        self.connected_at = 0.0  # when its connection came up

    def started(self, now: float, resuming: bool = False, beside: bool = False) -> None:
        """A try begins: the dialer is on its way (``resuming``: a chat waits for it;
        ``beside``: beside its link, which still looks up)."""
        self.try_ends, self.connected, self.redial_at = now + self.timeout, False, None
        self.started_at, self.resuming, self.step_ends = now, resuming, None
        self.beside, self.connected_at = beside, now
        if self.patience_ends is None and not resuming:
            self.patience_ends = now + self.timeout

    def looked_up(self, now: float) -> None:
        """The try's address is known; its connect begins."""
        if self.resuming and self.try_ends is not None:
            self.step_ends = now + self.CONNECT_WAIT

    @property
    def under_way(self) -> bool:
        """A try is under way (dialing, or its handshake)."""
        return self.try_ends is not None

    @property
    def busy(self) -> bool:
        """A try is under way, or the next is due."""
        return self.try_ends is not None or self.redial_at is not None

    def connect(self, now: float) -> None:
        """The try's connection is up; its handshake runs."""
        self.connected, self.connected_at = True, now
        self.step_ends = None  # (the connect's own wait is over)
        if self.resuming and not self.beside and self.try_ends is not None:
            self.step_ends = now + self.HANDSHAKE_WAIT

    def succeeded(self) -> None:
        """A try succeeded (or the partner came back by itself): no more tries for now."""
        self.try_ends = self.redial_at = None
        self.connected, self.redials = False, 0

    def failed(self) -> None:
        """The try under way failed (what that means is ``Reach.handshake_failed``'s)."""
        self.try_ends, self.connected = None, False

    def later(self, now: float) -> None:
        """Another try, soon: about a second after the last began."""
        if self.redials == 0 or self.started_at is None:
            self.redial_at = now + self.REDIAL_FIRST * self.jitter()
        else:
            self.redial_at = max(now, self.started_at + self.REDIAL_EVERY * self.jitter())
        self.redials += 1

    def patient(self, now: float) -> bool:
        """Before the chat, after a refusal: another try still fits in the timeout."""
        return self.patience_ends is not None and now + self.REDIAL_EVERY < self.patience_ends

    def seconds_left(self, now: float) -> float:
        """Before the chat: how long the tries for the first connection go on."""
        return max(0.0, (self.patience_ends or now) - now)

    def now(self, now: float) -> bool:
        """The next try, at once (a person asked); False if one is under way already."""
        if self.redial_at is None:
            return False
        self.redial_at = now
        return True

    def link_broke(self, now: float) -> None:
        """The chat's link broke: the first try again comes soon (or, with one under
        way beside it, that one's handshake now has ``HANDSHAKE_WAIT`` from its connect)."""
        if self.try_ends is not None:
            if self.beside and self.connected:
                self.step_ends = self.connected_at + self.HANDSHAKE_WAIT
            self.beside = False
            return
        self.redials = 0
        self.later(now)

    def hurry(self, now: float) -> None:
        """The try under way, beside a link that has just closed, has ``HANDSHAKE_WAIT``
        more (not the rest of the timeout) to be done."""
        if self.try_ends is not None and self.connected:
            self.beside, self.step_ends = False, now + self.HANDSHAKE_WAIT

    def stop(self) -> None:
        """No more tries: the chat is over, or no longer waits for this one."""
        self.try_ends = self.redial_at = None

    def deadline(self) -> float | None:
        if self.try_ends is None:  # (no try under way: the usual case, asked at every turn)
            return self.redial_at
        return earliest(self.try_ends, self.redial_at, self.step_ends)

    def timed_out(self, now: float) -> Failure | None:
        """The try under way ran out of time: its failure, in words."""
        if self.try_ends is not None and self.step_ends is not None and now >= self.step_ends:
            what = "no answer to the handshake" if self.connected else "no connection"
            return Failure(f"{what} within {now - self.started_at:g} s; trying afresh")
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
