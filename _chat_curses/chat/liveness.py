"""Whether the link to the partner is up, and what is due about it. No clock of its own.

While a connection carries the chat, a ping goes out after ``period``
seconds (a second) without sending anything. A link from which no whole
frame came for ``SUSPECT_AFTER`` periods is suspected (``suspect``): the
client tries a new path beside it, and whichever proves itself first
carries the chat; after ``DEAD_AFTER`` periods it counts as broken. A
message of ours the partner's frames keep not acknowledging, for
``STUCK_AFTER`` seconds, cannot get through (``stuck``). While the link is down
(an outage), the chat waits to be resumed for ``window`` seconds from the
last contact with the partner (``contact``: the last frame that came from
it; a resume alone is no contact, so that a partner that resumes and drops
at once, again and again, does not keep the chat waiting past its window),
then ends. Every method takes ``now``.
"""

from __future__ import annotations

from ..values import earliest

# A link silent for this many heartbeats is suspected: a new path is tried beside it.
# (Two pings missed, and half a period to spare: a new path is up within 3 s.)
SUSPECT_AFTER = 2.5
# A link silent for this many heartbeats is broken. Long enough for a new path to prove
# itself on a slow, lossy network first (TCP's retries stall a link for seconds there).
DEAD_AFTER = 10
# Seconds: a message the partner has not acknowledged by then is counted as waiting (SPEC 10).
ACK_WAIT = 2.0
# Seconds: a message of ours that frames from the partner, sent after it arrived, keep
# not acknowledging for so long cannot get through (a path that drops big packets).
STUCK_AFTER = 10.0


class Outage:
    def __init__(self, since: float, reason: str) -> None:
        self.since = since  # monotonic time of the last contact with the partner
        self.reason = reason  # why the link broke, in words


class Liveness:
    def __init__(self, period: float, window: float, now: float = 0.0) -> None:
        self.period, self.window = period, window
        self.suspect_after, self.dead_after = SUSPECT_AFTER * period, DEAD_AFTER * period
        self.suspected = False  # the link is up, but silent: a new path is tried beside it
        self.last_sent = self.last_received = self.contact = now
        self.outage: Outage | None = None  # the link is down, and the chat waits
        self.shown_until = float("inf")  # the screen's count since the last contact holds
        self.unacked_since: float | None = None  # our oldest message not acknowledged, sent then
        self.ack_due: float | None = None  # the screen shows it as waiting from then
        self.waiting = 0  # how many of ours wait for their acknowledgement, as last known
        self.up_at = now  # when the link up now came up
        self.carried = 0.0  # seconds the oldest of them spent on links that went down since
        self.stuck_said = False  # that it cannot get through is said (once per message)

    def up(self, now: float) -> None:
        """A connection carries the chat (again): the heartbeat starts afresh (the
        window, should it break again, still counts from the last contact)."""
        if self.outage is None:  # a new path in place of one that looked up
            self._leave_link(now)
        self.last_sent = self.last_received = self.up_at = now
        self.outage, self.shown_until, self.suspected = None, float("inf"), False

    def down(self, now: float, reason: str) -> bool:
        """The link broke: the chat waits for the window, or, with none, ends (False)."""
        if self.window <= 0:
            return False
        self._leave_link(now)
        self.outage, self.suspected = Outage(self.contact, reason), False
        self._count_from(now)
        return True

    def _leave_link(self, now: float) -> None:
        """The link that was up goes: the time our oldest message spent on it counts."""
        if self.unacked_since is not None:
            self.carried += max(0.0, now - max(self.up_at, self.unacked_since))

    def _count_from(self, now: float) -> None:
        """The screen's count of seconds since the last contact changes next then."""
        self.shown_until = now + 1.0 - (now - self.contact) % 1.0

    def lost_while_stopped(self, now: float, silent_for: float, reason: str) -> None:
        """A chat taken up from its session file: the link broke ``silent_for`` seconds ago."""
        self.last_received = self.contact = now - silent_for
        self.outage = Outage(self.contact, reason)

    def sent(self, now: float) -> None:
        self.last_sent = now

    def posted(self, now: float) -> None:
        """A message of ours went out (or into the outbox): acknowledged soon, or waiting."""
        self.waiting += 1
        if self.unacked_since is None:
            self.unacked_since, self.ack_due = now, now + ACK_WAIT

    def received(self, now: float, waiting: int = 0) -> bool:
        """A frame from the partner; ``waiting``: how many of ours it has not acknowledged.
        True if the link was suspected: it answers after all."""
        self.last_received = self.contact = now
        if not waiting:
            self.unacked_since = self.ack_due = None
        elif waiting < self.waiting:  # some got through: the rest count from now
            self.unacked_since = now
        if waiting < self.waiting:
            self.stuck_said, self.carried = False, 0.0
        self.waiting = waiting
        answered, self.suspected = self.suspected, False
        if answered:
            self.shown_until = float("inf")
        return answered

    def suspect(self, now: float) -> bool:
        """The link is up, but silent for ``suspect_after``: True once, when it becomes
        suspected (a new path is tried beside it). (Asked at each tick: the count of
        seconds since the last contact shows while it is.)"""
        if self.outage is not None:
            return False
        if self.suspected:
            self._count_from(now)
            return False
        self.suspected = now - self.last_received >= self.suspect_after
        if self.suspected:
            self._count_from(now)
        return self.suspected

    def stuck(self, now: float) -> bool:
        """True once per message: one of ours has been on links for ``STUCK_AFTER`` in all,
        though frames the partner sent on this one two heartbeats after it went came
        (acknowledging the rest). (Asked as each frame comes: pings come every second.)"""
        if self.stuck_said or self.unacked_since is None or self.outage is not None:
            return False
        on_this_link = self.contact - max(self.up_at, self.unacked_since)
        self.stuck_said = (on_this_link >= 2 * self.period
                           and self.carried + on_this_link >= STUCK_AFTER)
        return self.stuck_said

    def slow_to_ack(self, now: float) -> bool:
        """A message of ours has waited ``ACK_WAIT`` for its acknowledgement."""
        return self.unacked_since is not None and now - self.unacked_since >= ACK_WAIT

    def window_ends(self) -> float | None:
        """When the chat stops waiting to be resumed, while the link is down."""
        return self.outage.since + self.window if self.outage is not None else None

    def deadline(self) -> float:
        if self.outage is not None:  # and each second, for the screen's count since then
            return min(self.window_ends(), self.shown_until)
        silence = self.dead_after if self.suspected else self.suspect_after
        return earliest(self.last_sent + self.period, self.last_received + silence,
                        self.shown_until, self.ack_due)

    def window_over(self, now: float) -> bool:
        """The link is down, and the window for resuming has passed. (Asked at each
        tick: the count of seconds since the last contact shows until the next whole one.)"""
        if self.outage is None:
            return False
        self._count_from(now)
        return now >= self.window_ends()

    def silent(self, now: float) -> bool:
        """The link is up, and the partner has said nothing for too long. (Asked at each
        tick while it is up: a message's wait for its acknowledgement shows from now.)"""
        if self.ack_due is not None and now >= self.ack_due:
            self.ack_due = None
        return self.outage is None and now - self.last_received >= self.dead_after

    def ping_due(self, now: float) -> bool:
        """The link is up, and we have said nothing for a heartbeat."""
        return self.outage is None and now - self.last_sent >= self.period
