"""How the chat reaches its partner and keeps it, and what a failed try means.

``Reach`` is the part of ``ChatCore`` that the shell reports to about the
link: the server listening, the client dialing and its handshake, a try
that failed, the chat established, taken up from a file. Once the chat is
on, its link is kept by ``keeping.KeptLink`` (``Reach.link``: suspected,
broken, resumed). ``dialing.Dialing`` is the client's policy for its
tries, with no clock of its own.

A try is dialing the server and the handshake after it (``wire.handshake``:
the keys, and the proof of who is on the other side); it must be done
within the timeout (``--timeout``). What a failure means is decided in one
place, ``Reach.handshake_failed``:

- a chat waiting to be resumed (or whose link is suspected): nothing the
  other side says before it has proved the chat's resume secret is
  believed (SPEC 11): a busy, a bye, "that chat is over", junk, a wrong
  proof all mean another try later (``dialing.Dialing.later``: about every
  second, with jitter), while the resume window lasts (the core ends it);
- before the chat: a wrong pairing code typed at the prompt is asked for
  again (each try is one guess); every other failure is the last word.

Every method that depends on the time takes ``now``; the jitter is a
function passed in, so tests give their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..text.validate import clean, clean_lines, clean_name
from ..text.history import Line
from ..values import earliest
from ..wire.handshake import Brings
from ..words import make_code
from ..words import phrase as phrase_words
from .dialing import Dialing, Failure, Outcome
from .effects import Effect
from .farewell import Farewell
from .keeping import KeptLink
from .lines import format_address, format_time, minutes_or_seconds, secret_hint
from .liveness import Liveness

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from ..wire.protocol import Protocol
    from ..wire.record import ChatRecord


# Wrong guesses at a pairing code before the server makes a new one.
WRONG_CODES = 3


def _random_below(bound: int) -> int:
    import secrets  # here, not at the top: only a server making a code needs it

    return secrets.randbelow(bound)


class Reach:
    """The part of a ``ChatCore`` that reaches the partner.

    Each method is a report from the shell; what follows is decided here, in
    ``Dialing`` or in ``KeptLink``, and comes out as lines, effects and the
    chat's state.
    """

    def __init__(self, core, tries: Dialing, below: Callable[[int], int] | None = None) -> None:
        self.core = core  # a ChatCore
        self.tries = tries  # the client's
        self.code = ""  # the server's pairing code in force ("" with a secret)
        self.wrong_codes = 0  # guesses at this code
        self.below = below or _random_below  # draws a code's parts
        self.where = ""  # the server's door: where it listens
        self.farewell = Farewell(self)  # a chat given up, to prove over to its partner
        self.link = KeptLink(self, tries)  # the chat's link, once the chat is on

    @property
    def target(self) -> str:
        """The client's HOST:PORT."""
        return format_address(self.core.host, self.core.port)

    # -- before the chat --

    def listening(self, where: str, hint: str = "") -> None:
        """The server's door is open on ``where``; ``hint`` says who can reach it."""
        core = self.core
        core.phase, self.where = f"waiting on {where}", where
        if core.outage is None:  # not a chat taken up from its session file
            core.history.add("Trying to connect to another user...")
            if hint:
                core.history.add(hint)
            core.note = "Waiting for a partner to connect..."
            if core.settings.secret is None:
                self._new_code("Pairing code for your partner:")

    def wrong_code(self) -> None:
        """The door says a stranger guessed the code wrong: after three, a new code."""
        self.wrong_codes += 1
        if self.wrong_codes >= WRONG_CODES:
            self._new_code(f"{WRONG_CODES} wrong pairing codes: the new code is")

    def _new_code(self, words: str) -> None:
        self.code, self.wrong_codes = make_code(self.below), 0
        # On the server's screen only: never in --log, the session file or the transcript.
        self.core.history.add(f"{words} {self.code}", "private")

    def bring(self) -> tuple[Brings, bytes, bytes]:
        """What the client brings to prove itself, and the password or resume secret
        that goes with it: the chat's resume secret when resuming, else the shared
        secret, else the pairing code, else nothing (an unverified chat)."""
        core = self.core
        if core.chat is not None:
            return Brings.RESUME, b"", core.chat.secret
        if self.farewell.trying:  # the old chat first, to say it is over
            return Brings.RESUME, b"", self.farewell.chat.secret
        if core.settings.secret is not None:
            return Brings.SECRET, core.settings.secret, b""
        if core.setup.code:
            return Brings.CODE, core.setup.code.encode(), b""
        return Brings.NONE, b"", b""

    def listen_failed(self, reason: str) -> None:
        """The server cannot listen: ask again for what was asked, else fail."""
        core = self.core
        if not core.setup.ask_again_for_the_address():
            core.fail(reason)
            return
        core.history.add(reason, "warning")

    def note_ignored(self, address: str, reason: str) -> None:
        """The door turned a stranger away."""
        self.core.strangers.note(address, reason)

    def dialing(self, now: float) -> None:
        """The client's try has begun (``Effect.DIAL`` carried out)."""
        core = self.core
        again = self.tries.redials > 0  # (before the chat: the server was not there yet)
        self.tries.started(now, resuming=core.chat is not None,
                           beside=core.chat is not None and core.outage is None)
        if core.chat is None and not again:
            if not self.farewell.trying:  # (that one says nothing unless it tells)
                core.history.add("Trying to connect to server....")
            core.phase, core.note = f"connecting to {self.target}", f"Connecting to {self.target}..."

    def handshaking(self, now: float) -> None:
        """The client's try has its connection; the handshake runs."""
        core = self.core
        self.tries.connect(now)
        if core.chat is None:
            core.phase = f"handshake with {self.target}"

    def dial_failed(self, reason: str, now: float, refused: bool = False) -> None:
        """The client's try found no connection (``refused``: nothing listens there;
        no route, no such name)."""
        self.handshake_failed(Failure(reason, Outcome.NOT_LISTENING if refused
                                      else Outcome.BROKEN), now)

    def handshake_failed(self, failure: Failure, now: float) -> None:
        """The client's try failed: what it means (the module's words say it)."""
        core = self.core
        self.tries.failed()
        if self.farewell.trying:  # the proof stays: "no such chat" may come from anyone
            self.farewell.done(told=False)
        elif core.chat is not None:  # nothing unproven ends a chat: another try, later
            self.link.try_failed()
            if failure.kind not in (Outcome.BROKEN, Outcome.NOT_LISTENING) \
                    and not self.link.unproven_said:
                self.link.unproven_said = True
                core.history.add(f"The answer from {self.target} proves nothing "
                                 f"({failure.reason}); the chat waits for its partner.")
            if core.outage is not None or core.liveness.suspected:
                self.tries.later(now)
        elif failure.kind is Outcome.NOT_LISTENING and self.tries.patient(now):
            self.tries.later(now)  # (the server may be starting: people start either first)
            core.phase = (f"no server on {self.target} yet, trying again "
                          f"({self.tries.seconds_left(now):.0f} s left)")
        elif failure.kind is Outcome.WRONG_CODE and core.setup.ask_again_for_the_code():
            core.phase = "setting up"
            core.history.add(f"Could not connect to {self.target}: {failure.reason}; "
                             f"check the code on the server's screen", "warning")
        else:  # before the chat: the last word
            core.fail(f"Could not connect to {self.target}: "
                      f"{failure.reason}{secret_hint(failure.reason)}")

    # -- the chat's link --

    def found(self, protocol: Protocol, address: str, now: float, phrase: bytes = b"") -> bool:
        """A handshake is done: the chat goes on where it was (its resume secret
        proved), or a new one begins; True for a new one."""
        if protocol.resumed and self.core.chat is None:  # the chat given up, proved
            self.farewell.proven(protocol, now)
            return False
        if protocol.resumed:
            self.link.resumed(protocol, address, now)
            return False
        self.connected(protocol, address, now, phrase)
        return True

    def connected(self, protocol: Protocol, address: str, now: float, phrase: bytes = b"") -> None:
        """The handshake is done: the chat begins. ``phrase``: the handshake's bytes
        for the verification phrase, shown when the partner is unverified."""
        core = self.core
        core.protocol, core.chat, core.peer_address = protocol, protocol.chat, address
        if self.farewell.until is not None:  # its link made way for the new partner's
            self.farewell.done(told=True)
        core.peer_name = clean_name(core.chat.peer)
        self.tries.succeeded()
        core.liveness = Liveness(core.settings.heartbeat, core.settings.resume_window, now)
        how = {"code": "verified by the pairing code", "secret": "verified by the shared secret"}
        known = how.get(core.chat.verified) or (f"unverified: compare this phrase with your "
                                               f"partner: {phrase_words(phrase)}")
        core.history.add("Connection established.")
        core.history.add(f"You are chatting with {core.peer_name} ({address}), {known}.")
        core.note = f"Waiting for {core.peer_name}..."
        core.waiting_since = now

    def restore(self, chat: ChatRecord, address: str, lines: list[tuple[str, str]],
                silent_for: float, now: float, name: str = "") -> None:
        """Take up a chat this program was in when it stopped (its session file):
        show its history again and wait for the link, as after a broken one.
        ``silent_for``: seconds since the partner was last heard from; ``name``: ours,
        as the file keeps it (the questions left are not asked)."""
        core = self.core
        # A file's text, as untrusted as the wire's; written to --log when it was first shown.
        core.history.restore([Line(clean_lines(text), kind) for text, kind in lines])
        mine = f"[{clean_name(name or core.setup.name or '')}]: "
        for line in core.history.lines:  # Up brings back what was sent before, as ever
            if line.kind == "own" and mine in line.text:
                core.editor.remember(line.text.split(mine, 1)[1])
        core.chat, core.peer_address = chat, clean(address)
        core.peer_name = clean_name(chat.peer)
        core.history.add(f"--- chat with {core.peer_name} resumed at {format_time(time.time())}")
        if name and core.setup.name and core.setup.name != name:
            core.history.add(f"You were {clean_name(name)} in this chat; you are "
                             f"{clean_name(core.setup.name)} now.")
        core.note = f"Waiting for {core.peer_name}..."
        core.waiting_since = now
        core.liveness = Liveness(core.settings.heartbeat, core.settings.resume_window, now)
        core.liveness.lost_while_stopped(now, silent_for,
                                         "the link was lost while this program was stopped")
        window = minutes_or_seconds(max(core.settings.resume_window - silent_for, 0))
        core.history.add(f"Resuming the chat with {core.peer_name}; it waits up to {window} more "
                         f"(Ctrl-D: give up this chat).")
        core.taken_up(name)

    # -- time --

    def deadline(self) -> float | None:
        return earliest(self.tries.deadline(), self.farewell.deadline())

    def tick(self, now: float) -> None:
        """A try that ran out of time fails; the next try starts when it is due."""
        self.farewell.tick(now)
        failure = self.tries.timed_out(now)
        if failure is not None:
            self.core.actions.append(Effect.CANCEL_DIAL)
            self.handshake_failed(failure, now)
        if self.tries.redial_due(now):
            self.core.actions.append(Effect.DIAL)
