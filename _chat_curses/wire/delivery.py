"""Nothing lost, nothing doubled: sequence numbers, acknowledgements, the outbox. No I/O.

Theory of operation
-------------------

A chat may outlive its TCP connection (SPEC 10), and TCP's own guarantee
ends with the connection: bytes it accepted into a link that was already
dead are gone. So each side numbers the messages it sends, 1, 2, 3...
(one sequence per direction), and keeps each one, as the bytes of its
frame, until the partner acknowledges it. Acknowledgements are cumulative
("I have everything up to N") and ride on the frames that go anyway:
every message and every heartbeat ping carries one.

When a new connection takes over, each side tells the other how far it
has received (``received`` in the hello); each then drops what the other
already has and sends the rest again, in order. A receiver takes the next
number, ignores a number it already has (a resent duplicate) and refuses a
gap, which only a broken or hostile peer makes.

``Delivery`` is that bookkeeping for one side, across every connection of
one chat (it is part of the chat's ``record.ChatRecord``), and
``protocol.Protocol`` consults it. It is plain data, so the shell can save
it in the session file and a new process can take it up. The frames it
keeps are unsealed: each connection seals them anew (``Protocol.resend``).
"""

from __future__ import annotations


class SequenceError(ValueError):
    """The peer numbered or acknowledged messages in a way no honest peer can."""


NEW, DUPLICATE = "new", "duplicate"


class Delivery:
    def __init__(self, sent: int = 0, received: int = 0, acked: int = 0,
                 unacked: dict[int, bytes] | None = None) -> None:
        self.sent = sent  # the number of the last message we sent
        self.received = received  # the number of the last message we received, all before it too
        self.acked = acked  # the partner has all our messages up to this one
        self.unacked = {} if unacked is None else unacked  # number -> frame, in order

    def __repr__(self) -> str:
        return (f"Delivery(sent={self.sent}, received={self.received}, acked={self.acked}, "
                f"unacked={len(self.unacked)})")

    def next_number(self) -> int:
        return self.sent + 1

    def keep(self, number: int, frame: bytes) -> None:
        """A message we sent: keep its frame until the partner acknowledges it."""
        if number != self.sent + 1:
            raise ValueError(f"message {number} kept after {self.sent}")
        self.sent = number
        self.unacked[number] = frame

    def acknowledge(self, number: int) -> None:
        """The partner has every message of ours up to ``number``."""
        if number > self.sent:
            raise SequenceError(f"acknowledges message {number}, but only {self.sent} were sent")
        while self.acked < number:
            self.acked += 1
            self.unacked.pop(self.acked, None)

    def accept(self, number: int) -> str:
        """A message from the partner: NEW (take it), DUPLICATE (ignore it); a gap raises."""
        if number <= self.received:
            return DUPLICATE
        if number != self.received + 1:
            raise SequenceError(f"message {number} came after {self.received}: some are missing")
        self.received = number
        return NEW

    def to_resend(self) -> list[bytes]:
        """The frames the partner does not have yet, in order, for a new connection."""
        return list(self.unacked.values())

    @property
    def waiting(self) -> int:
        """How many of our messages the partner has not acknowledged."""
        return len(self.unacked)
