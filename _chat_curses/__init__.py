"""chat_curses's implementation, behind its faces (``chat_curses.py``,
``netproto.py``, ``validators.py``), in four sub-packages by concern. Each
imports only those before it in this list, and none imports a face:

- ``values``, ``limits``: small immutable values, patterns compiled on first
  use, and every limit of the program, declared once
- ``text``: what a person types and sees, measured in cells: the checks and
  the cleaner, wrapping, the history, the input line, the keyboard's bytes
- ``wire``: the protocol, free of I/O: events, their JSON frames, the seam
  where frames are sealed, delivery, the chat's record, and the thin socket
  wrapper
- ``chat``: the chat's own logic, a functional core: events and the time in;
  a frame to draw, bytes to send and effects for the shell out
- ``shell``: the only place with curses, sockets, files and signals: the
  loop, the screen, the keyboard, the door and the dialer, the session file,
  the command line
"""

__version__ = "1.0.0"
