"""Whether the partner is still there: the heartbeat's timing, and an outage."""

from __future__ import annotations

# A partner silent for this many heartbeats is gone.
DEAD_AFTER = 3


class Outage:
    def __init__(self, since: float, reason: str) -> None:
        self.since = since  # monotonic time the link broke
        self.reason = reason


class Heartbeat:
    """When a quiet link wants a ping, and when a silent partner counts as gone.

    A ping goes out after ``period`` seconds without sending anything; a
    partner from whom no whole frame came for ``DEAD_AFTER`` periods is gone.
    """

    def __init__(self, period: float, now: float) -> None:
        self.period = period
        self.dead_after = DEAD_AFTER * period
        self.last_sent = self.last_received = now

    def sent(self, now: float) -> None:
        self.last_sent = now

    def received(self, now: float) -> None:
        self.last_received = now

    def deadline(self) -> float:
        return min(self.last_sent + self.period, self.last_received + self.dead_after)

    def silent_too_long(self, now: float) -> bool:
        return now - self.last_received >= self.dead_after

    def ping_due(self, now: float) -> bool:
        return now - self.last_sent >= self.period
