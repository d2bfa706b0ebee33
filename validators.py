"""The public face of chat_curses's checks of what a person types, and of its
cleaner for text that is not ours (SPEC 3, 7).

Each ``check_*`` takes the raw answer and returns the clean value, or raises
``ValidationError``, whose text is a sentence starting with ``Invalid``.
``clean`` turns control and formatting characters into visible markers
before anything from the wire or a file reaches the terminal. The
implementation is ``_chat_curses.text.validate``; this module only hands
its names on.
"""

from _chat_curses.limits import MAX_NAME_CHARS, MAX_TEXT_BYTES
from _chat_curses.text.validate import (
    SPACE_SEPARATORS,
    ValidationError,
    check_address,
    check_message,
    check_port,
    check_timeout,
    check_username,
    check_window,
    clean,
    clean_name,
    has_visible_character,
)

__all__ = [
    "ValidationError", "MAX_NAME_CHARS", "MAX_TEXT_BYTES",
    "check_address", "check_port", "check_username", "check_message", "check_timeout",
    "check_window", "clean", "clean_name", "has_visible_character", "SPACE_SEPARATORS",
]
