"""The chat_curses chat protocol, free of I/O: one connection of a chat, after its handshake.

Theory of operation
-------------------

A ``Protocol`` is one connection of a conversation seen from one side (the
client or the server). It never touches a socket. Bytes that arrive go in
through ``receive_data``; ``next_event`` hands out what they mean, one event
at a time, or ``NEED_DATA``. An event we want to send goes through ``send``,
which checks that it is legal now and returns the bytes to write.

Under it, its ``channel`` makes frames of the bytes and bytes of the frames:
a ``channel.SealedChannel``, once the secure handshake (``handshake``) has
proved who is on the other side and given the keys. Each frame is one JSON
object (``codec``); above the channel nothing knows how frames cross the
wire. Inside the sealed channel the chat goes::

    client: {"type":"hello","version":3,"name":"user","received":0}
    server: {"type":"hello","version":3,"name":"server","received":0}
    client: {"type":"message","seq":1,"ack":0,"text":"hello","sent":"2023-04-17T11:42:43Z"}
    server: {"type":"ping","ack":1}
    server: {"type":"message","seq":1,"ack":1,"text":"hi","sent":"2023-04-17T11:42:58Z"}
    client: {"type":"bye"}

The conversation is a small state machine (``_TRANSITIONS``), the same on
both sides: the client says hello, the server answers hello, then the turn
alternates, client first, one message per turn. Pings, which keep a quiet
link known to be alive, may come from either side at any time in the chat.
Either side may say bye at any moment, which ends it. Anything else is a
protocol error: ours (``LocalProtocolError``, raised by ``send``) or the
peer's (``RemoteProtocolError``, raised by ``next_event``). After a remote
error the protocol is dead and every further call raises it again, except
that we may still send a bye, to tell the peer why we hang up.

A chat outlives its connections: what it is (its resume secret, the
partner's name, whose turn it is, and ``delivery.Delivery``'s numbers,
acknowledgements and outbox) is a ``record.ChatRecord``, which the
protocol of each connection carries on. A connection whose handshake
proved the chat's resume secret takes it up (``take_up``); both hellos say
how far they have received, so that each side sends again what the other
lacks (``resend``). A resumed chat goes on in the turn it had.

Sizes are bounded: a message carries at most 64 KiB of UTF-8 text, and no
frame may be larger than twice the text limit (JSON may escape a character
as two bytes) plus room for the other fields.
"""

from __future__ import annotations

import enum

from .channel import LineChannel, SealedChannel
from .codec import decode, encode
from .delivery import DUPLICATE, SequenceError
from .events import (
    NEED_DATA,
    Bye,
    ConnectionClosed,
    Event,
    Hello,
    LocalProtocolError,
    Message,
    Ping,
    ProtocolError,
    RemoteProtocolError,
    Role,
    Typing,
    _NeedData,
)
from .record import ChatRecord

# --- The state machine -----------------------------------------------------


class State(enum.Enum):
    # Hashed as objects are, in C: the table below is looked up for every frame.
    __hash__ = object.__hash__

    AWAIT_CLIENT_HELLO = "waiting for the client's hello"
    AWAIT_SERVER_HELLO = "waiting for the server's hello"
    CLIENT_TURN = "the client's turn"
    SERVER_TURN = "the server's turn"
    CLOSED = "closed"
    ERROR = "broken"


_KINDS = {Hello: "hello", Message: "message", Ping: "ping", Typing: "typing", Bye: "bye",
          ConnectionClosed: "connectionclosed"}

