"""The chat_curses wire protocol, free of I/O.

Theory of operation
-------------------

A ``Protocol`` is one connection of a conversation seen from one side (the
client or the server). It never touches a socket. Bytes that arrive go in
through ``receive_data``; ``next_event`` hands out what they mean, one event
at a time, or ``NEED_DATA``. An event we want to send goes through ``send``,
which checks that it is legal now and returns the bytes to write.

Under it, its ``channel`` makes frames of the bytes and bytes of the frames
(``channel.LineChannel``: one JSON object per line, UTF-8, ended by
``\\n``, so a person can follow a chat with ``nc``); above it, nothing
knows how frames cross the wire::

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

A chat outlives its connections: what it is (its token, the partner's
name, whose turn it is, and ``delivery.Delivery``'s numbers,
acknowledgements and outbox) is a ``record.ChatRecord``, which the
protocol of each connection carries on. The server's hello names a new
chat with a fresh token; a client that comes back on a new connection
names it again (``take_up``), both hellos saying how far they have
received, so that each side sends again what the other lacks (``resend``).
A resumed chat goes on in the turn it had.

Sizes are bounded: a message carries at most 64 KiB of UTF-8 text, and the
decoder never holds more than one frame's limit of unfinished bytes (twice
the text limit, since JSON may escape a character as two bytes, plus room for
the other fields).
"""

from __future__ import annotations

import enum
import os

