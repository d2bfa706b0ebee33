"""What the core asks the shell to do, and how the program ends.

The core decides; the shell carries out. Each ``Effect`` is one thing to
do in the world (open a door, dial, close a link, ring the bell), named,
in the manner of urwid's commands, as an enum rather than a bare string.
"""

from __future__ import annotations

import enum


class Effect(str, enum.Enum):
    __hash__ = object.__hash__  # looked up for every effect carried out: hash in C

    RESTORE = "restore"  # take up the chat saved for this role, address and port, if any
    LISTEN = "listen"  # the server: open the door
    DIAL = "dial"  # the client: try to connect to the server (it reports ``dialing``)
    CANCEL_DIAL = "cancel dial"  # the client: drop the try under way (it ran out of time)
    LINK_DOWN = "link down"  # close the partner's connection: it broke
    FORGET_SAVED = "forget saved"  # the saved chat's file goes: the partner no longer has it
    FORGET_OVER = "forget over"  # what proves a given-up chat over goes: the partner knows
    REPAINT = "repaint"  # every cell again (Ctrl-L)
    SUSPEND = "suspend"  # stop as the shell asks (Ctrl-Z)
    BELL = "bell"  # your turn has come
    FLASH = "flash"  # a key was refused


# Exit codes (SPEC 9).
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_HANGUP, EXIT_INTERRUPTED = 0, 1, 2, 129, 130
