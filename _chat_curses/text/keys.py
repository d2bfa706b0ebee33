"""The keyboard's bytes turned into keys, text and pastes. No curses here.

The program reads the terminal itself, in bulk, rather than one byte per
``read()`` through curses, and ``KeyDecoder`` makes sense of the bytes:

- UTF-8 text, decoded incrementally so that a character split between two
  reads comes out whole. A byte that is not UTF-8 (a Latin-1 terminal)
  becomes U+FFFD and everything after it is kept.
- Runs of ordinary text come out as one string; each control character
  (Enter, Backspace, Ctrl-A...) comes out alone, as a one-character string.
- Escape sequences become ``Key`` values, whatever ``TERM`` says: both the
  ``CSI`` (``ESC [``) and ``SS3`` (``ESC O``) forms of the arrows, Home,
  End, Delete, Insert, PgUp and PgDn, with their Ctrl and Alt modifiers,
  and ``ESC`` followed by a key as Alt-key. A sequence the program does not
  know (F-keys, kitty's ``CSI u``...) is dropped whole: its body never lands
  in the text.
- A bracketed paste (``ESC [ 200 ~`` ... ``ESC [ 201 ~``, once switched on
  with ``ESC [ ? 2004 h``) comes out as one ``Paste``, line ends as ``\\n``.

An escape sequence cut off at the end of a read is held back until the rest
arrives; if nothing comes (``pending`` tells, ``flush`` decides), a lone Esc
is the Esc key. Inside a paste, a partial end marker is held the same way.
"""

from __future__ import annotations

import codecs

from ..limits import MAX_TYPED_CHARS
from ..values import Pattern, Value, settle

ESC = "\x1b"
PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
# An escape sequence longer than this is garbage, dropped rather than held.
MAX_SEQUENCE_CHARS = 32
# How long the rest of an escape sequence may take to arrive (ncurses' ESCDELAY).
ESCAPE_WAIT = 0.05


class Key(Value):
    """A key that is not text: ``Key("left")``, ``Key("ctrl-right")``, ``Key("alt-b")``..."""

    __slots__ = _fields = _compared = ("name",)

    def __init__(self, name: str) -> None:
        settle(self, "name", name)


class Paste(Value):
    """Text pasted as one block; line ends are always ``\\n``."""

    __slots__ = _fields = _compared = ("text",)

    def __init__(self, text: str) -> None:
        settle(self, "text", text)


Item = str | Key | Paste

# CSI final letters: ESC [ A, or ESC [ 1 ; 5 A with a modifier.
_LETTER_KEYS = {"A": "up", "B": "down", "C": "right", "D": "left", "H": "home", "F": "end"}
# CSI number ~: ESC [ 3 ~, or ESC [ 3 ; 5 ~. (1 and 7 are Home, 4 and 8 End,
# depending on the terminal family.)
_TILDE_KEYS = {"1": "home", "2": "insert", "3": "delete", "4": "end", "5": "page_up",
               "6": "page_down", "7": "home", "8": "end"}
# ESC [ params intermediates final  (ECMA-48)
_CSI_RE = Pattern(r"\x1b\[([0-?]*)([ -/]*)([@-~])")
_CSI_BODY_RE = Pattern(r"\x1b\[[0-?]*[ -/]*")
_CSI_PREFIX_RE = Pattern(r"\x1b\[[0-?]*[ -/]*\Z")
# ESC O final, some terminals putting a modifier digit in between
_SS3_RE = Pattern(r"\x1bO([0-9]*)([ -/:-~])")
_SS3_PREFIX_RE = Pattern(r"\x1bO[0-9]*\Z")
_TEXT_RE = Pattern(r"[^\x00-\x1f\x7f-\x9f]+")


def _modified(name: str, modifier: str) -> str:
    """Apply an xterm modifier parameter (1 + shift 1, alt 2, ctrl 4) to a key name."""
    try:
        bits = int(modifier) - 1
    except ValueError:
        return name
    if bits & 4:
        return "ctrl-" + name
    if bits & 2:
        return "alt-" + name
    return name  # Shift alone changes nothing here


def _csi_key(params: str, intermediates: str, final: str) -> Key | None:
    if intermediates or params.startswith(("<", "=", ">", "?")):
        return None
    fields = params.split(";")
    if final in _LETTER_KEYS and len(fields) <= 2:
        return Key(_modified(_LETTER_KEYS[final], fields[1] if len(fields) == 2 else "1"))
    if final == "~" and fields[0] in _TILDE_KEYS and len(fields) <= 2:
        return Key(_modified(_TILDE_KEYS[fields[0]], fields[1] if len(fields) == 2 else "1"))
    return None  # F-keys, kitty's CSI u, focus reports...


