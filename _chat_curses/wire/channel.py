"""The seam under the protocol, where frames are sealed and opened.

``Protocol`` hands its channel each frame it sends (``seal``) and the bytes
that arrive (``receive_data``), and takes whole frames back
(``next_frame``); it never sees how they are framed on the wire. Above this
seam nothing knows whether the bytes are encrypted.

``LineChannel`` is the channel of today: each frame is one line, ended by
``\\n``, so that a person can follow a chat with ``nc``; nothing is sealed.
The secure channel (SPEC 11) takes its place with the same four methods.

The framing survives any split of the byte stream: one CR before the
newline is allowed (nc sends CR LF), only one, so that where the bytes were
split never changes the verdict; blank lines between frames are allowed; the
unfinished tail is bounded by the largest frame.
"""

from __future__ import annotations

from .events import MAX_FRAME_BYTES, RemoteProtocolError


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
