"""Keeping the chat's link once the chat is on: suspected, broken, resumed (SPEC 10).

The reference is mosh: a link that stops answering is suspected after two
heartbeats and a half (``liveness.Liveness.suspect``: within 3 s) and the client tries a new
path at once beside it (``suspect``), about every second while it is
silent; whichever proves itself first carries the chat: a frame on the old
link (``answered``: the tries stop), or the new path's handshake, proved by
the chat's resume secret (``resumed``: the server follows it at once and
closes the old one). Only a link that closes, or stays silent for
``liveness.DEAD_AFTER`` heartbeats, is declared lost (``broke``), so that a
slow or lossy network never shows a false ``Connection lost``.

A path that drops big packets and says nothing (an MTU black hole) lets
the pings and handshakes through but never a long message: the sender says
that it cannot get through (``say_stuck``), and the client, seeing that or
new paths that go silent as soon as they carry the chat, asks for small
segments on its next ones (``Dialing.small_segments``: TCP's MSS, both ways).

The words name the link, never the partner, whose program said nothing; a
link that drops and comes back again and again with nothing said in between
is one line, counted.
"""

from __future__ import annotations

from ..text.validate import clean_name
from ..wire.events import Role
from .effects import Effect
from .lines import minutes_or_seconds, not_back
from .liveness import STUCK_AFTER

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from ..text.history import Line
    from ..wire.protocol import Protocol
    from .dialing import Dialing


