"""The chat_curses wire protocol, free of I/O.

Theory of operation
-------------------

A ``Protocol`` is the state of one conversation seen from one side (the
client or the server). It never touches a socket. Bytes that arrive go in
through ``receive_data``; ``next_event`` hands out what they mean, one event
at a time, or ``NEED_DATA``. An event we want to send goes through ``send``,
which checks that it is legal now and returns the bytes to write.

On the wire every frame is one JSON object on one line, UTF-8, ended by
``\\n``, so a person can follow a chat with ``nc``::

    client: {"type":"hello","version":2,"name":"user"}
    server: {"type":"hello","version":2,"name":"server","session":"5f0c...","received":0}
    client: {"type":"message","seq":1,"ack":0,"text":"hello","sent":"2023-04-17T11:42:43Z"}
    server: {"type":"ping","ack":1}
    server: {"type":"message","seq":1,"ack":1,"text":"hi","sent":"2023-04-17T11:42:58Z"}
    client: {"type":"bye"}

The conversation is a small state machine (``_TRANSITIONS``), the same on
both sides: the client says hello, the server answers hello, then the turn
alternates, client first, one message per turn. Pings, which keep a quiet
link known to be alive, may come from either side at any time in the chat.
Either side may say bye at any moment, which ends it. A server in a chat
answers anyone else's hello with busy. Anything else is a
protocol error: ours (``LocalProtocolError``, raised by ``send``) or the
peer's (``RemoteProtocolError``, raised by ``next_event``). After a remote
error the protocol is dead and every further call raises it again, except
that we may still send a bye, to tell the peer why we hang up.

A shared secret, when both sides have one, adds two steps to the handshake.
Each hello then carries ``"auth":"hmac-sha256"`` and a fresh random nonce;
the client sends a proof (an HMAC, keyed with the secret, of both nonces,
both names and its role), the server checks it and only then sends its own.
The secret never crosses the wire, a proof is useless for another
connection (fresh nonces) or for the other role, and a side without the
secret learns nothing from the server, which proves second. Hellos that
disagree about using a secret, or a proof that does not verify, raise
``AuthenticationError``, whose text reads right on either side's screen.

A chat outlives its connection. Messages are numbered per direction and
acknowledged (``delivery.Delivery`` keeps that bookkeeping and the outbox);
the server's hello names a new chat with a fresh token, and a client that
comes back on a new connection names it again (``resume``), both hellos
saying how far they have received, so that each side sends again what the
other lacks. A resumed chat goes on in the turn it had.

Sizes are bounded: a message carries at most 64 KiB of UTF-8 text, and the
decoder never holds more than one frame's limit of unfinished bytes (twice
the text limit, since JSON may escape a character as two bytes, plus room for
the other fields).
"""

from __future__ import annotations

import enum
import os

from .codec import decode, encode
from .delivery import DUPLICATE, Delivery, SequenceError
from .events import (
    AUTH_METHOD,
    MAX_FRAME_BYTES,
    NEED_DATA,
    PROTOCOL_VERSION,
    AuthenticationError,
    Busy,
    Bye,
    ConnectionClosed,
    Event,
    Hello,
    LocalProtocolError,
    Message,
    Ping,
    Proof,
    ProtocolError,
    RemoteProtocolError,
    Role,
    Typing,
    WrongSecret,
    _NeedData,
)

# --- The state machine -----------------------------------------------------


class State(enum.Enum):
    # Hashed as objects are, in C: the table below is looked up for every frame.
    __hash__ = object.__hash__

    AWAIT_CLIENT_HELLO = "waiting for the client's hello"
    AWAIT_SERVER_HELLO = "waiting for the server's hello"
    AWAIT_SERVER_HELLO_AUTH = "waiting for the server's hello, with a secret"
    AWAIT_CLIENT_PROOF = "waiting for the client's proof"
    AWAIT_SERVER_PROOF = "waiting for the server's proof"
    CLIENT_TURN = "the client's turn"
    SERVER_TURN = "the server's turn"
    CLOSED = "closed"
    ERROR = "broken"


