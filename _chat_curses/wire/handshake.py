"""The secure handshake (SPEC 11): who is on the other side, and the keys. No I/O.

Theory of operation
-------------------

Every connection starts with it, before anything of the chat is said. It
composes published pieces the way magic-wormhole, Noise and TLS 1.3 do:

1. The client's hello, one plain JSON line: the protocol version, what the
   client brings to prove itself (``Brings``: the pairing code, the shared
   secret, the chat's resume secret, or nothing), a fresh nonce, a fresh
   X25519 public key, and, with a code or a secret, its SPAKE2 message
   (``spake2.SPAKE2_Symmetric``, that password, the protocol's label).
   Nothing of the chat: no name, no token. Bringing nothing, the client
   sends only a commitment to its nonce and key (the SHA-256 of the line
   that will reveal them), as ZRTP does for its short authentication
   string: whoever answers must choose its own before it can know the
   client's, so a man in the middle cannot try answers until the two
   phrases match (a one in 2^32 chance, not 2^32 tries).
2. The server's hello, the same, saying what it wants: what the client
   brought, or a plain refusal instead (busy, a chat it does not have, a
   protocol too old, a code it requires) that proves nothing. After a
   commitment, the client's reveal line follows it, and the server checks
   it against the commitment.
3. Both compute ``th`` = SHA-256 of the hello lines (and the reveal) as
   they crossed the wire, byte for byte, and ``HKDF-SHA256(salt=th,
   ikm=X25519 result + SPAKE2 key, or + the resume secret, or + nothing,
   info="chat_curses/3")``: a key and a confirmation key per direction, a
   new chat's resume secret, and four bytes for the verification phrase.
   Changing a byte of either hello, or dropping the code from it, changes
   every key.
4. Key confirmation, server first: the server's first sealed record holds
   an HMAC of ``th`` under its confirmation key; the client checks it before
   it sends anything of its own chat, then confirms the same way. Only then
   is the handshake ``Proven``, and the chat (``protocol.Protocol``) goes on
   over ``channel`` (a ``channel.SealedChannel``).

What each piece buys: X25519 and the AEAD keep the path from reading or
changing a frame; ``th`` in every key notices a changed or stripped hello
(a downgrade); SPAKE2 gives a stranger one guess per connection at a code
and a recording nothing to guess offline; fresh nonces and keys make a
recording useless to replay, and every connection's nonces its own; the
phrase, different on the two sides if anyone relays between them, shows a
man in the middle of an unverified chat.

A server answers a client's hello only when told how (``accept``,
``refuse``, ``busy``): whom it admits is not the handshake's to decide.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import os

from ..values import Pattern
from .channel import SealedChannel
from .events import NEED_DATA, ConnectionClosed, NotProven, Refused, RemoteProtocolError, Role

VERSION = 3
LABEL = b"chat_curses/3"
# A plain line of the handshake is short; anything longer is not ours.
MAX_LINE_BYTES = 1024
_KEY, _PHRASE = 32, 4
_HEX_32 = Pattern(r"[0-9a-f]{32}")
_HEX_64 = Pattern(r"[0-9a-f]{64}")
_HEX_66 = Pattern(r"[0-9a-f]{66}")
# The server's word to a client resuming a chat it does not have.
CHAT_OVER = "that chat is over"


class Brings(str, enum.Enum):
    """What a client brings to prove itself."""

    __hash__ = object.__hash__

    CODE = "code"
    SECRET = "secret"
    RESUME = "resume"
    NONE = "none"


# What the other side sees when the proof fails, by what was to prove it.
NOT_PROVEN = {
    Brings.CODE: "wrong pairing code",
    Brings.SECRET: "the shared secrets do not match",
    Brings.RESUME: "it could not prove it holds this chat",
    Brings.NONE: "the handshake was changed on the way",
}


class ClientHello:
    """The server's part: a client said hello, bringing ``brings``. Answer it."""

    def __init__(self, brings: Brings) -> None:
        self.brings = brings