C, S = Role.CLIENT, Role.SERVER
# (state, who sends, kind of event) -> next state. Bye is legal from either
# side in every state but CLOSED and ERROR; that rule is in Protocol._next_state.
_TRANSITIONS: dict[tuple[State, Role, str], State] = {
    (State.AWAIT_CLIENT_HELLO, C, "hello"): State.AWAIT_SERVER_HELLO,
    (State.AWAIT_SERVER_HELLO, S, "hello"): State.CLIENT_TURN,
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
_HELLO_DUE = {(State.AWAIT_CLIENT_HELLO, C), (State.AWAIT_SERVER_HELLO, S)}


class Protocol:
    """One side of one connection: bytes in, events out; events in, bytes out.

    The chat the connection carries is ``chat`` (a ``record.ChatRecord``): a
    new one, made once the hellos are done, which keeps ``resume_secret``
    (the handshake's, for the chat's life), or one taken up to resume it
    (``take_up``). ``channel`` is the seam where frames are sealed and opened.
    """

    def __init__(self, our_role: Role, channel: LineChannel | SealedChannel | None = None,
                 resume_secret: bytes = b"", verified: str = "") -> None:
        self.our_role, self.their_role = our_role, our_role.other
        self.state = State.AWAIT_CLIENT_HELLO
        self.peer_name: str | None = None
        self.chat: ChatRecord | None = None
        self.resumed = False  # the chat is one taken up, not a new one
        self.channel = LineChannel() if channel is None else channel
        self._resume_secret, self._verified = resume_secret, verified  # a new chat's
        self._settled = False  # the chat is on: its turn is the record's from now on
        self._hellos: dict[Role, Hello] = {}
        self._eof = False
        self._error: RemoteProtocolError | None = None

    def take_up(self, chat: ChatRecord) -> None:
        """Carry ``chat`` on where another connection left it, before saying hello.
        Once both hellos are done, the chat goes on in its own turn, and what the
        peer already has is dropped from the outbox."""
        if self._hellos.get(self.our_role) is not None:
            raise LocalProtocolError("a chat can only be taken up before our hello")
        self.chat, self.resumed = chat, True

    # -- queries --

    @property
    def established(self) -> bool:
        """The hellos are done and the conversation is on."""
        return self.state in _TURN_OF

    @property
    def our_turn(self) -> bool:
        return _TURN_OF.get(self.state) is self.our_role

    @property
    def hello_due(self) -> bool:
        """It is our move to say hello (the client opens; the server answers)."""
        return (self.state, self.our_role) in _HELLO_DUE

    @property
    def turn(self) -> Role | None:
        """Whose turn it is, once the chat is on."""
        return _TURN_OF.get(self.state)

    @property
    def buffered(self) -> int:
        """How many received bytes wait to be decoded."""
        return self.channel.buffered

    def hello(self, name: str) -> Hello:
        """Our hello: who we are, and how far we have received the chat we take up."""
        return Hello(name, received=self.chat.delivery.received if self.chat is not None else 0)

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
                event = Ping(self.chat.delivery.received, event.deaf)
            frame = encode(event)
        self._enter(next_state)
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
                if isinstance(event, (Message, Ping)) and self.established:
                    delivery = self.chat.delivery
                    delivery.acknowledge(event.ack)
                    if isinstance(event, Message):
                        if delivery.accept(event.seq) is DUPLICATE:
                            continue  # sent again after a reconnect: we have it already
                        self.chat.chain(self.their_role, event)
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
        """Once the hellos are done: a new chat gets its record; a resumed one goes
        on in its own turn, and what the peer already has is dropped from the outbox."""
        if not self.established or self._settled:
            return
        if self.chat is None:
            self.chat = ChatRecord(self._resume_secret, self.peer_name, verified=self._verified)
        else:
            self.state = _TURN_STATE[self.chat.turn]
            try:
                self.chat.delivery.acknowledge(self._hellos[self.their_role].received)
            except SequenceError as error:
                self._fail(RemoteProtocolError(str(error)))
        self._settled = True

    def _fail(self, error: RemoteProtocolError) -> None:
        self.state = State.ERROR
        self._error = error
        raise error

    def _next_state(self, who: Role, event: Event, error: type[ProtocolError]) -> State:
        """The state ``who`` sending ``event`` leads to; raises ``error`` if it may not."""
        if isinstance(event, Bye) and self.state not in (State.CLOSED, State.ERROR):
            return State.CLOSED
        kind = _KINDS[type(event)]
        next_state = _TRANSITIONS.get((self.state, who, kind))
        if next_state is None:
            raise error(f"the {who.value} may not send {kind} "
                        f"in state {self.state.name} ({self.state.value})")
        return next_state

    def _enter(self, state: State) -> None:
        """Move to ``state``; once the chat is on, the turn is the record's too."""
        self.state = state
        if self._settled and state in _TURN_OF:
            self.chat.turn = _TURN_OF[state]
