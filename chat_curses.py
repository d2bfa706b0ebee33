#!/usr/bin/env python3
"""chat_curses: a one-to-one chat in the terminal, taking turns.

    python chat_curses.py --server     wait for a partner
    python chat_curses.py --client     connect to one

This file is the program's door, kept small: a script is compiled at every
start, a module only once. The program itself is the package
``_chat_curses`` (its ``__init__`` draws the map); ``netproto.py`` and
``validators.py`` beside this file are the public faces of its protocol and
of its checks.
"""

from _chat_curses import __version__  # noqa: F401  (the program's public names)
from _chat_curses.shell.cli import cli, main  # noqa: F401

if __name__ == "__main__":
    cli()
