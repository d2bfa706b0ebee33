"""Every limit of the program, declared once (SPEC 3, 7).

What a person types is checked against them (``text.validate``), and so is
what comes from the wire (``wire.events``): one number for both sides.
"""

# A username, in characters once trimmed.
MAX_NAME_CHARS = 32
# A message's text, in bytes of UTF-8.
MAX_TEXT_BYTES = 64 * 1024
# The reason a bye gives, in characters.
MAX_REASON_CHARS = 200
# What the input line holds, in characters, and the most a paste brings:
# more than any message may be, so that a long text can be cut to size.
MAX_TYPED_CHARS = 256 * 1024
# A session file (SPEC 12): a chat's history runs to far less; a larger file is not one.
MAX_SESSION_BYTES = 256 * 1024 * 1024