from .channel import LineChannel
from .codec import decode, encode
from .delivery import DUPLICATE, SequenceError
from .events import (
    AUTH_METHOD,
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
from .record import ChatRecord

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
_TURN_STATE = {C: State.CLIENT_TURN, S: State.SERVER_TURN}
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
    """One side of one connection: bytes in, events out; events in, bytes out.

    ``secret``, when given, is the shared secret this side insists on. The
    chat the connection carries is ``chat`` (a ``record.ChatRecord``): a new
    one, made once the hellos have named it, or one taken up to resume it
    (``take_up``). ``channel`` is the seam where frames are sealed and opened
    (``channel.LineChannel`` by default: one frame per line).
    """

    def __init__(self, our_role: Role, secret: bytes | None = None,
                 channel: LineChannel | None = None) -> None:
        self.our_role = our_role
        self.state = State.AWAIT_CLIENT_HELLO
        self.peer_name: str | None = None
        self.chat: ChatRecord | None = None
        self.resumed = False  # the chat is one taken up, not a new one
        self.channel = LineChannel() if channel is None else channel
        self._settled = False  # the chat is on: its turn is the record's from now on
        self._secret = secret
        self._nonce = os.urandom(16).hex() if secret is not None else ""
        self._hellos: dict[Role, Hello] = {}
        self._eof = False
        self._error: RemoteProtocolError | None = None

    def take_up(self, chat: ChatRecord) -> None:
        """Carry ``chat`` on where another connection left it, before saying hello.

        The client calls it before its hello; the server once the client's
        hello has named a chat it knows (``peer_session``). Once both hellos
        agree, the chat goes on in its own turn, and what the peer already
        has is dropped from the outbox.
        """
        if self._hellos.get(self.our_role) is not None:
            raise LocalProtocolError("a chat can only be taken up before our hello")
        self.chat, self.resumed = chat, True

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
        return self.channel.buffered

    # -- making our handshake events --

    def hello(self, name: str) -> Hello:
        """Our hello, carrying a fresh nonce when we have a secret, and the chat's token."""
        if self.our_role is S and self.chat is None:  # a new chat: a token fresh and random
            self.chat = ChatRecord(os.urandom(16).hex(), self.peer_name or "")
        token = self.chat.token if self.chat is not None else ""
        received = self.chat.delivery.received if self.chat is not None else 0
        if self._secret is None:
            return Hello(name, session=token, received=received)
        return Hello(name, auth=AUTH_METHOD, nonce=self._nonce, session=token, received=received)

    def proof(self) -> Proof:
        """Our proof of the secret, once both hellos are known."""
        if self._secret is None or len(self._hellos) < 2:
            raise LocalProtocolError("no proof can be made: no secret, or the hellos are not done")
        return Proof(_mac(self._secret, self.our_role, self._hellos[C], self._hellos[S]))

    # -- sending --

    def send(self, event: Event) -> bytes:
        """Check that ``event`` may be sent now, update the state, return its bytes."""
        if self._error is not None:
            if isinstance(event, Bye):  # saying why we hang up is always allowed
                return self.channel.seal(encode(event))
            raise LocalProtocolError(f"cannot send after a protocol error: {self._error}")
        next_state = self._next_state(self.our_role, event, LocalProtocolError)
        if type(event) is Message:
            frame = self.chat.post(event, self.our_role)  # numbered and kept
        else:
            if type(event) is Ping:
                event = Ping(self.chat.delivery.received)
            frame = encode(event)
        self._enter(next_state)
        if isinstance(event, (Hello, Proof)):
            if isinstance(event, Hello):
                self._hellos[self.our_role] = event
            self._check_established()
        return self.channel.seal(frame)

    def resend(self) -> bytes:
        """What the partner lacks of ours, in order, sealed for this connection:
        after resuming, once the hellos have said how far each side has received."""
        return b"".join(map(self.channel.seal, self.chat.delivery.to_resend()))

    # -- receiving --

    def receive_data(self, data: bytes) -> None:
        """Bytes from the peer; ``b""`` means the peer closed the connection."""
        if self._error is not None:
            raise self._error
        if self._eof and data:
            raise RuntimeError("receive_data after end of file")
        self._eof = not data
        try:
            self.channel.receive_data(data)
        except RemoteProtocolError as error:
            self._fail(error)

    def next_event(self) -> Event | _NeedData:
        """The next event from the peer, or NEED_DATA. Raises RemoteProtocolError."""
        if self._error is not None:
            raise self._error
        while True:
            try:
                frame = self.channel.next_frame()
            except RemoteProtocolError as error:
                self._fail(error)
            if frame is None:
                return ConnectionClosed() if self.channel.at_eof else NEED_DATA
            try:
                event = decode(frame)
                self._check_secret(event)
                if isinstance(event, (Message, Ping)) and self.established:
                    delivery = self.chat.delivery
                    delivery.acknowledge(event.ack)
                    if isinstance(event, Message) and delivery.accept(event.seq) is DUPLICATE:
                        continue  # sent again after a reconnect: we have it already
                self._enter(self._next_state(self.their_role, event, RemoteProtocolError))
                if isinstance(event, Hello):
                    self._hellos[self.their_role] = event
                    self.peer_name = event.name
                self._check_established()
            except SequenceError as error:
                self._fail(RemoteProtocolError(str(error)))
            except RemoteProtocolError as error:
                self._fail(error)
            return event

    # -- internals --

    def _check_established(self) -> None:
        """Once the handshake is done: a new chat is named by the server's hello;
        a resumed one goes on in its own turn, and what the peer already has is
        dropped from the outbox."""
        if not self.established or self._settled:
            return
        if self.chat is None:  # the client of a new chat: the server named it
            self.chat = ChatRecord(self._hellos[S].session, self.peer_name)
        elif self.resumed:
            if self._hellos[self.their_role].session != self.chat.token:
                raise RemoteProtocolError("the other side no longer has this chat")
            self.state = _TURN_STATE[self.chat.turn]
            try:
                self.chat.delivery.acknowledge(self._hellos[self.their_role].received)
            except SequenceError as error:
                self._fail(RemoteProtocolError(str(error)))
        self._settled = True

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

    def _next_state(self, who: Role, event: Event, error: type[ProtocolError]) -> State:
        """The state ``who`` sending ``event`` leads to; raises ``error`` if it may not."""
        if isinstance(event, Bye) and self.state not in (State.CLOSED, State.ERROR):
            return State.CLOSED
        next_state = _TRANSITIONS.get((self.state, who, _kind(event)))
        if next_state is None:
            raise error(
                f"the {who.value} may not send {_kind(event)} "
                f"in state {self.state.name} ({self.state.value})"
            )
        return next_state

    def _enter(self, state: State) -> None:
        """Move to ``state``; once the chat is on, the turn is the record's too."""
        self.state = state
        if self._settled and state in _TURN_OF:
            self.chat.turn = _TURN_OF[state]
