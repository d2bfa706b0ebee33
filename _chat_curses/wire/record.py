"""The chat as it outlives its connections: one record, whatever carries it.

mosh keeps the state it synchronises apart from the transport that carries
it; this is the state. A ``ChatRecord`` holds what both sides must agree on
to take a chat up again on a new connection, or in a new program: the
chat's resume secret (the first handshake made it; a resume proves it, and
it never crosses the wire), the partner's name and how it was verified,
whose turn it is, and the delivery bookkeeping (numbers,
acknowledgements, the outbox). The core owns it, the
session file (``shell.journal``) writes it, and each ``Protocol`` serves one
connection of it (``Protocol.take_up``).

A message written while the link is down goes straight into the record
(``post``), as it does through a connection: numbered, kept until the
partner acknowledges it, and the turn passes.
"""

from __future__ import annotations

from .codec import encode
from .delivery import Delivery
from .events import MAX_FRAME_BYTES, LocalProtocolError, Message, Role


class ChatRecord:
    def __init__(self, secret: bytes, peer: str, delivery: Delivery | None = None,
                 turn: Role = Role.CLIENT, verified: str = "") -> None:
        self.secret = secret  # the resume secret: 32 bytes only the two sides hold
        self.peer = peer  # the partner's name, as its first hello gave it
        self.verified = verified  # how: "code", "secret", or "" (unverified)
        self.delivery = Delivery() if delivery is None else delivery
        self.turn = turn  # whose turn it is

    def __repr__(self) -> str:
        return f"ChatRecord(peer={self.peer!r}, turn={self.turn.value}, {self.delivery!r})"

    def post(self, message: Message, by: Role) -> bytes:
        """``by``'s message into the chat: numbered, acknowledging what ``by`` has
        received, kept until the partner has it; the turn passes. Its frame, unsealed.
        Raises LocalProtocolError when it is not ``by``'s turn or the frame is too large."""
        if self.turn is not by:
            raise LocalProtocolError(f"it is the {self.turn.value}'s turn, not the {by.value}'s")
        numbered = message.numbered(self.delivery.next_number(), self.delivery.received)
        frame = encode(numbered)
        if len(frame) > MAX_FRAME_BYTES:
            raise LocalProtocolError("message is too long once encoded")
        self.delivery.keep(numbered.seq, frame)
        self.turn = by.other
        return frame
