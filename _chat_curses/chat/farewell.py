"""Giving a chat up without locking the two people out (SPEC 12).

A side that leaves a chat while the link is down (Ctrl-C or Ctrl-D, its
window ran out, ``--fresh``) cannot tell its partner, who goes on waiting,
and a waiting server turns everyone else away as busy. So what proves the
chat is over stays behind (``shell.journal``: the chat's resume secret in a
``.over`` file, nothing of what was said), and the next start to the same
place proves it: the side that holds it resumes the old chat by proof, as
its partner would (SPEC 11), says ``Bye(GIVEN_UP)`` over the sealed link,
and waits for the partner to close it. Only the two people's programs
hold that secret, so a stranger still cannot end the chat.

- The client that holds it dials as soon as the address is known, so the
  server's new code is on its screen while the questions left are asked;
  the new chat's first try waits until this farewell is done.
- The server that holds it answers the old chat's resume with it at its
  door (``over``); anyone else starts a new chat as ever.
- A side that receives a proven ``Bye(GIVEN_UP)`` (``given_up``) drops its
  saved chat with a line that says so, and a new chat starts at once: the
  server makes a new code and waits, the client asks for the code.

A farewell is done when the partner closes the link, when its try fails,
or after the timeout; the proof is forgotten (``Effect.FORGET_OVER``) once
the partner was told, never on an unproven answer ("no such chat" may come
from anyone on the port), and at the latest after a day, the longest window.
"""

from __future__ import annotations

from ..text.validate import clean_name
from ..wire.events import GIVEN_UP, Bye, ConnectionClosed, Role
from .effects import Effect

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from ..wire.protocol import Protocol
    from ..wire.record import ChatRecord


class Farewell:
    """The part of a ``connecting.Reach`` that ends a given-up chat on the other side."""

    def __init__(self, reach) -> None:
        self.reach, self.core = reach, reach.core
        self.chat: ChatRecord | None = None  # the given-up chat, while its partner is not told
        self.name = ""  # ours in it
        self.trying = False  # the client's try to tell it is under way
        self.until: float | None = None  # a told partner has until then to close the link
        self.partner_ended = False  # the chat under way was ended by the partner's goodbye
        self.protocol: Protocol | None = None  # the given-up chat's link, once proved

    @property
    def holds(self) -> ChatRecord | None:
        """The given-up chat to prove, while no chat is on (the door's ``over``)."""
        return self.chat if self.core.chat is None else None

    def begin(self, chat: ChatRecord, name: str = "") -> None:
        """A chat given up earlier, to prove over (its file's ``.over``); ``name``: ours
        in it, for its hello while the question of our name may still be open."""
        core = self.core
        self.chat, self.name = chat, name
        if core.role is Role.SERVER:
            return  # its door waits for the old partner
        self.trying = True
        if Effect.DIAL not in core.actions:
            core.actions.append(Effect.DIAL)

    def hello_name(self) -> str:
        """Our name in the client's hello: the given-up chat's while telling it (the
        question may still be open), else the name of the chat under way."""
        return self.name if self.trying else self.core.name

    def proven(self, protocol: Protocol, now: float) -> None:
        """The partner proved the given-up chat: tell it, and wait for it to close."""
        core = self.core
        core.protocol = self.protocol = protocol
        core.outgoing.append(protocol.send(Bye(GIVEN_UP)))
        self.reach.tries.succeeded()
        self.until = now + core.settings.timeout

    def heard(self, event) -> None:
        """Its goodbye, or the link closed, ends the farewell (what it sends again
        of the old chat is of no more use)."""
        if isinstance(event, (Bye, ConnectionClosed)):
            self.done(told=True)

    def done(self, told: bool) -> None:
        """The farewell is over: the partner was told (``told``: it proved the chat and
        had the goodbye), or not, and the proof stays for the next start."""
        if self.chat is None:
            return
        core, name = self.core, clean_name(self.chat.peer)
        if self.protocol is not None:  # proved and told
            core.history.add(f"{name}'s program knows the chat you gave up is over.")
            if core.protocol is self.protocol:  # its link, still open: closed now
                core.actions.append(Effect.LINK_DOWN)
                core.protocol = None
        self.chat = self.protocol = self.until = None
        was_trying, self.trying = self.trying, False
        if told:  # (else it stays, for the next start: the partner may still be waiting)
            core.actions.append(Effect.FORGET_OVER)
        if was_trying and core.setup.question is None:
            core.actions.append(Effect.DIAL)  # the new chat, held back until now

    def deadline(self) -> float | None:
        return self.until

    def tick(self, now: float) -> None:
        if self.until is not None and now >= self.until:
            self.done(told=True)  # told; that it did not close is its own business

    def given_up(self) -> None:
        """The partner proved it gave this chat up: drop it, and a new chat starts."""
        core, reach = self.core, self.reach
        name = core.peer_name
        core.actions += [Effect.LINK_DOWN, Effect.FORGET_SAVED]
        core.chat = core.protocol = core.liveness = None
        core.peer_name = core.peer_address = ""
        core.history.add(f"{name} gave up the chat; a new chat starts.", "warning")
        if core.role is Role.SERVER:
            reach.listening(reach.where)
            return
        reach.tries.succeeded()
        core.phase = "setting up"
        if core.settings.secret is not None or not core.setup.ask_again_for_the_code():
            core.actions.append(Effect.DIAL)
