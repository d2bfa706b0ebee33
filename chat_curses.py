#!/usr/bin/env python3
"""chat_curses: a one-to-one chat in the terminal, taking turns.

    python chat_curses.py --server     wait for a partner
    python chat_curses.py --client     connect to one

This file is the program's door, kept small: a script is compiled at
every start, a module only once. Each concern has a module of its own,
lower layers first (a module imports only those above it in this list):

- ``values.py``      small immutable values, and patterns compiled on first use
- ``validators.py``  checks of what a person types; the cleaner for untrusted text
- ``screentext.py``  text measured in terminal cells; the history and its scrolling
- ``lineeditor.py``  the input line: text, cursor, recall
- ``keyinput.py``    the keyboard's bytes as keys, text and pastes
- ``delivery.py``    message numbers, acknowledgements and the outbox, across connections
- ``frames.py``      the wire's events and their JSON frames
- ``netproto.py``    the wire protocol, sans-I/O, and a thin socket wrapper
- ``session.py``     the session file that lets a chat outlive the program
- ``chatparts.py``   settings, prompts, and the small models the core is made of
- ``chatcore.py``    the chat's own logic: events and time in, a frame and bytes out
- ``eventloop.py``   the selector loop, its waker, and the signals it hears
- ``doors.py``       the client's dialer, the server's door, the handshake
- ``view.py``        the curses view: terminal set-up, drawing, reading keys
- ``app.py``         the shell that carries out what the core decides
- ``command.py``     the command line and ``main``
"""

from command import __version__, cli, main  # noqa: F401  (the program's public names)

if __name__ == "__main__":
    cli()
