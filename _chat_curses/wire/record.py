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

The record also keeps the conversation's digest (SPEC 12): a chain of
HMAC-SHA256 under the chat's resume secret over every message delivered,
in order, both directions (``chain``: ours as it is posted, the partner's as
it arrives, never one sent again). Both sides' are equal exactly when both
saw the same messages in the same order; ``words.digest_words`` shows it.
"""

from __future__ import annotations

from .codec import message_frame
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
        self._digest = b""  # the conversation's, as far as it is worked out (see ``digest``)
        self._unchained: list[tuple[Role, int, Message]] = []  # delivered since: by, number
        self._keyed = None  # HMAC-SHA256 keyed with the secret, copied for each link

    def __repr__(self) -> str:
        return f"ChatRecord(peer={self.peer!r}, turn={self.turn.value}, {self.delivery!r})"

    def post(self, message: Message, by: Role) -> bytes:
        """``by``'s message into the chat: numbered, acknowledging what ``by`` has
        received, kept until the partner has it; the turn passes. Its frame, unsealed.
        Raises LocalProtocolError when it is not ``by``'s turn or the frame is too large."""
        if self.turn is not by:
            raise LocalProtocolError(f"it is the {self.turn.value}'s turn, not the {by.value}'s")
        seq = self.delivery.next_number()  # (the numbers are the delivery's own, checked there)
        frame = message_frame(message, seq, self.delivery.received)
        if len(frame) > MAX_FRAME_BYTES:
            raise LocalProtocolError("message is too long once encoded")
        self.delivery.keep(seq, frame)
        self.chain(by, message, seq)
        self.turn = by.other
        return frame

    def chain(self, by: Role, message: Message, seq: int | None = None) -> None:
        """``by``'s message, numbered ``seq`` (if not its own), into the conversation's
        digest: worked out when the digest is next read (the partner's, once the screen
        shows it)."""
        self._unchained.append((by, message.seq if seq is None else seq, message))

    @property
    def digest(self) -> bytes:
        """The conversation's, so far (b"" before the first message)."""
        if self._unchained:
            digest = self._digest or self._mac(b"chat_curses conversation")
            for by, seq, message in self._unchained:
                digest = self._mac(digest + f"{by.value}\0{seq}\0{message.sent}\0"
                                            f"{message.text}".encode("utf-8"))
            self._digest, self._unchained = digest, []
        return self._digest

    @digest.setter
    def digest(self, digest: bytes) -> None:
        self._digest, self._unchained = digest, []

    def digest_lags(self, digest: bytes, by: Role) -> bool:
        """The digest is ``digest`` with only ``by``'s messages since, not worked into
        it yet (a session file that has ``digest`` and their frames has it all)."""
        if self._digest != digest:
            return False
        for sender, _, _ in self._unchained:
            if sender is not by:
                return False
        return True

    def _mac(self, data: bytes) -> bytes:
        """HMAC-SHA256 of ``data`` under the secret: ``cryptography``'s, as the
        secure channel's (a third less work a message than the standard library's,
        whose copy is written in Python), the key set up once, not at every message
        (that took half of each link's cost)."""
        if self._keyed is None:
            # Here, not at the top: loaded with the first message (the channel has it by then).
            from cryptography.hazmat.primitives.hashes import SHA256
            from cryptography.hazmat.primitives.hmac import HMAC

            self._keyed = HMAC(self.secret, SHA256())
        mac = self._keyed.copy()
        mac.update(data)
        return mac.finalize()

    @property
    def messages(self) -> int:
        """How many messages the digest holds: ours and the partner's."""
        return self.delivery.sent + self.delivery.received