_KINDS = {Hello: "hello", Proof: "proof", Message: "message", Ping: "ping", Busy: "busy",
          Typing: "typing", Bye: "bye",
          ConnectionClosed: "connectionclosed"}


def _kind(event: Event) -> str:
    kind = _KINDS[type(event)]
    return "hello+auth" if kind == "hello" and event.auth is not None else kind


C, S = Role.CLIENT, Role.SERVER
# (state, who sends, kind of event) -> next state. Bye is legal from either
# side in every state but CLOSED and ERROR; that rule is in Protocol._advance.
_TRANSITIONS: dict[tuple[State, Role, str], State] = {
    (State.AWAIT_CLIENT_HELLO, C, "hello"): State.AWAIT_SERVER_HELLO,
    (State.AWAIT_SERVER_HELLO, S, "hello"): State.CLIENT_TURN,
    # the server in a chat with someone else
    (State.AWAIT_SERVER_HELLO, S, "busy"): State.CLOSED,
    (State.AWAIT_SERVER_HELLO_AUTH, S, "busy"): State.CLOSED,
    # with a shared secret
    (State.AWAIT_CLIENT_HELLO, C, "hello+auth"): State.AWAIT_SERVER_HELLO_AUTH,
    (State.AWAIT_SERVER_HELLO_AUTH, S, "hello+auth"): State.AWAIT_CLIENT_PROOF,
    (State.AWAIT_CLIENT_PROOF, C, "proof"): State.AWAIT_SERVER_PROOF,
    (State.AWAIT_SERVER_PROOF, S, "proof"): State.CLIENT_TURN,
    # the chat
    (State.CLIENT_TURN, C, "message"): State.SERVER_TURN,
    (State.SERVER_TURN, S, "message"): State.CLIENT_TURN,
    (State.CLIENT_TURN, C, "ping"): State.CLIENT_TURN,
    (State.CLIENT_TURN, S, "ping"): State.CLIENT_TURN,
    (State.SERVER_TURN, C, "ping"): State.SERVER_TURN,
    (State.SERVER_TURN, S, "ping"): State.SERVER_TURN,
    # only the side whose turn it is may say it is writing
    (State.CLIENT_TURN, C, "typing"): State.CLIENT_TURN,
    (State.SERVER_TURN, S, "typing"): State.SERVER_TURN,
}
_TURN_OF = {State.CLIENT_TURN: C, State.SERVER_TURN: S}
_HELLO_DUE = {(State.AWAIT_CLIENT_HELLO, C), (State.AWAIT_SERVER_HELLO, S),
              (State.AWAIT_SERVER_HELLO_AUTH, S)}


def _mac(secret: bytes, prover: Role, client: Hello, server: Hello) -> str:
    import hashlib  # here, not at the top: only a chat with a secret needs it
    import hmac
    import json

    transcript = json.dumps([f"chat_curses/{PROTOCOL_VERSION}", prover.value,
                             client.nonce, server.nonce, client.name, server.name])
    return hmac.new(secret, transcript.encode("utf-8"), hashlib.sha256).hexdigest()