def _alt_key(char: str) -> Key | None:
    if char in ("\x7f", "\x08"):
        return Key("alt-backspace")
    if char.isprintable():
        return Key("alt-" + char)
    return None


class KeyDecoder:
    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._held = ""  # undecided text: the start of an escape sequence or end marker
        self._paste: list[str] | None = None  # the text of a paste under way
        self._pasted = 0

    @property
    def pending(self) -> bool:
        """Part of an escape sequence is held, waiting for the rest (see ``flush``)."""
        return bool(self._held)

    @property
    def in_paste(self) -> bool:
        return self._paste is not None

    def feed(self, data: bytes) -> list[Item]:
        return self._parse(self._held + self._utf8.decode(data), final=False)

    def flush(self) -> list[Item]:
        """Nothing more came: what is held is what it is (a lone Esc is the Esc key)."""
        return self._parse(self._held + self._utf8.decode(b"", final=True), final=True)

    # -- parsing --

    def _parse(self, text: str, final: bool) -> list[Item]:
        out: list[Item] = []
        self._held = ""
        at, end = 0, len(text)
        while at < end:
            if self._paste is not None:
                at = self._in_paste(text, at, final, out)
            elif text[at] == ESC:
                at = self._escape(text, at, final, out)
            elif run := _TEXT_RE.match(text, at):
                out.append(run.group())
                at = run.end()
            else:
                out.append(text[at])  # a control character, alone
                at += 1
            if self._held:
                break
        return out

    def _escape(self, text: str, at: int, final: bool, out: list[Item]) -> int:
        """Read the escape sequence at ``at``; return where the next item starts."""
        rest = len(text) - at
        if rest == 1 or (rest < MAX_SEQUENCE_CHARS and _CSI_PREFIX_RE.match(text, at)):
            if final:  # it never went on: a lone Esc, or Alt-[ and garbage
                if rest == 1:
                    out.append(Key("escape"))
                return len(text)
            self._held = text[at:]
            return len(text)
        follower = text[at + 1]
        if follower == "[":
            if text.startswith("\x1b[[", at):  # the Linux console's F1-F5: ESC [ [ A
                if rest == 3 and not final:
                    self._held = text[at:]
                    return len(text)
                return at + 4
            csi = _CSI_RE.match(text, at)
            if csi is None:  # no final byte where one should be: drop it all the same
                return _CSI_BODY_RE.match(text, at).end()
            if csi.group() == PASTE_START:
                self._paste, self._pasted = [], 0
            elif (key := _csi_key(*csi.groups())) is not None:
                out.append(key)
            return csi.end()
        if follower == "O":
            ss3 = _SS3_RE.match(text, at)
            if ss3 is None:
                if not final and _SS3_PREFIX_RE.match(text, at):
                    self._held = text[at:]
                    return len(text)
                return at + 2
            modifier, letter = ss3.groups()
            if letter == "M":
                out.append("\r")  # the keypad's Enter
            elif letter in _LETTER_KEYS:
                out.append(Key(_modified(_LETTER_KEYS[letter], modifier or "1")))
            return ss3.end()
        if follower == ESC:
            out.append(Key("escape"))
            return at + 1
        key = _alt_key(follower)
        if key is not None:
            out.append(key)
        return at + 2

    def _in_paste(self, text: str, at: int, final: bool, out: list[Item]) -> int:
        stop = text.find(PASTE_END, at)
        if stop >= 0:
            self._keep(text[at:stop])
            pasted = "".join(self._paste).replace("\r\n", "\n").replace("\r", "\n")
            out.append(Paste(pasted))
            self._paste = None
            return stop + len(PASTE_END)
        # Hold back a tail that may be the start of the end marker.
        tail = 0
        if not final:
            for size in range(min(len(PASTE_END) - 1, len(text) - at), 0, -1):
                if PASTE_END.startswith(text[len(text) - size :]):
                    tail = size
                    break
        self._keep(text[at : len(text) - tail])
        self._held = text[len(text) - tail :] if tail else ""
        return len(text)

    def _keep(self, text: str) -> None:
        room = MAX_TYPED_CHARS - self._pasted
        if room > 0 and text:
            self._paste.append(text[:room])
            self._pasted += min(len(text), room)
