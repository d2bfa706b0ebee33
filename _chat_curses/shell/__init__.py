"""The imperative shell: the only place with curses, sockets, files and signals. The
loop (loop), the terminal and the screen, the handshake on a socket (link), the
dialer and the door (listener), the session file (journal, keeper), the transcript,
the wiring (app) and the command line (cli)."""
