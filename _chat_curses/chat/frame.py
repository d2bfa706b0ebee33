"""What the screen shows, computed from the chat: the ``Frame`` the shell draws."""

from __future__ import annotations

from ..text.editor import LineEditor
from ..text.history import History, Scrollback
from ..wire.events import Role
from .lines import minutes, minutes_or_seconds
from .setup import MESSAGE_PROMPTS


class Frame:
    """Everything the screen shows."""

    def __init__(self, history: History, scrollback: Scrollback, status: str, prompt: str,
                 editor: LineEditor | None, title: str = "") -> None:
        self.history, self.scrollback, self.status = history, scrollback, status
        self.prompt = prompt  # before the typed text; or, when locked, all the line says
        self.editor = editor  # None while the input is locked
        self.title = title  # for the terminal's title: whose turn it is


def frame_of(core, now: float) -> Frame:
    """What the screen shows now. (What the chat's state says is asked once
    here, not by each part: a drawing asks it at every turn of the loop.)"""
    chatting = core.chatting
    our_turn = chatting and core.our_turn
    if core.setup.question is not None:
        prompt, editor = core.setup.question.prompt, core.editor
    elif our_turn:  # (``core.typing_message``)
        prompt, editor = MESSAGE_PROMPTS[core.role], core.editor
    elif chatting and core.keys.refused_note_showing(now):
        prompt, editor = (f"It is {core.peer_name}'s turn: wait for their message "
                          f"(keys are ignored until then)"), None
    else:
        prompt, editor = core.note, None
    return Frame(core.history, core.scrollback, status_line(core, now, chatting, our_turn),
                 prompt, editor, title_of(core, chatting, our_turn))


def title_of(core, chatting: bool, our_turn: bool) -> str:
    """For the terminal's title: whose turn it is (nothing when quiet)."""
    if core.settings.quiet or not chatting:
        return ""
    if our_turn:
        return f"chat_curses: your turn ({core.peer_name} wrote)"
    return f"chat_curses: {core.peer_name}'s turn"


def link_status(core, now: float, outage) -> str:
    """The link's part of the status bar: up, suspected (no answer), or down (``outage``)."""
    if outage is None:
        link = "connected" if core.chat.verified else "connected, unverified"
        if not core.liveness.suspected:
            return link
        link += f", no answer for {minutes_or_seconds(now - core.liveness.contact)}"
        what = "new path"
    else:
        link = ("reconnecting" if core.role is Role.CLIENT else
                f"waiting for {core.peer_name} to come back")
        link += f", last contact {minutes_or_seconds(now - core.liveness.contact)} ago"
        what = "next try"
    redial_at = core.reach.tries.redial_at
    if core.role is Role.CLIENT and core.reach.tries.busy:
        link += (", trying now" if redial_at is None else
                 f", {what} in {max(redial_at - now, 0):.0f} s (Ctrl-R: now)")
    return link


def status_line(core, now: float, chatting: bool, our_turn: bool) -> str:
    """The status bar: most important first, since a narrow screen cuts the end off."""
    if chatting:
        outage = core.outage
        if our_turn:
            turn = "your turn"
        elif now < core.peer_typing_until:
            turn = f"{core.peer_name} is typing..."
        else:
            turn = f"{core.peer_name}'s turn, waiting {minutes(now - core.waiting_since)}"
        link = link_status(core, now, outage)
        parts = [turn, link, core.role.value, f"you: {core.name}",
                 f"partner: {core.peer_name}@{core.peer_address}"]
        waiting = core.chat.delivery.waiting
        if waiting and (outage is not None or core.liveness.slow_to_ack(now)):
            parts.insert(1, f"{waiting} to deliver")
    else:
        parts = [core.role.value, core.phase, f"you: {core.name or '?'}"]
    if core.scrollback.scrolled:
        unseen = len(core.history.lines) - core.scrolled_at
        parts.insert(0, f"{unseen} new below" if unseen > 0 else "more below")
        if len(" | ".join(parts[:2])) + 8 <= core.pane[0]:  # the key's name, if the turn still shows
            parts[0] += " (PgDn)"
    return " " + " | ".join(parts)
