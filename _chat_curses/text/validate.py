"""Pure checks of what a person types, and the cleaner for untrusted text.

Each ``check_*`` function takes the raw answer, returns the clean value, or
raises ``ValidationError`` whose text is a whole sentence starting with
``Invalid`` that can go straight onto the screen.

The grammars are regular expressions built from named pieces, compiled once
and matched with ``fullmatch``, in the manner of h11's ``_abnf.py``.
"""

from __future__ import annotations

from functools import lru_cache

from ..limits import MAX_NAME_CHARS, MAX_TEXT_BYTES
from ..values import Pattern

# How much of a bad answer is quoted back in an error.
_QUOTE_CHARS = 40


class ValidationError(ValueError):
    """An answer was refused; ``str(error)`` says why, in words."""


# --- Grammar ---------------------------------------------------------------

# RFC 3986:  dec-octet = "25" %x30-35 / "2" %x30-34 DIGIT / "1" 2DIGIT
#                      / %x31-39 DIGIT / DIGIT
_DEC_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"
# IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet
_IPV4 = rf"{_DEC_OCTET}(?:\.{_DEC_OCTET}){{3}}"

# RFC 3986:  h16 = 1*4HEXDIG ; ls32 = ( h16 ":" h16 ) / IPv4address
_H16 = r"[0-9A-Fa-f]{1,4}"
_LS32 = rf"(?:{_H16}:{_H16}|{_IPV4})"
# IPv6address: eight groups, where one run of zero groups may be "::".
_IPV6_FORMS = [
    rf"(?:{_H16}:){{6}}{_LS32}",
    rf"::(?:{_H16}:){{5}}{_LS32}",
    rf"(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}",
    rf"(?:(?:{_H16}:){{0,1}}{_H16})?::(?:{_H16}:){{3}}{_LS32}",
    rf"(?:(?:{_H16}:){{0,2}}{_H16})?::(?:{_H16}:){{2}}{_LS32}",
    rf"(?:(?:{_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
    rf"(?:(?:{_H16}:){{0,4}}{_H16})?::{_LS32}",
    rf"(?:(?:{_H16}:){{0,5}}{_H16})?::{_H16}",
    rf"(?:(?:{_H16}:){{0,6}}{_H16})?::",
]
_IPV6 = "(?:" + "|".join(_IPV6_FORMS) + ")"
# RFC 6874 zone identifier for link-local addresses: fe80::1%eth0
_ZONE_ID = r"%[0-9A-Za-z_.~-]+"

# RFC 1123 host name: labels of letters, digits and inner hyphens, 1-63
# characters each, joined by dots; 253 characters at most in all.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = rf"{_LABEL}(?:\.{_LABEL})*\.?"
_MAX_HOSTNAME_CHARS = 253

# Text made only of digits and dots looks like an IPv4 address to a person
# (and to inet_aton, which reads "1.2.3" as 1.2.0.3), so it must be a quad.
_NUMERIC_DOTTED = r"[0-9.]+"

_IPV4_RE = Pattern(_IPV4)
_IPV6_RE = Pattern(rf"{_IPV6}(?:{_ZONE_ID})?")
_HOSTNAME_RE = Pattern(_HOSTNAME)
_NUMERIC_DOTTED_RE = Pattern(_NUMERIC_DOTTED)
_PORT_RE = Pattern(r"[0-9]{1,5}")
# Seconds: digits with an optional fraction, like 10 or 2.5.
_SECONDS_RE = Pattern(r"[0-9]{1,6}(?:\.[0-9]{1,6})?")
MAX_TIMEOUT_SECONDS = 3600
MAX_WINDOW_SECONDS = 86400


# --- Checks ----------------------------------------------------------------


def _quote(text: str) -> str:
    """Quote a bad answer for an error line: cleaned, and cut if long."""
    if len(text) > _QUOTE_CHARS:
        text = text[:_QUOTE_CHARS] + "..."
    return "'" + clean(text) + "'"


def check_address(text: str) -> str:
    """An IPv4 quad, an IPv6 literal (brackets allowed), a host name, or localhost.

    Returns the address ready for ``socket.getaddrinfo`` (no brackets).
    """
    address = text.strip()
    if not address:
        raise ValidationError("Invalid address '': it is empty")
    if _NUMERIC_DOTTED_RE.fullmatch(address):
        if _IPV4_RE.fullmatch(address):
            return address
        raise ValidationError(
            f"Invalid address {_quote(address)}: an IPv4 address is four "
            "numbers from 0 to 255 separated by dots, like 127.0.0.1"
        )
    if ":" in address:
        literal = address
        if literal.startswith("[") and literal.endswith("]"):
            literal = literal[1:-1]
        if _IPV6_RE.fullmatch(literal):
            return literal
        raise ValidationError(
            f"Invalid address {_quote(address)}: not a valid IPv6 address"
        )
    if len(address) <= _MAX_HOSTNAME_CHARS and _HOSTNAME_RE.fullmatch(address):
        return address
    raise ValidationError(
        f"Invalid address {_quote(address)}: expected an IP address or a host "
        "name made of letters, digits, hyphens and dots"
    )


def check_port(text: str) -> int:
    """A TCP port number from 1 to 65535."""
    port = text.strip()
    if _PORT_RE.fullmatch(port) and 1 <= int(port) <= 65535:
        return int(port)
    raise ValidationError(
        f"Invalid port {_quote(port)}: must be a number from 1 to 65535"
    )


