"""Finding bracketed pastes in the keys curses hands out. No curses here.

A terminal in bracketed-paste mode (switched on with ``ESC [ ? 2004 h``)
wraps pasted text in ``ESC [ 200 ~`` and ``ESC [ 201 ~``, so a pasted block
with newlines can become one message instead of several Enters. curses does
not know these markers: ``get_wch`` returns them as an Esc followed by
ordinary characters, split across reads anywhere. ``PasteDecoder`` watches
that stream and gives back the keys as they were, with each paste replaced
by a single ``Paste``.

An Esc that does not begin a paste marker is passed on, with what followed
it, as soon as the two part ways; within a paste, a partial end marker is
held back until it is complete or proves to be text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
# A paste larger than this is cut; a message may not be larger anyway.
MAX_PASTE_CHARS = 256 * 1024


@dataclass(frozen=True)
class Paste:
    """Text pasted as one block; line ends are always ``\\n``."""

    text: str


Key = Union[str, int]


class PasteDecoder:
    def __init__(self) -> None:
        self._held = ""  # an Esc sequence that may be the start of a marker
        self._paste: list[str] | None = None  # the text of a paste under way
        self._pasted = 0  # its length so far

    @property
    def in_paste(self) -> bool:
        return self._paste is not None

    def feed(self, keys: list[Key]) -> list[Key | Paste]:
        out: list[Key | Paste] = []
        for key in keys:
            if self._paste is not None:
                self._feed_paste(key, out)
            else:
                self._feed_key(key, out)
        return out

    def _feed_key(self, key: Key, out: list) -> None:
        if not self._held:
            if key == "\x1b":
                self._held = key
            else:
                out.append(key)
            return
        if isinstance(key, str) and PASTE_START.startswith(self._held + key):
            self._held += key
            if self._held == PASTE_START:
                self._held, self._paste, self._pasted = "", [], 0
            return
        held, self._held = self._held, ""
        out.extend(held)  # not a marker after all: the keys as they came
        self._feed_key(key, out)

    def _feed_paste(self, key: Key, out: list) -> None:
        if not isinstance(key, str):
            return  # function keys have no place in pasted text
        self._held += key
        if PASTE_END.startswith(self._held):
            if self._held == PASTE_END:
                text = "".join(self._paste).replace("\r\n", "\n").replace("\r", "\n")
                out.append(Paste(text[:MAX_PASTE_CHARS]))
                self._held, self._paste = "", None
            return
        # what was held is text; a new Esc may begin the end marker
        text, self._held = (self._held[:-1], "\x1b") if key == "\x1b" else (self._held, "")
        if self._pasted < MAX_PASTE_CHARS:
            self._paste.append(text)
            self._pasted += len(text)