class KeptLink:
    """The part of a ``connecting.Reach`` that keeps the chat's link."""

    def __init__(self, reach, tries: Dialing) -> None:
        self.reach, self.core, self.tries = reach, reach.core, tries
        self.unproven_said = False  # an unproven answer was shown, since the link went
        self.held: str | None = None  # a loss not said yet: a new path may carry the chat
        self.flap_line: Line | None = None  # the last line of a link that drops and comes back
        self.drops = 0  # how often in a row it did, with nothing said in between
        self.back_at = 0.0  # when the link last came back
        self.silent_paths = 0  # new paths in a row that went silent before a frame came

    def heard(self, now: float, deaf: bool = False) -> None:
        """A frame came from the partner (``deaf``: a ping saying it hears nothing from
        us, though we hear it: the way to it is stalled, one way, as when TCP backs off
        on a lossy path: a new path, and no answer to a suspicion)."""
        live, self.silent_paths = self.core.liveness, 0
        answered = live.received(now, self.core.chat.delivery.waiting)
        if deaf:
            if self._dials and not self.tries.busy:
                self._new_path(now)
        elif answered:
            self.answered()  # the link was suspected, and answers after all
        if live.stuck(now):
            self.say_stuck()
            self._small_segments(now)

    def tick(self, now: float) -> None:
        """The window may run out; a silent link is suspected, then broken."""
        core, live = self.core, self.core.liveness
        if live.window_over(now):
            core.lost(not_back(core.peer_name, core.settings.resume_window))  # the last word
        elif live.silent(now):
            self.broke(f"nothing came from it for {live.dead_after:g} s", now, silent=True)
        elif live.suspect(now):
            self.suspect(now)  # a new path, beside the silent one

    @property
    def _dials(self) -> bool:
        """This side tries new paths: the client, unless no chat is ever resumed
        (``--resume-window 0``)."""
        return self.core.role is Role.CLIENT and self.core.settings.resume_window > 0

    @property
    def trying(self) -> bool:
        """The client tries a new path for the chat (its link down, or suspected)."""
        return self.core.role is Role.CLIENT and self.tries.busy

    def suspect(self, now: float) -> None:
        """The link has been silent for 2.5 heartbeats: the client tries a new path at
        once, beside it (not with ``--resume-window 0``: no chat is resumed then)."""
        core = self.core
        if not self._dials:
            return
        if self.back_at and core.liveness.contact <= self.back_at:  # silent since it came
            self.silent_paths += 1
            if self.silent_paths >= 2:
                self._small_segments(now)
        if not self.tries.busy:
            self.unproven_said = False
            self._new_path(now)

    def _new_path(self, now: float) -> None:
        self.tries.link_broke(now)  # (the try after this one comes a second after it)
        self.core.actions.append(Effect.DIAL)

    def answered(self) -> None:
        """The suspected link answers after all: it carries the chat, and no more new
        paths are tried. One still dialing is dropped; one in its handshake is let
        finish (the server may have taken it up already, and closed this link: dropped
        then, both would go, as they did once in ten minutes at 20% loss)."""
        if not self.trying:
            return
        if self.tries.under_way and not self.tries.connected:
            self.core.actions.append(Effect.CANCEL_DIAL)
            self.tries.succeeded()
        elif not self.tries.under_way:
            self.tries.succeeded()  # (the next try, due later, is off)

    def broke(self, cause: str, now: float, silent: bool = False) -> None:
        """The connection died without a goodbye (``cause``: how, in words; ``silent``:
        it only stopped answering): wait for the chat to be resumed, or end it."""
        core, reach = self.core, self.reach
        reason = f"the link to {core.peer_name} broke ({cause})"
        if core.chat is None and reach.farewell.until is not None:
            reach.farewell.done(told=True)  # (the goodbye went before it broke)
            return
        if core.outage is not None or core.exit_code is not None:
            return
        if not core.liveness.down(now, reason):
            core.lost(reason)  # no window: the chat ends at once
            return
        core.protocol = None
        core.actions.append(Effect.LINK_DOWN)
        if core.role is Role.CLIENT and self.tries.connected and not silent:
            # A new path is in its handshake: the server, following it, closed this one.
            # (Or something else did: the path has two seconds more, then it is said.)
            self.held = reason
            self.tries.hurry(now)
            return
        if core.role is Role.CLIENT:
            if not self.tries.busy:
                self.unproven_said = False
            self.tries.link_broke(now)  # (a try under way beside it: its handshake hurries)
        self._say_lost(reason)

    def _say_lost(self, reason: str) -> None:
        core = self.core
        if self._flapping() and core.liveness.contact <= self.back_at:
            # Back, and gone again before a word from the partner: the same line says so.
            core.history.replace_last(f"Connection lost again: {reason}", "warning")
            self.flap_line = core.history.lines[-1]
            return
        window = minutes_or_seconds(core.settings.resume_window)
        core.history.add(f"Connection lost: {reason}", "warning")
        if core.role is Role.CLIENT:
            core.history.add(f"Reconnecting to {self.reach.target}; the chat waits up to {window}.")
        else:
            core.history.add(f"Waiting for {core.peer_name} to come back, up to {window}.")

    def try_failed(self) -> None:
        """A try for a new path failed: a loss held for it is said now."""
        if self.held is not None:
            held, self.held = self.held, None
            self._say_lost(held)

    def resumed(self, protocol: Protocol, address: str, now: float) -> None:
        """A new connection has taken the chat up where the old one left it:
        what the partner lacks of ours goes again, in order."""
        core = self.core
        quiet = core.outage is None or self.held is not None  # no loss was said
        core.protocol, core.peer_address, self.held = protocol, address, None
        self.tries.succeeded()
        core.liveness.up(now)
        back = f"Reconnected to {core.peer_name} ({address})"
        if quiet:
            back += " by a new path"
        if self._flapping():  # nothing said since the last time: one line for the lot
            self.drops += 1
            times = f"{self.drops} more time{'s' if self.drops > 1 else ''}"
            core.history.replace_last(f"{back} (the link dropped {times}).")
        else:
            self.drops = 0
            core.history.add(back + ".", final=False)  # (--log hears of it once settled)
        self.flap_line, self.back_at = core.history.lines[-1], now
        if protocol.peer_name and protocol.peer_name != core.chat.peer:
            core.chat.peer, was = protocol.peer_name, core.peer_name
            core.peer_name = clean_name(protocol.peer_name)
            core.history.add(f"{was} is back as {core.peer_name}.")
        core.outgoing.append(protocol.resend())

    def say_stuck(self) -> None:
        """A message of ours that frames from the partner keep not acknowledging."""
        name = self.core.peer_name
        self.core.history.add(f"Your message has not got through to {name} in {STUCK_AFTER:g} s, "
                              f"though {name}'s program answers: the network may drop big "
                              f"packets. It goes again with each new link.", "warning")

    def _small_segments(self, now: float) -> None:
        """The client's next paths carry small packets (once said, for the rest of the
        chat), and one is tried at once."""
        if self.core.role is not Role.CLIENT or self.tries.small_segments:
            return
        self.tries.small_segments = True
        self.core.history.add(f"Trying smaller packets to {self.reach.target}: the network "
                              f"seems to drop big ones.")
        if not self.tries.busy:
            self._new_path(now)

    def _flapping(self) -> bool:
        """The link dropped or came back again with nothing else shown since."""
        lines = self.core.history.lines
        return bool(lines) and lines[-1] is self.flap_line