class Proven:
    """Both sides proved the key: how (``how``), the phrase's four bytes, and the
    resume secret a new chat keeps."""

    def __init__(self, how: Brings, phrase: bytes, resume_secret: bytes) -> None:
        self.how, self.phrase, self.resume_secret = how, phrase, resume_secret


class Handshake:
    """One side of one connection's handshake: bytes in, events and bytes out.

    A client says what it brings, and the password (the code or the secret)
    or resume secret that goes with it; a server says nothing until it has
    read the client's hello (``ClientHello``) and is told how to answer.
    """

    def __init__(self, role: Role, brings: Brings = Brings.NONE, password: bytes = b"",
                 resume_secret: bytes = b"") -> None:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        self.role = role
        self.brings = brings
        self.channel: SealedChannel | None = None  # once the keys are known
        self.proven: Proven | None = None
        self._private = X25519PrivateKey.generate()
        self._nonce = os.urandom(16)
        self._password, self._resume_secret = password, resume_secret
        self._pake = None
        self._buffer = bytearray()
        self._closed = False
        self._lines: list[bytes] = []  # the hellos, as hashed into the transcript
        self._keys: dict[str, bytes] = {}
        self._output = bytearray()
        self._client_hello: dict | None = None
        self._answered = False
        self._reveal = b""  # the client's, bringing nothing: the line its commitment hides

    # -- the client --

    def hello(self) -> bytes:
        """The client's hello line."""
        fields = {"type": "hello", "version": VERSION, "brings": self.brings.value}
        offer = self._offer(self._password)
        if self.brings is Brings.NONE:  # committed to now, revealed after the server's hello
            self._reveal = _line({"type": "reveal", **offer})
            fields["commit"] = hashlib.sha256(self._reveal).hexdigest()
        else:
            fields.update(offer)
        return self._said(fields)

    # -- the server --

    def accept(self, password: bytes = b"", resume_secret: bytes = b"") -> bytes:
        """Answer the client's hello with ours, bound to ``password`` (the code or the
        secret it brought) or ``resume_secret``, and our proof of the key."""
        if self._client_hello is None or self._answered:
            raise RuntimeError("accept() answers a client's hello, once")
        self._answered = True
        self._password, self._resume_secret = password, resume_secret
        fields = {"type": "hello", "version": VERSION, "wants": self.brings.value}
        fields.update(self._offer(password))
        line = self._said(fields)
        if self.brings is Brings.NONE:
            return line  # the keys wait for the client's reveal
        self._agree(self._client_hello)
        return line + self.channel.seal(self._confirmation(Role.SERVER))

    def refuse(self, reason: str) -> bytes:
        """A plain refusal (it proves nothing: a stranger could say it too)."""
        self._answered = True
        return _line({"type": "bye", "reason": reason})

    def busy(self) -> bytes:
        self._answered = True
        return _line({"type": "busy"})

    # -- both --

    def receive_data(self, data: bytes) -> None:
        """Bytes from the peer; ``b""`` means it closed the connection."""
        if self.channel is not None:
            self.channel.receive_data(data)
        elif not data:
            self._closed = True
        else:
            self._buffer += data

    def data_to_send(self) -> bytes:
        """What the handshake has to send of itself: the client's reveal and its
        confirmation, the server's confirmation after a reveal."""
        output, self._output = bytes(self._output), bytearray()
        return output

    def next_event(self):
        """``ClientHello`` (the server's), ``Proven``, ``ConnectionClosed`` or NEED_DATA.
        Raises ``Refused``, ``NotProven`` or another RemoteProtocolError."""
        if self.proven is not None:
            return NEED_DATA
        if self.channel is not None:
            return self._confirmed()
        end = self._buffer.find(b"\n")
        if end < 0:
            if len(self._buffer) > MAX_LINE_BYTES:
                raise RemoteProtocolError("its handshake line is too long: not chat_curses")
            return ConnectionClosed() if self._closed else NEED_DATA
        line = bytes(self._buffer[: end + 1])  # hashed as it came, byte for byte
        del self._buffer[: end + 1]
        if self.role is Role.SERVER:
            if self._client_hello is None:
                self._client_hello = self._read_hello(line, "brings")
                self.brings = Brings(self._client_hello["brings"])
                return ClientHello(self.brings)
            if self.brings is not Brings.NONE or not self._answered:
                raise RemoteProtocolError("it spoke before the server answered")
            self._agree(self._read_reveal(line))
            self._output += self.channel.seal(self._confirmation(Role.SERVER))
            return self._confirmed()
        fields = self._read_hello(line, "wants")
        if fields["wants"] != self.brings.value:
            raise NotProven(f"it answered {fields['wants']!r} to {self.brings.value!r}: "
                            f"the handshake may have been changed on the way", self.brings.value)
        if self._reveal:
            self._lines.append(self._reveal)
            self._output += self._reveal
        self._agree(fields)
        return self._confirmed()

    # -- internals --

    def _offer(self, password: bytes) -> dict:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        fields = {"nonce": self._nonce.hex(),
                  "key": self._private.public_key().public_bytes(Encoding.Raw,
                                                                 PublicFormat.Raw).hex()}
        if password:
            from spake2 import SPAKE2_Symmetric

            self._pake = SPAKE2_Symmetric(password, idSymmetric=LABEL)
            fields["pake"] = self._pake.start().hex()
        return fields

    def _said(self, fields: dict) -> bytes:
        line = _line(fields)
        self._lines.append(line)
        return line

    def _read_hello(self, line: bytes, says: str) -> dict:
        """The other side's plain line, checked: its hello, or the refusal it is."""
        try:
            fields = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise RemoteProtocolError("its handshake is not chat_curses's") from None
        if not isinstance(fields, dict):
            raise RemoteProtocolError("its handshake is not chat_curses's")
        kind = fields.get("type")
        if self.role is Role.CLIENT and kind == "busy":
            raise Refused("the server is busy in another chat", Refused.BUSY)
        if self.role is Role.CLIENT and kind == "bye":
            reason = str(fields.get("reason", ""))[:200]
            raise Refused(reason, Refused.CHAT_OVER if reason == CHAT_OVER else Refused.SAID)
        version = fields.get("version")
        if kind == "hello" and version != VERSION:
            # (a number, never the peer's text: it would reach the screen)
            which = f"version {version}" if type(version) is int else "another version"
            raise Refused(f"speaks protocol {which} (with no encryption); "
                          f"both sides need version {VERSION}, which encrypts every chat",
                          Refused.OLD_VERSION)
        valid = {brings.value for brings in Brings}
        if kind != "hello" or fields.get(says) not in valid:
            raise RemoteProtocolError("its handshake is not chat_curses's")
        if says == "brings" and fields[says] == Brings.NONE:  # a commitment, revealed later
            if not _HEX_64.fullmatch(str(fields.get("commit"))):
                raise RemoteProtocolError("its handshake is not chat_curses's")
        else:
            self._check_offer(fields)
        self._lines.append(line)
        return fields

    def _read_reveal(self, line: bytes) -> dict:
        """The client's reveal line (bringing nothing): it must be what it committed to."""
        promised = bytes.fromhex(self._client_hello["commit"])
        if not hmac.compare_digest(hashlib.sha256(line).digest(), promised):
            raise NotProven(NOT_PROVEN[Brings.NONE], Brings.NONE.value)
        try:
            fields = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise RemoteProtocolError("its handshake is not chat_curses's") from None
        if not isinstance(fields, dict) or fields.get("type") != "reveal":
            raise RemoteProtocolError("its handshake is not chat_curses's")
        self._check_offer(fields)
        self._lines.append(line)
        return fields

    @staticmethod
    def _check_offer(fields: dict) -> None:
        if (not _HEX_32.fullmatch(str(fields.get("nonce")))
                or not _HEX_64.fullmatch(str(fields.get("key")))):
            raise RemoteProtocolError("its handshake is not chat_curses's")
        if fields.get("wants", fields.get("brings")) in (Brings.CODE, Brings.SECRET) and \
                not _HEX_66.fullmatch(str(fields.get("pake"))):
            raise RemoteProtocolError("its pairing message is malformed")

    def _agree(self, theirs: dict) -> None:
        """The keys, from both hellos and what is shared."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        try:
            shared = self._private.exchange(X25519PublicKey.from_public_bytes(
                bytes.fromhex(theirs["key"])))
            if self._pake is not None:
                shared += self._pake.finish(bytes.fromhex(theirs["pake"]))
        except Exception:  # a key not on the curve, a message spake2 refuses
            raise RemoteProtocolError("its key exchange is malformed") from None
        shared += self._resume_secret
        # The client's hello, the server's, and the client's reveal, if any, as they crossed.
        transcript = hashlib.sha256(b"".join(self._lines)).digest()
        keys = HKDF(algorithm=hashes.SHA256(), length=5 * _KEY + _PHRASE, salt=transcript,
                    info=LABEL).derive(shared)
        names = ("client", "server", "client proof", "server proof", "resume")
        self._keys = {name: keys[n * _KEY:(n + 1) * _KEY] for n, name in enumerate(names)}
        self._keys["phrase"], self._keys["transcript"] = keys[5 * _KEY:], transcript
        ours, theirs_key = (("client", "server") if self.role is Role.CLIENT
                            else ("server", "client"))
        self.channel = SealedChannel(self._keys[ours], self._keys[theirs_key], bytes(self._buffer))
        self._buffer.clear()
        if self._closed:
            self.channel.receive_data(b"")

    def _confirmation(self, prover: Role) -> bytes:
        mac = hmac.new(self._keys[f"{prover.value} proof"], self._keys["transcript"],
                       hashlib.sha256).hexdigest()
        return json.dumps({"type": "confirm", "mac": mac}, separators=(",", ":")).encode()

    def _confirmed(self):
        """The other side's confirmation, once it came: proven, or not."""
        other = self.role.other
        try:
            frame = self.channel.next_frame()
        except RemoteProtocolError:
            frame = b"{}"  # a record sealed under other keys: the same verdict as a wrong proof
        if frame is None:
            if not self.channel.at_eof:
                return NEED_DATA
            if self.role is Role.CLIENT:
                return ConnectionClosed()
            frame = b"{}"  # left after our proof without its own: a guess, or a broken link
        if not hmac.compare_digest(frame, self._confirmation(other)):
            raise NotProven(NOT_PROVEN[self.brings], self.brings.value)
        if self.role is Role.CLIENT:
            self._output += self.channel.seal(self._confirmation(Role.CLIENT))
        self.proven = Proven(self.brings, self._keys["phrase"], self._keys["resume"])
        return self.proven


def warm_up() -> None:
    """Load what a handshake computes with (about 0.1 s: spake2 builds its group in
    Python), and the codec, so that the first connection need not wait for them. Run
    in a thread while a person answers the prompts or a server waits for its partner. Whatever
    goes wrong here (no descriptor left to open a module with) is left for the
    handshake, which imports the same modules again and says what failed."""
    try:
        import cryptography.hazmat.primitives.asymmetric.x25519  # noqa: F401
        import cryptography.hazmat.primitives.ciphers.aead  # noqa: F401
        import cryptography.hazmat.primitives.kdf.hkdf  # noqa: F401
        import spake2  # noqa: F401

        from . import codec  # noqa: F401 - and datetime, which reads the messages' times
    except Exception:  # noqa: BLE001 - a thread's traceback would land on the screen
        pass


def _line(fields: dict) -> bytes:
    return json.dumps(fields, separators=(",", ":")).encode("utf-8") + b"\n"