class Protocol:
    """One side of a conversation: bytes in, events out; events in, bytes out.

    ``secret``, when given, is the shared secret this side insists on.
    """

    def __init__(self, our_role: Role, secret: bytes | None = None,
                 delivery: Delivery | None = None) -> None:
        self.our_role = our_role
        self.state = State.AWAIT_CLIENT_HELLO
        self.peer_name: str | None = None
        self.delivery = delivery if delivery is not None else Delivery()
        self.session = ""  # the chat's token, once known
        self._resume_turn: Role | None = None  # whose turn it was, when resuming a chat
        self._settled = False  # what follows the handshake has been done
        self._secret = secret
        self._nonce = os.urandom(16).hex() if secret is not None else ""
        self._hellos: dict[Role, Hello] = {}
        self._buffer = bytearray()
        self._eof = False
        self._error: RemoteProtocolError | None = None

    @classmethod
    def restored(cls, our_role: Role, session: str, delivery: Delivery, turn: Role,
                 peer_name: str) -> "Protocol":
        """A chat taken from a session file: on, in its turn, with no connection
        yet. It is the chat a new connection resumes (``resume``)."""
        protocol = cls(our_role, delivery=delivery)
        protocol.session, protocol.peer_name, protocol._settled = session, peer_name, True
        protocol.state = {C: State.CLIENT_TURN, S: State.SERVER_TURN}[turn]
        return protocol

    def resume(self, session: str, delivery: Delivery, turn: Role) -> None:
        """Take up a chat where another connection left it, before saying hello.

        The client calls it before its hello; the server once the client's
        hello has named a chat it knows (``peer_session``).
        """
        if self._hellos.get(self.our_role) is not None:
            raise LocalProtocolError("a chat can only be resumed before our hello")
        self.session, self.delivery, self._resume_turn = session, delivery, turn

        # -- queries --

    @property
    def their_role(self) -> Role:
        return self.our_role.other

    @property
    def established(self) -> bool:
        """The handshake is over and the conversation is on."""
        return self.state in _TURN_OF

    @property
    def our_turn(self) -> bool:
        return _TURN_OF.get(self.state) is self.our_role

    @property
    def hello_due(self) -> bool:
        """It is our move to say hello (the client opens; the server answers)."""
        return (self.state, self.our_role) in _HELLO_DUE

    @property
    def proof_due(self) -> bool:
        """It is our move in the secret's part of the handshake."""
        return self.state is {C: State.AWAIT_CLIENT_PROOF, S: State.AWAIT_SERVER_PROOF}[self.our_role]

    @property
    def resumed(self) -> bool:
        return self._resume_turn is not None

    @property
    def turn(self) -> Role | None:
        """Whose turn it is, once the chat is on."""
        return _TURN_OF.get(self.state)

    @property
    def peer_session(self) -> str:
        """The chat the peer's hello names ("" for a new one)."""
        hello = self._hellos.get(self.their_role)
        return hello.session if hello is not None else ""

    @property
    def buffered(self) -> int:
        """How many received bytes wait to be decoded."""
        return len(self._buffer)

    # -- making our handshake events --

    def hello(self, name: str) -> Hello:
        """Our hello, carrying a fresh nonce when we have a secret, and the chat's token."""
        if self.our_role is S and not self.session:
            self.session = os.urandom(16).hex()  # a new chat: fresh and random, never shown
        received = self.delivery.received if self.session else 0
        if self._secret is None:
            return Hello(name, session=self.session, received=received)
        return Hello(name, auth=AUTH_METHOD, nonce=self._nonce, session=self.session,
                     received=received)

    def proof(self) -> Proof:
        """Our proof of the secret, once both hellos are known."""
        if self._secret is None or len(self._hellos) < 2:
            raise LocalProtocolError("no proof can be made: no secret, or the hellos are not done")
        return Proof(_mac(self._secret, self.our_role, self._hellos[C], self._hellos[S]))

    # -- sending --

    def send(self, event: Event) -> bytes:
        """Check that ``event`` may be sent now, update the state, return its bytes."""
        if self._error is not None:
            if isinstance(event, Bye):
                return encode(event)  # saying why we hang up is always allowed
            raise LocalProtocolError(f"cannot send after a protocol error: {self._error}")
        if type(event) is Message:
            event = event.numbered(self.delivery.next_number(), self.delivery.received)
        elif type(event) is Ping:
            event = Ping(self.delivery.received)
        data = encode(event)
        if len(data) - 1 > MAX_FRAME_BYTES:
            raise LocalProtocolError("message is too long once encoded")
        self._advance(self.our_role, event, LocalProtocolError)
        if isinstance(event, Hello):
            self._hellos[self.our_role] = event
            self._check_established()
        elif isinstance(event, Message):
            self.delivery.keep(event.seq, data)
        elif isinstance(event, Proof):
            self._check_established()
        return data

    # -- receiving --

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the peer; ``b""`` means the peer closed the connection."""
        if self._error is not None:
            raise self._error
        if not data:
            self._eof = True
            return
        if self._eof:
            raise RuntimeError("receive_data after end of file")
        self._buffer += data
        unfinished = len(self._buffer) - (self._buffer.rfind(b"\n") + 1)
        if unfinished > MAX_FRAME_BYTES + 1:  # room for the CR of a CR LF ending
            self._fail(RemoteProtocolError(f"frame is larger than {MAX_FRAME_BYTES:,} bytes"))

    def next_event(self) -> Event | _NeedData:
        """The next event from the peer, or NEED_DATA. Raises RemoteProtocolError."""
        if self._error is not None:
            raise self._error
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                break
            # One CR before the newline is allowed (nc sends CR LF), only one,
            # so that where the bytes were split never changes the verdict.
            line = self._buffer[: end - 1 if self._buffer[end - 1 : end] == b"\r" else end]
            del self._buffer[: end + 1]
            if len(line) > MAX_FRAME_BYTES:
                self._fail(RemoteProtocolError(f"frame is larger than {MAX_FRAME_BYTES:,} bytes"))
            if not line or line.isspace():
                continue  # blank lines are allowed between frames
            try:
                event = decode(line)
                self._check_secret(event)
                if isinstance(event, (Message, Ping)) and self.established:
                    self.delivery.acknowledge(event.ack)
                    if isinstance(event, Message) and self.delivery.accept(event.seq) is DUPLICATE:
                        continue  # sent again after a reconnect: we have it already
                self._advance(self.their_role, event, RemoteProtocolError)
                if isinstance(event, Hello):
                    self._hellos[self.their_role] = event
                    self.peer_name = event.name
                self._check_established()
            except SequenceError as error:
                self._fail(RemoteProtocolError(str(error)))
            except RemoteProtocolError as error:
                self._fail(error)
            return event
        if self._eof:
            if self._buffer.strip():
                self._fail(RemoteProtocolError("connection closed in the middle of a frame"))
            return ConnectionClosed()
        return NEED_DATA

    # -- internals --

    def _check_established(self) -> None:
        """Once the handshake is done: a resumed chat goes on in its own turn,
        and what the peer already has is dropped from the outbox."""
        if not self.established or self._settled:
            return
        self._settled = True
        if self.our_role is C and self._resume_turn is None:
            self.session = self._hellos[S].session  # a new chat's token, from the server
        if self._resume_turn is not None:
            if self._hellos[self.their_role].session != self.session:
                raise RemoteProtocolError("the other side no longer has this chat")
            self.state = {C: State.CLIENT_TURN, S: State.SERVER_TURN}[self._resume_turn]
            try:
                self.delivery.acknowledge(self._hellos[self.their_role].received)
            except SequenceError as error:
                self._fail(RemoteProtocolError(str(error)))

    def _check_secret(self, event: Event) -> None:
        """Both sides must agree on using a secret, and prove the same one."""
        if isinstance(event, Hello):
            theirs, ours = event.auth is not None, self._secret is not None
            if theirs != ours:
                holder, other = (self.their_role, self.our_role) if theirs else (self.our_role, self.their_role)
                raise AuthenticationError(
                    f"the {holder.value} uses a shared secret and the {other.value} has none")
        elif isinstance(event, Proof) and self._secret is not None and len(self._hellos) == 2:
            expected = _mac(self._secret, self.their_role, self._hellos[C], self._hellos[S])
            from hmac import compare_digest  # only a chat with a secret gets here

            if not compare_digest(expected, event.mac):
                raise WrongSecret("the shared secrets do not match")

    def _fail(self, error: RemoteProtocolError) -> None:
        self.state = State.ERROR
        self._error = error
        raise error

    def _advance(self, who: Role, event: Event, error: type[ProtocolError]) -> None:
        if isinstance(event, Bye) and self.state not in (State.CLOSED, State.ERROR):
            self.state = State.CLOSED
            return
        next_state = _TRANSITIONS.get((self.state, who, _kind(event)))
        if next_state is None:
            raise error(
                f"the {who.value} may not send {_kind(event)} "
                f"in state {self.state.name} ({self.state.value})"
            )
        self.state = next_state
