"""The --log file: every history line appended as shown, flushed at once."""

from __future__ import annotations

import contextlib
import errno
import os
import stat

from ..text.history import DIGEST, Line


class Transcript:
    """The --log file: every history line appended as shown, flushed at once."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.digest: Line | None = None  # the conversation's, written last (SPEC 12)

    @classmethod
    def open(cls, path: str) -> "Transcript":
        """Open ``path`` for appending, refusing what would block or betray us.

        Only a regular file will do: a FIFO nobody reads would freeze the
        loop, a device is no transcript. A symbolic link is followed only
        when it is our own, so that another user cannot plant one (in /tmp,
        say) to make us write into a file of their choosing. The file is
        opened without blocking, then checked, before anything is written.
        Raises OSError, or ValueError with the reason in words.
        """
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0)
        with contextlib.suppress(FileNotFoundError):
            if os.path.islink(path) and os.lstat(path).st_uid != _our_uid():
                raise ValueError("it is a symbolic link that belongs to another user")
            if not os.path.islink(path):
                flags |= getattr(os, "O_NOFOLLOW", 0)  # it may not turn into one now
        try:
            fd = os.open(path, flags, 0o600)  # a private record
        except OSError as error:
            if error.errno == errno.ENXIO:  # a FIFO with no reader
                raise ValueError("it is not a regular file") from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ValueError("it is not a regular file")
        return cls(os.fdopen(fd, "a", encoding="utf-8", errors="replace"))

    def write(self, line: Line) -> None:
        if line.kind == DIGEST:  # the file's last line, whatever follows it on screen
            self.digest = line
            return
        self.stream.write(line.as_text() + "\n")
        self.stream.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self.digest is not None:
                self.stream.write(self.digest.as_text() + "\n")
            self.stream.close()


def _our_uid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else 0
