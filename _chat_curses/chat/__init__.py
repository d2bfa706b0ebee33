"""The chat's own logic, a functional core (core), and what it is made of: settings,
effects, setup questions, lines, liveness, the keymap and the frame. Events and the
time in; a frame, bytes and effects out. No curses, no sockets."""
