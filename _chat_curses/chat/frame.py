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
    """What the screen shows now."""
    if core.setup.question is not None:
        prompt, editor = core.setup.question.prompt, core.editor
    elif core.typing_message:
        prompt, editor = MESSAGE_PROMPTS[core.role], core.editor
    elif core.chatting and core.keys.refused_note_showing(now):
        prompt, editor = (f"It is {core.peer_name}'s turn: wait for their message "
                          f"(keys are ignored until then)"), None
    else:
        prompt, editor = core.note, None
    return Frame(core.history, core.scrollback, status_line(core, now), prompt, editor,
                 title_of(core))


def title_of(core) -> str:
    """For the terminal's title: whose turn it is (nothing when quiet)."""
    if core.settings.quiet or not core.chatting:
        return ""
    if core.our_turn:
        return f"chat_curses: your turn ({core.peer_name} wrote)"
    return f"chat_curses: {core.peer_name}'s turn"


def link_status(core, now: float) -> str:
    """The link's part of the status bar: up, suspected (no answer), or down."""
    silence = minutes_or_seconds(now - core.liveness.contact)
    if core.outage is None:
        link = "connected" if core.chat.verified else "connected, unverified"
        if not core.liveness.suspected:
            return link
        link += f", no answer for {silence}"
        what = "new path"
    else:
        link = ("reconnecting" if core.role is Role.CLIENT else
                f"waiting for {core.peer_name} to come back")
        link += f", last contact {silence} ago"
        what = "next try"
    redial_at = core.reach.tries.redial_at
    if core.role is Role.CLIENT and core.reach.tries.busy:
        link += (", trying now" if redial_at is None else
                 f", {what} in {max(redial_at - now, 0):.0f} s (Ctrl-R: now)")
    return link


def status_line(core, now: float) -> str:
    """The status bar: most important first, since a narrow screen cuts the end off."""
    if core.chatting:
        if core.our_turn:
            turn = "your turn"
        elif now < core.peer_typing_until:
            turn = f"{core.peer_name} is typing..."
        else:
            turn = f"{core.peer_name}'s turn, waiting {minutes(now - core.waiting_since)}"
        link = link_status(core, now)
        parts = [turn, link, core.role.value, f"you: {core.name}",
                 f"partner: {core.peer_name}@{core.peer_address}"]
        waiting = core.chat.delivery.waiting
        if waiting and (core.outage is not None or core.liveness.slow_to_ack(now)):
            parts.insert(1, f"{waiting} to deliver")
    else:
        parts = [core.role.value, core.phase, f"you: {core.name or '?'}"]
    if core.scrollback.scrolled:
        unseen = len(core.history.lines) - core.scrolled_at
        parts.insert(0, f"{unseen} new below" if unseen > 0 else "more below")
        if len(" | ".join(parts[:2])) + 8 <= core.pane[0]:  # the key's name, if the turn still shows
            parts[0] += " (PgDn)"
    return " " + " | ".join(parts)
