"""The chat's own logic, a functional core (core), and what it is made of: the settings
and setup questions (setup), effects, the way to the partner (connecting), liveness,
the door's admission, lines, the keymap and the frame. Events and the time in; a
frame, bytes and effects out. No curses, no sockets, no clock of its own."""
