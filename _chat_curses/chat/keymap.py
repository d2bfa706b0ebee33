"""What each key does to the chat: typing, editing, paging, and keys refused.

``KEY_COMMANDS`` names each key's command, as readline names them; the
commands that edit the typed text (``EDITING``) are the line editor's,
and those that work at any moment (``ALWAYS``) the core's. ``Keys`` is
the part of ``ChatCore`` that takes what the keyboard gives.
"""

from __future__ import annotations

from collections.abc import Callable

from ..limits import MAX_TYPED_CHARS
from ..text.editor import LineEditor
from ..text.keys import Item, Key, Paste
from ..text.validate import SPACE_SEPARATORS
from ..wire.events import Typing
from .effects import EXIT_INTERRUPTED, EXIT_OK, Effect

# How long the note of whose turn it is stays after a refused key.
REFUSED_NOTE_SECONDS = 3.0
# "NAME is typing..." is sent at most this often, and shown this long after the last.
TYPING_EVERY, TYPING_SHOWN = 1.0, 3.0


class Keys:
    """What each key does to a ChatCore: typing, editing, paging, and keys refused.

    Text goes into the input line less what has no place in it; outside the
    person's turn, a key that would edit or send is refused, visibly (a
    flash and a note of whose turn it is), never silently. While the person
    writes on their turn, the partner is told so at most once a second.
    """

    def __init__(self, core) -> None:  # a ChatCore
        self.core = core
        self.refused_until = 0.0  # a refused key's note shows until then (monotonic)
        self.typing_sent = -TYPING_EVERY  # when we last said we are typing (monotonic)
        self.only_leaving = False  # the screen is too small to show the chat: only leaving acts

    def on_items(self, items: list[Item], now: float, more_waiting: bool = False) -> None:
        """``more_waiting``: the terminal holds more keys already (they are part
        of a paste), which makes an Enter at the end a line break in it."""
        core = self.core
        before = core.editor.text
        if self.only_leaving:  # Ctrl-C, and Ctrl-D on an empty line (unseen keys do nothing)
            items = [item for item in items if KEY_COMMANDS.get(item) == "interrupt"
                     or (KEY_COMMANDS.get(item) == "eof" and not before)]
        for index, item in enumerate(items):
            if isinstance(item, Paste):
                self._paste(item.text, now)
            elif KEY_COMMANDS.get(item) == "submit" and core.typing_message and (
                    index + 1 < len(items) or more_waiting):
                # Enter with more keys right behind it: a pasted block from a
                # terminal without bracketed paste. Keep it as one message.
                self._type("\n")
            elif isinstance(item, Key) or item in KEY_COMMANDS:
                self.on_key(item, now)
            else:
                self._type(item, now)
            if core.exit_code is not None:
                return
        if (core.editor.text != before and core.editor.text.strip() and core.linked
                and core.typing_message and core.settings.typing_notice
                and now - self.typing_sent >= TYPING_EVERY):  # (the cheap questions first)
            self.typing_sent = now
            core._send_event(Typing(), now)

    def on_key(self, key: str | Key, now: float) -> None:
        command = KEY_COMMANDS.get(key)
        if command in ALWAYS:
            ALWAYS[command](self.core, now)
        elif command in EDITING and self.core.input_open:
            EDITING[command](self.core.editor)
        elif command in EDITING:
            self.refused(now)

    def refused(self, now: float) -> None:
        """A key that would edit or send, outside one's turn: never silently ignored."""
        if now >= self.refused_until - REFUSED_NOTE_SECONDS + 0.5:  # one flash per half second
            self.core.actions.append(Effect.FLASH)
        self.refused_until = now + REFUSED_NOTE_SECONDS

    def refused_note_showing(self, now: float) -> bool:
        return now < self.refused_until

    def tick(self, now: float) -> None:
        if self.refused_until and now >= self.refused_until:
            self.refused_until = 0.0  # the note goes; the frame drawn next shows the usual line

    def _type(self, text: str, now: float | None = None) -> None:
        """Typed text goes in as it is, less what has no place in it (control
        and formatting characters); the input line holds at most MAX_TYPED_CHARS characters."""
        core = self.core
        if not core.input_open:
            if now is not None:
                self.refused(now)
            return
        if not text.isprintable():
            text = "".join(c for c in text if c.isprintable() or c in SPACE_SEPARATORS or c == "\n")
        room = MAX_TYPED_CHARS - len(core.editor.text)
        if len(text) > room:
            text = text[:max(room, 0)]
            core.history.add(f"Invalid input: the input line holds at most {MAX_TYPED_CHARS:,} "
                             "characters; the rest was dropped", "warning")
        if text:
            core.editor.insert(text)

    def _paste(self, text: str, now: float) -> None:
        """A pasted block goes in as typed text: tabs become spaces, other control
        characters are dropped, line breaks stay only in a message, and those it
        ends with go (never a blank row). Outside one's turn it is refused, as a key."""
        text = text.expandtabs(4).rstrip("\r\n")
        self._type(text if self.core.typing_message else text.replace("\n", " "), now)