def check_timeout(text: str) -> float:
    """A number of seconds above 0 and at most an hour."""
    seconds = text.strip()
    if _SECONDS_RE.fullmatch(seconds) and 0 < float(seconds) <= MAX_TIMEOUT_SECONDS:
        return float(seconds)
    raise ValidationError(
        f"Invalid timeout {_quote(seconds)}: must be a number of seconds "
        f"above 0 and at most {MAX_TIMEOUT_SECONDS}"
    )


def check_window(text: str) -> float:
    """A number of seconds from 0 (off) to a day: how long a broken chat waits to be resumed."""
    seconds = text.strip()
    if _SECONDS_RE.fullmatch(seconds) and 0 <= float(seconds) <= MAX_WINDOW_SECONDS:
        return float(seconds)
    raise ValidationError(
        f"Invalid resume window {_quote(seconds)}: must be a number of seconds "
        f"from 0 (no resuming) to {MAX_WINDOW_SECONDS}"
    )


def check_username(text: str) -> str:
    """1 to 32 printable characters once surrounding white space is trimmed."""
    name = text.strip()
    if not name:
        raise ValidationError("Invalid username '': it is empty")
    if len(name) > MAX_NAME_CHARS:
        raise ValidationError(
            f"Invalid username {_quote(name)}: at most "
            f"{MAX_NAME_CHARS} characters, not {len(name)}"
        )
    if not name.isprintable():
        raise ValidationError(
            f"Invalid username {_quote(name)}: control and formatting "
            "characters are not allowed"
        )
    if not has_visible_character(name):
        raise ValidationError(
            f"Invalid username {_quote(name)}: it has no visible character"
        )
    return name


def check_code(text: str) -> str:
    """A pairing code (``7-amber-otter``), spaces, case and missing dashes forgiven;
    "" for none. Returned in its one written form."""
    from ..words import CODE_EXAMPLE, read_code  # here: only a client asked for one needs it

    if not text.strip():
        return ""
    code = read_code(text)
    if code is None:
        # Not quoted back: a near miss of the code is no line for a log.
        raise ValidationError(f"Invalid pairing code: a code is a number and two words, like "
                              f"{CODE_EXAMPLE}, as the server shows it")
    return code


def check_message(text: str) -> str:
    """Anything but empty or blank, up to 64 KiB of UTF-8. Returned as typed."""
    if not text.strip():
        raise ValidationError("Invalid input: the message is empty")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_TEXT_BYTES:
        raise ValidationError(
            f"Invalid input: the message is too long ({size:,} bytes; "
            f"at most {MAX_TEXT_BYTES:,})"
        )
    return text


# --- The cleaner -------------------------------------------------------------

# Space separators other than the space itself: text, shown as they are,
# though str.isprintable() calls them unprintable.
SPACE_SEPARATORS = frozenset("\u00a0\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B))))
# Printable by str.isprintable(), yet default-ignorable (Unicode's
# DerivedCoreProperties): terminals draw them as nothing or as a blank. The
# variation selectors among them are left to messages, where emoji need
# them; in names they are marked too (below).
_HIDDEN = "\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0"
_HIDDEN_RE = Pattern(f"[{_HIDDEN}]")
# What else draws as nothing or as a blank, and so has no place in a name,
# which is an identity: variation selectors and the braille blank.
_BLANK_IN_NAMES = "\u180b-\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef\u2800"
_BLANK_IN_NAMES_RE = Pattern(f"[{_BLANK_IN_NAMES}]")
_NAME_MARKS_RE = Pattern(f"[{_HIDDEN}{_BLANK_IN_NAMES}]")


def _marker(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return "^" + chr(code + 0x40)  # C0: ESC is ^[, NUL is ^@
    if code == 0x7F:
        return "^?"
    return f"<U+{code:04X}>"


def _shown(char: str) -> str:
    if (char.isprintable() and char not in _HIDDEN) or char in SPACE_SEPARATORS:
        return char
    return _marker(char)


def clean(text: str) -> str:
    """Make text safe for the terminal.

    Every character for which ``str.isprintable()`` is false (C0 and C1
    controls, DEL, NUL, bidi overrides, zero-width formatting, line and
    paragraph separators, lone surrogates), and the printable ones that draw
    as nothing (the combining grapheme joiner, Hangul fillers), becomes a
    visible marker such as ``^[`` or ``<U+202E>``. Space separators (no-break,
    ideographic, thin...) are text and stay. Everything else is kept as it is.
    """
    if text.isprintable() and (text.isascii() or not _HIDDEN_RE.search(text)):
        return text  # (what draws as nothing is never ASCII: most text needs no search)
    return "".join(map(_shown, text))


def clean_lines(text: str) -> str:
    """``clean``, keeping the line breaks (a pasted block's): each line cleaned."""
    return "\n".join(map(clean, text.split("\n"))) if "\n" in text else clean(text)


@lru_cache(maxsize=64)  # (the same two names head every message)
def clean_name(name: str) -> str:
    """``clean``, and in a name also markers for what draws as nothing or as a
    blank (variation selectors, the braille blank), so that no name can pass
    for another or look empty."""
    return _BLANK_IN_NAMES_RE.sub(lambda match: _marker(match.group()), clean(name))


def has_visible_character(text: str) -> bool:
    """Something in ``text`` draws ink: not only blanks, fillers and marks."""
    import unicodedata  # here, not at the top: start-up need not load its tables

    return any(not char.isspace() and char.isprintable() and not _NAME_MARKS_RE.match(char)
               and unicodedata.category(char) not in ("Mn", "Me")
               for char in text)
