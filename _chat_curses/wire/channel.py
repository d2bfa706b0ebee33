"""The seam under the protocol, where frames are sealed and opened.

``Protocol`` hands its channel each frame it sends (``seal``) and the bytes
that arrive (``receive_data``), and takes whole frames back
(``next_frame``); it never sees how they are framed on the wire. Above this
seam nothing knows whether the bytes are encrypted.

``LineChannel`` frames the handshake's plain lines: one JSON object per
line, ended by ``\\n``, so that a person can follow one with ``nc``.
``SealedChannel`` carries everything after it (SPEC 11), with the same four
methods: what is above this seam does not change when the frames are sealed.

The framing survives any split of the byte stream: one CR before the
newline is allowed (nc sends CR LF), only one, so that where the bytes were
split never changes the verdict; blank lines between frames are allowed; the
unfinished tail is bounded by the largest frame.
"""

from __future__ import annotations

from .events import MAX_FRAME_BYTES, BrokenRecord, RemoteProtocolError


class LineChannel:
    def __init__(self) -> None:
        self._buffer = bytearray()
        self._closed = False  # the peer closed its side
        self.at_eof = False  # ... and every whole frame has been taken

    @property
    def buffered(self) -> int:
        """How many received bytes wait to be made into frames."""
        return len(self._buffer)

    def seal(self, frame: bytes) -> bytes:
        """A frame as it goes on the wire."""
        return frame + b"\n"

    def receive_data(self, data: bytes) -> None:
        """Bytes from the peer; ``b""`` means it closed the connection.
        Raises RemoteProtocolError when an unfinished frame is already too large."""
        if not data:
            self._closed = True
            return
        self._buffer += data
        unfinished = len(self._buffer) - (self._buffer.rfind(b"\n") + 1)
        if unfinished > MAX_FRAME_BYTES + 1:  # room for the CR of a CR LF ending
            raise RemoteProtocolError(f"frame is larger than {MAX_FRAME_BYTES:,} bytes")

    def next_frame(self) -> bytes | None:
        """The next whole frame, or None until more arrives (``at_eof`` tells when
        no more will). Raises RemoteProtocolError for a frame too large, or one
        cut short by the end of the connection."""
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                break
            line = self._buffer[: end - 1 if self._buffer[end - 1 : end] == b"\r" else end]
            del self._buffer[: end + 1]
            if len(line) > MAX_FRAME_BYTES:
                raise RemoteProtocolError(f"frame is larger than {MAX_FRAME_BYTES:,} bytes")
            if line and not line.isspace():
                return line  # (a slice: a copy already, decoded as it is)
        if self._closed:
            if self._buffer.strip():
                raise RemoteProtocolError("connection closed in the middle of a frame")
            self.at_eof = True
        return None


# A record: its length (4 bytes, big-endian), then the sealed frame and its tag.
_HEADER, _TAG = 4, 16
MAX_RECORD_BYTES = MAX_FRAME_BYTES + _TAG


class SealedChannel:
    """Frames sealed with ChaCha20-Poly1305, one key per direction, for one connection.

    Each record is its length, then the frame sealed under a nonce that is
    the count of records sealed before it in that direction (it never
    repeats: the keys are new on every connection, and the count only
    grows), with the length as associated data. A record that does not
    open, whether changed, replayed, reordered, cut or sealed under other
    keys, raises ``BrokenRecord``: the link is broken, not the chat.
    """

    def __init__(self, seal_key: bytes, open_key: bytes, received: bytes = b"") -> None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

        self._sealer, self._opener = ChaCha20Poly1305(seal_key), ChaCha20Poly1305(open_key)
        self._did_not_open = InvalidTag  # (an except clause looks it up only when raised)
        self._sealed = self._opened = 0  # records, each way: the next nonce
        self._buffer = bytearray(received)  # what came after the handshake, already
        self._closed = False
        self.at_eof = False

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def seal(self, frame: bytes) -> bytes:
        header = (len(frame) + _TAG).to_bytes(_HEADER, "big")
        nonce = self._sealed.to_bytes(12, "big")
        self._sealed += 1
        return header + self._sealer.encrypt(nonce, frame, header)

    def receive_data(self, data: bytes) -> None:
        if not data:
            self._closed = True
            return
        self._buffer += data

    def next_frame(self) -> bytes | None:
        buffer = self._buffer
        if len(buffer) >= _HEADER:
            size = int.from_bytes(buffer[:_HEADER], "big")
            if not _TAG <= size <= MAX_RECORD_BYTES:
                raise BrokenRecord(f"a record of {size:,} bytes came: the link is not sound")
            end = _HEADER + size
            if len(buffer) >= end:
                nonce = self._opened.to_bytes(12, "big")
                try:
                    with memoryview(buffer) as record:  # opened where it lies, not copied
                        frame = self._opener.decrypt(nonce, record[_HEADER:end], record[:_HEADER])
                except self._did_not_open:
                    raise BrokenRecord("a record did not open: it was changed, replayed or "
                                       "reordered on the way") from None
                del buffer[:end]
                self._opened += 1
                return frame
        if self._closed:
            if buffer:
                raise BrokenRecord("the connection closed in the middle of a record")
            self.at_eof = True
        return None
