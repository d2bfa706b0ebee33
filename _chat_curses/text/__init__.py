"""What a person types and sees, measured in terminal cells: the checks and the cleaner
(validate), widths and wrapping (cells), the history (history), the input line
(editor), the keyboard's bytes (keys). Pure: no curses, no sockets."""
