"""Whether the link to the partner is up, and what is due about it. No clock of its own.

While a connection carries the chat, a ping goes out after ``period``
seconds without sending anything, and a partner from whom no whole frame
came for ``DEAD_AFTER`` periods counts as gone. While the link is down
(an outage), the chat waits to be resumed for ``window`` seconds from the
last contact with the partner (``contact``: the last frame that came from
it; a resume alone is no contact, so that a partner that resumes and drops
at once, again and again, does not keep the chat waiting past its window),
then ends. Every method takes ``now``.
"""

from __future__ import annotations

# A partner silent for this many heartbeats is gone.
DEAD_AFTER = 3
# Seconds: a message the partner has not acknowledged by then is counted as waiting (SPEC 10).
ACK_WAIT = 2.0


class Outage:
    def __init__(self, since: float, reason: str) -> None:
        self.since = since  # monotonic time of the last contact with the partner
        self.reason = reason  # why the link broke, in words


class Liveness:
    def __init__(self, period: float, window: float, now: float = 0.0) -> None:
        self.period, self.window = period, window
        self.dead_after = DEAD_AFTER * period
        self.last_sent = self.last_received = self.contact = now
        self.outage: Outage | None = None  # the link is down, and the chat waits
        self.shown_until = float("inf")  # the screen's count since the last contact holds
        self.unacked_since: float | None = None  # our oldest message not acknowledged, sent then
        self.ack_due: float | None = None  # the screen shows it as waiting from then

    def up(self, now: float) -> None:
        """A connection carries the chat (again): the heartbeat starts afresh (the
        window, should it break again, still counts from the last contact)."""
        self.last_sent = self.last_received = now
        self.outage, self.shown_until = None, float("inf")

    def down(self, now: float, reason: str) -> bool:
        """The link broke: the chat waits for the window, or, with none, ends (False)."""
        if self.window <= 0:
            return False
        self.outage = Outage(self.contact, reason)
        self.shown_until = now + 1.0 - (now - self.contact) % 1.0
        return True

    def lost_while_stopped(self, now: float, silent_for: float, reason: str) -> None:
        """A chat taken up from its session file: the link broke ``silent_for`` seconds ago."""
        self.last_received = self.contact = now - silent_for
        self.outage = Outage(self.contact, reason)

    def sent(self, now: float) -> None:
        self.last_sent = now

    def posted(self, now: float) -> None:
        """A message of ours went out (or into the outbox): acknowledged soon, or waiting."""
        if self.unacked_since is None:
            self.unacked_since, self.ack_due = now, now + ACK_WAIT

    def received(self, now: float, waiting: int = 0) -> None:
        """A frame from the partner; ``waiting``: how many of ours it has not acknowledged."""
        self.last_received = self.contact = now
        if not waiting:
            self.unacked_since = self.ack_due = None

    def slow_to_ack(self, now: float) -> bool:
        """A message of ours has waited ``ACK_WAIT`` for its acknowledgement."""
        return self.unacked_since is not None and now - self.unacked_since >= ACK_WAIT

    def window_ends(self) -> float | None:
        """When the chat stops waiting to be resumed, while the link is down."""
        return self.outage.since + self.window if self.outage is not None else None

    def deadline(self) -> float:
        if self.outage is not None:  # and each second, for the screen's count since then
            return min(self.window_ends(), self.shown_until)
        due = min(self.last_sent + self.period, self.last_received + self.dead_after)
        return due if self.ack_due is None else min(due, self.ack_due)

    def window_over(self, now: float) -> bool:
        """The link is down, and the window for resuming has passed. (Asked at each
        tick: the count of seconds since the last contact shows until the next whole one.)"""
        if self.outage is None:
            return False
        self.shown_until = now + 1.0 - (now - self.contact) % 1.0
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
