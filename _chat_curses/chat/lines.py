"""The lines the chat shows, as text: messages, times, addresses, durations, socket
errors in words, and the notes of strangers turned away."""

from __future__ import annotations

import errno
import time

from ..text.history import DIGEST, History
from ..text.validate import clean_lines, clean_name
from ..values import TWO_DIGITS
from .setup import SECRET_ENV

# After this many "Ignored connection" lines in a row, further ones are
# counted on one line instead of filling the history.
IGNORED_LINES_SHOWN = 3


def format_address(host: str, port: int) -> str:
    """host:port, with IPv6 literals in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# The local hour of the last time written: when it starts and ends (seconds since the
# epoch), and what ``time.ctime`` writes before its minutes and after its seconds.
_hour: tuple[int, int, str, str] = (0, 0, "", "")


def format_time(seconds: int) -> str:
    """Local time in ``time.ctime`` form: Mon Apr 17 11:42:43 2023.

    Within the hour of the last time written, only its minutes and seconds
    are worked out: ``ctime`` converts to local time and formats it anew at
    every call, which cost each message's line more than the rest of it.
    """
    start, end, before, after = _hour
    if type(seconds) is int and start <= seconds < end:
        minute, second = divmod(seconds - start, 60)
        return f"{before}{TWO_DIGITS[minute]}:{TWO_DIGITS[second]}{after}"
    try:
        text = time.ctime(seconds)
    except (OverflowError, OSError, ValueError):  # beyond this platform's clock
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))
    if type(seconds) is int:
        _learn_hour(seconds, text)
    return text


def _learn_hour(seconds: int, text: str) -> None:
    """Keep the local hour of ``seconds`` (``text``: its ctime) for ``format_time``,
    unless the clock's offset from UTC changes within it (summer time begins or
    ends) or ``text`` is not laid out as ctime's usual form."""
    global _hour
    try:
        local = time.localtime(seconds)
        start = seconds - local.tm_min * 60 - local.tm_sec
        offsets = {time.localtime(start).tm_gmtoff, local.tm_gmtoff,
                   time.localtime(start + 3599).tm_gmtoff}
    except (OverflowError, OSError, ValueError):  # an hour at the end of the clock: not kept
        return
    if len(offsets) == 1 and text[13:14] == text[16:17] == ":":
        _hour = (start, start + 3600, text[:14], text[19:])


def format_message(seconds: int, name: str, text: str) -> str:
    """A history line; the line breaks of a pasted block are kept, all else is cleaned."""
    return f"<{format_time(seconds)}> [{clean_name(name)}]: {clean_lines(text)}"


def minutes(seconds: float) -> str:
    """A duration to the minute: <1 min, 12 min, 2 h 5 min."""
    whole = int(seconds // 60)
    if whole < 1:
        return "<1 min"
    if whole < 60:
        return f"{whole} min"
    return f"{whole // 60} h {whole % 60} min"


def minutes_or_seconds(seconds: float) -> str:
    """A duration to the second under a minute, else to the minute."""
    return f"{int(seconds)} s" if seconds < 60 else minutes(seconds)


def unsent_draft(draft: str) -> str:
    """The line that keeps a message half typed when the chat ends ("" for none)."""
    if not draft.strip():
        return ""
    return "Not sent (you were typing): " + clean_lines(draft)


def add_digest(history: History, chat) -> None:
    """The conversation's digest, as the chat (a ``ChatRecord``) ends: both sides
    show the same words when both saw the same messages in the same order (SPEC 12)."""
    if chat is not None and chat.digest:
        from ..words import digest_words  # here: the first prompt need not wait for it

        history.add(f"Conversation digest: {digest_words(chat.digest, chat.messages)}", DIGEST)


def not_back(name: str, window: float) -> str:
    """Why a chat ended when its window ran out: the last word."""
    return f"{name} did not come back within {minutes_or_seconds(window)}"


def goodbye(history: History, chat, name: str) -> None:
    """The chat ends by ``name``'s goodbye: the digest, then the seed's closing lines."""
    add_digest(history, chat)
    history.add(f"User {name} left the chat.")
    history.add("Shutting down connection...")


def as_invalid_input(error: Exception) -> str:
    text = str(error)
    return text if text.startswith("Invalid") else f"Invalid input: {text}"


def secret_hint(failure: str) -> str:
    """Our own words after a refusal about the secret, whoever said it."""
    if "secret" not in failure:
        return ""
    return f" (both sides need the same secret: --secret-file PATH or {SECRET_ENV})"


def describe_os_error(error: OSError) -> str:
    """A socket error in the words a person expects."""
    words = {
        errno.ECONNREFUSED: "connection refused",
        errno.ECONNRESET: "connection reset by peer",
        errno.EPIPE: "the partner is no longer there (broken pipe)",
        errno.ETIMEDOUT: "the connection timed out",
        errno.EHOSTUNREACH: "no route to host",
        errno.ENETUNREACH: "network is unreachable",
    }
    if error.errno in words:
        return words[error.errno]
    return (error.strerror or str(error)).lower()


class StrangerNotes:
    """A line for each stranger turned away; past a few in a row, one line counts the rest."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.in_a_row = 0
        self.until = -1  # the history's length after the last such line

    def note(self, address: str, reason: str) -> None:
        in_a_row = len(self.history.lines) == self.until  # nothing else said since
        self.in_a_row = self.in_a_row + 1 if in_a_row else 1
        more = self.in_a_row - IGNORED_LINES_SHOWN
        if more <= 0:
            self.history.add(f"Ignored connection from {address}: {reason}", "warning")
        else:
            summary = (f"Ignored {more} more connection{'s' * (more > 1)}; "
                       f"the last from {address}: {reason}")
            if more == 1:
                self.history.add(summary, "warning", final=False)  # the log gets the last count
            else:
                self.history.replace_last(summary, "warning")
        self.until = len(self.history.lines)