def end_of_input(core, now: float) -> None:
    """Ctrl-D: leave on an empty line, else delete under the cursor."""
    if not core.editor.text:
        core.leave(EXIT_OK)
    elif core.input_open:
        core.editor.delete()


def page_up(core, now: float) -> None:
    if not core.scrollback.scrolled:
        core.scrolled_at = len(core.history.lines)  # lines after this are new below
    core.scrollback.page_up(core.history, *core.pane)


def page_down(core, now: float) -> None:
    core.scrollback.page_down(core.history, *core.pane)


# Keys, as the KeyDecoder gives them, to command names.
KEY_COMMANDS: dict[str | Key, str] = {
    "\n": "submit", "\r": "submit",
    "\x7f": "backspace", "\x08": "backspace",
    "\x01": "home", "\x05": "end",  # Ctrl-A, Ctrl-E
    "\x15": "kill_to_start", "\x0b": "kill_to_end", "\x17": "kill_word",  # Ctrl-U, -K, -W
    "\x03": "interrupt", "\x04": "eof", "\x0c": "redraw", "\x1a": "suspend",  # Ctrl-C, -D, -L, -Z
    "\x19": "yank",  # Ctrl-Y
    "\x12": "try_now",  # Ctrl-R: the client's next try to reconnect, at once
    Key("ctrl-left"): "word_left", Key("alt-b"): "word_left", Key("alt-left"): "word_left",
    Key("ctrl-right"): "word_right", Key("alt-f"): "word_right", Key("alt-right"): "word_right",
    Key("alt-backspace"): "kill_word_back", Key("alt-d"): "kill_word_forward",
    Key("ctrl-delete"): "kill_word_forward",
    Key("delete"): "delete",
    Key("left"): "left",
    Key("right"): "right",
    Key("home"): "home",
    Key("end"): "end",
    Key("up"): "older",
    Key("down"): "newer",
    Key("page_up"): "page_up",
    Key("page_down"): "page_down",
}
# Commands that change the typed text: ignored while the input is locked.
EDITING: dict[str, Callable[[LineEditor], None]] = {
    "backspace": LineEditor.backspace,
    "delete": LineEditor.delete,
    "left": LineEditor.left,
    "right": LineEditor.right,
    "home": LineEditor.home,
    "end": LineEditor.end,
    "kill_to_start": LineEditor.kill_to_start,
    "kill_to_end": LineEditor.kill_to_end,
    "kill_word": LineEditor.kill_word,
    "kill_word_back": LineEditor.kill_word_back,
    "kill_word_forward": LineEditor.kill_word_forward,
    "word_left": LineEditor.word_left,
    "word_right": LineEditor.word_right,
    "yank": LineEditor.yank,
    "older": LineEditor.older,
    "newer": LineEditor.newer,
}
# Commands that work at every moment.
# (Each is given the ChatCore and the time.)
ALWAYS: dict[str, Callable[[object, float], None]] = {
    "submit": lambda core, now: core.submit(now),
    "interrupt": lambda core, now: core.leave(EXIT_INTERRUPTED),
    "eof": end_of_input,
    "redraw": lambda core, now: core.actions.append(Effect.REPAINT),
    "page_up": page_up,
    "page_down": page_down,
    "suspend": lambda core, now: core.actions.append(Effect.SUSPEND),
    "try_now": lambda core, now: core.reach is not None and core.reach.tries.now(now),
}
