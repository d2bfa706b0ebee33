"""Whom the server's door lets in, and how fast. No clock of its own, no sockets.

The door (``shell.listener.Door``) accepts connections, runs their
handshakes and carries out what is decided here:

- a hello (``answer``): a new chat when none is on, if the client brings
  what the server needs (the secret, when it has one; else a pairing code,
  or nothing unless the code is required); the partner resuming the chat
  under way, which the handshake then proves; "that chat is over" to a
  resume when no chat is on; busy for anyone else while a chat is on;
- squatters: at most ``MAX_CANDIDATES`` handshakes run at once. While every
  place is taken, a newcomer replaces the handshake that has made the
  least progress (``weakest``: fewest whole frames, then the longest
  silent), at most ``REPLACEMENTS_PER_SECOND`` times a second and evenly
  spaced (``room``), so that strangers holding connections open, or
  reconnecting as fast as they are dropped, cannot keep a partner out. A
  hello waiting for its answer (held back after wrong guesses) is never
  replaced: the hellos are answered in the order they came, and while every
  place holds one, newcomers wait in the kernel's queue, in theirs;
- ``accept()`` failing (out of file descriptors): the listener rests
  ``ACCEPT_PAUSE``, and it is said once per run of failures;
- guessing the code or the secret: every answer bound to one that is not
  followed by the client's proof counts as a wrong guess, whatever ends
  it (a wrong proof, a reset, silence: the server proves first, so the
  guesser knows at once whether it guessed right). After one, hellos are
  answered ``GUESS_PAUSE`` apart, doubling with each further wrong guess
  up to ``GUESS_PAUSE_CAP``; a good handshake, or ``GUESS_FORGET`` seconds
  without a wrong guess, resets the pace.

Every method that depends on the time takes ``now``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

MAX_CANDIDATES = 8
REPLACEMENTS_PER_SECOND = 50
ACCEPT_PAUSE = 1.0
GUESS_PAUSE, GUESS_PAUSE_CAP = 1.0, 8.0
GUESS_FORGET = 60.0


class Answer(enum.Enum):
    NEW = "a new chat"
    RESUME = "the partner, resuming the chat"
    CHAT_OVER = "a resume of a chat that is over"
    BUSY = "busy: another chat is on"
    REFUSE = "turned away"


def answer(chat_on: bool, brings: str, has_secret: bool, require_code: bool,
           given_up: bool = False) -> tuple[Answer, str]:
    """What a client's hello gets, by what it brings (``wire.handshake.Brings``):
    the answer, and for a refusal its words (for the client, and the server's
    own line). With a secret the secret is needed; without one a code or,
    unless ``require_code``, nothing (an unverified chat). A chat given up
    (``given_up``, ``chat.farewell``) is resumed only to be told it is over."""
    if brings == "resume":
        return (Answer.RESUME, "") if chat_on or given_up else (Answer.CHAT_OVER, "")
    if chat_on:
        return Answer.BUSY, ""
    if has_secret and brings != "secret":
        return Answer.REFUSE, "the server uses a shared secret and the client has none"
    if not has_secret and brings == "secret":
        return Answer.REFUSE, "the client uses a shared secret and the server has none"
    if brings == "none" and require_code:
        return Answer.REFUSE, "the server requires the pairing code (--require-code)"
    return Answer.NEW, ""


def weakest(candidates: Sequence):
    """The handshake to replace: the least progress (``.progress``: whole frames
    received, then when the last came)."""
    return min(candidates, key=lambda candidate: candidate.progress)


class Admission:
    def __init__(self) -> None:
        self.accept_paused_until = 0.0  # accept() failed, or must wait: it rests until then
        self.accept_failing = False  # said once per run of failures
        self.next_replacement_at = 0.0  # no handshake is cut for a newcomer sooner
        self.wrong_proofs = 0  # in a row, since the last good handshake
        self.wrong_at = 0.0  # when the last wrong guess was made
        self.next_answer_at = 0.0  # no hello is answered sooner

    # -- accepting --

    def accepting(self, now: float) -> bool:
        """The listener may be read now."""
        return now >= self.accept_paused_until

    def room(self, running: int, now: float, replaceable: int | None = None) -> bool:
        """Another connection may be taken, ``running`` handshakes being under way,
        ``replaceable`` of them (all, unless said) not waiting for their answer: a
        place is free, or one may be replaced now. If not, the listener rests until one may.

        Replacements are spaced evenly, never in bursts: a connection just
        accepted then has MAX_CANDIDATES spacings (160 ms) to say hello
        before it could be the one with the least progress.
        """
        if running < MAX_CANDIDATES:
            return True
        if replaceable == 0:  # every place holds a hello in line for its answer: wait
            self.accept_paused_until = now + 1 / REPLACEMENTS_PER_SECOND
            return False
        if now >= self.next_replacement_at:
            return True
        self.accept_paused_until = self.next_replacement_at
        return False

    def must_replace(self, running: int, now: float) -> bool:
        """A connection was taken while every place is taken: one handshake goes for it."""
        if running < MAX_CANDIDATES:
            return False
        self.next_replacement_at = now + 1 / REPLACEMENTS_PER_SECOND
        return True

    def accepted(self) -> None:
        self.accept_failing = False

    def accept_failed(self, now: float) -> bool:
        """accept() failed: the listener rests. True the first time in a run: say so."""
        self.accept_paused_until = now + ACCEPT_PAUSE
        first, self.accept_failing = not self.accept_failing, True
        return first

    # -- guessing --

    def wrong_proof(self, now: float) -> bool:
        """A wrong guess at the code or the secret: the next hellos are answered more
        slowly. True for the first in a row: say so."""
        self._forget(now)
        self.wrong_proofs += 1
        self.wrong_at = now
        self.next_answer_at = now + self.pause()
        return self.wrong_proofs == 1

    def good_handshake(self) -> None:
        self.wrong_proofs = 0

    def _forget(self, now: float) -> None:
        """Long enough without a wrong guess, and the pace is as before the first."""
        if self.wrong_proofs and now - self.wrong_at >= GUESS_FORGET:
            self.wrong_proofs = 0

    def may_answer(self, now: float) -> bool:
        """A hello may be answered now; after wrong proofs, the next one is held back."""
        self._forget(now)
        if now < self.next_answer_at:
            return False
        if self.wrong_proofs:
            self.next_answer_at = now + self.pause()
        return True

    def holding_back(self) -> bool:
        """Hellos wait for their answer (until ``next_answer_at``)."""
        return self.next_answer_at != 0.0

    def pause(self) -> float:
        return min(GUESS_PAUSE * 2 ** (self.wrong_proofs - 1), GUESS_PAUSE_CAP)
