"""Table-driven tests of text/validate.py: what a person may type, and the cleaner."""

import pytest

from _chat_curses.limits import MAX_TEXT_BYTES as MAX_TEXT_BYTES
from _chat_curses.text.validate import (
    ValidationError,
    check_address,
    check_message,
    check_port,
    check_timeout,
    check_username,
    clean,
    clean_lines,
)

GOOD_ADDRESSES = [
    ("localhost", "localhost"),
    ("  localhost  ", "localhost"),
    ("127.0.0.1", "127.0.0.1"),
    ("0.0.0.0", "0.0.0.0"),
    ("255.255.255.255", "255.255.255.255"),
    ("192.168.1.10", "192.168.1.10"),
    ("::1", "::1"),
    ("[::1]", "::1"),
    ("::", "::"),
    ("fe80::1%eth0", "fe80::1%eth0"),
    ("2001:db8::8a2e:370:7334", "2001:db8::8a2e:370:7334"),
    ("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:0db8:0000:0000:0000:ff00:0042:8329"),
    ("::ffff:192.0.2.128", "::ffff:192.0.2.128"),
    ("example.com", "example.com"),
    ("example.com.", "example.com."),
    ("my-host", "my-host"),
    ("a" * 63 + ".example", "a" * 63 + ".example"),
    ("3com.net", "3com.net"),
]

BAD_ADDRESSES = [
    ("", "empty"),
    ("   ", "empty"),
    ("999.1.1.1", "0 to 255"),
    ("256.0.0.1", "0 to 255"),
    ("1.2.3", "0 to 255"),
    ("1.2.3.4.5", "0 to 255"),
    ("1..2.3", "0 to 255"),
    ("123", "0 to 255"),
    ("01.2.3.4", "0 to 255"),
    ("1:2:3:4:5:6:7:8:9", "IPv6"),
    ("::1::", "IPv6"),
    ("12345::", "IPv6"),
    ("[::1", "IPv6"),
    ("gggg::1", "IPv6"),
    ("-leading.example", "host name"),
    ("trailing-.example", "host name"),
    ("under_score", "host name"),
    ("a" * 64 + ".example", "host name"),
    (".".join(["a" * 60] * 5), "host name"),
    ("host name", "host name"),
    ("host\x1b[31m", "host name"),
    ("hôst", "host name"),
]


@pytest.mark.parametrize("text, expected", GOOD_ADDRESSES)
def test_good_addresses(text, expected):
    assert check_address(text) == expected


@pytest.mark.parametrize("text, why", BAD_ADDRESSES)
def test_bad_addresses_say_why(text, why):
    with pytest.raises(ValidationError) as caught:
        check_address(text)
    message = str(caught.value)
    assert message.startswith("Invalid address '")
    assert why in message
    assert "\x1b" not in message


@pytest.mark.parametrize("text, expected", [
    ("1", 1), ("8000", 8000), ("65535", 65535), (" 22 ", 22), ("08000", 8000),
])
def test_good_ports(text, expected):
    assert check_port(text) == expected


@pytest.mark.parametrize("text", [
    "", "0", "65536", "70000", "-1", "+80", "80.0", "eighty", "1e3", "123456", "８０", "٨٠",
])
def test_bad_ports(text):
    with pytest.raises(ValidationError) as caught:
        check_port(text)
    assert str(caught.value) == f"Invalid port '{text.strip()}': must be a number from 1 to 65535"


def test_port_message_of_the_spec():
    with pytest.raises(ValidationError, match=r"^Invalid port '70000': must be a number from 1 to 65535$"):
        check_port("70000")


@pytest.mark.parametrize("text, expected", [
    ("user", "user"),
    ("  Ann Lee  ", "Ann Lee"),
    ("x" * 32, "x" * 32),
    ("漢字", "漢字"),
    ("😀", "😀"),
    ("e\u0301", "e\u0301"),
])
def test_good_usernames(text, expected):
    assert check_username(text) == expected


@pytest.mark.parametrize("text, why", [
    ("", "empty"),
    (" \t ", "empty"),
    ("x" * 33, "at most 32"),
    ("a\x1b[2Jb", "control"),
    ("a\x00b", "control"),
    ("evil\u202etxt", "control"),
    ("zero\u200bwidth", "control"),
    ("a\x85b", "control"),
])
def test_bad_usernames(text, why):
    with pytest.raises(ValidationError) as caught:
        check_username(text)
    message = str(caught.value)
    assert message.startswith("Invalid username")
    assert why in message
    assert message.isprintable()


def test_long_bad_answer_is_quoted_short():
    with pytest.raises(ValidationError) as caught:
        check_username("y" * 10_000)
    assert len(str(caught.value)) < 120


@pytest.mark.parametrize("text", ["hello", "  padded  ", "end", "x", "漢字", "a" * MAX_TEXT_BYTES])
def test_good_messages_are_kept_as_typed(text):
    assert check_message(text) == text


@pytest.mark.parametrize("text", ["", " ", "\t", "   \u3000 "])
def test_blank_messages_are_refused(text):
    with pytest.raises(ValidationError, match=r"^Invalid input: the message is empty$"):
        check_message(text)


def test_oversize_message_is_refused_by_bytes_not_characters():
    check_message("é" * (MAX_TEXT_BYTES // 2))
    with pytest.raises(ValidationError, match="too long"):
        check_message("é" * (MAX_TEXT_BYTES // 2 + 1))


@pytest.mark.parametrize("text, expected", [("10", 10.0), ("0.5", 0.5), ("3600", 3600.0)])
def test_good_timeouts(text, expected):
    assert check_timeout(text) == expected


@pytest.mark.parametrize("text", ["0", "0.0", "-1", "3601", "nan", "inf", "1e3", "ten", ""])
def test_bad_timeouts(text):
    with pytest.raises(ValidationError, match="^Invalid timeout"):
        check_timeout(text)


@pytest.mark.parametrize("raw, shown", [
    ("plain text", "plain text"),
    ("\x1b[31mred", "^[[31mred"),
    ("bell\x07", "bell^G"),
    ("nul\x00", "nul^@"),
    ("del\x7f", "del^?"),
    ("tab\there", "tab^Ihere"),
    ("line\nbreak\r", "line^Jbreak^M"),
    ("c1\x9b31m", "c1<U+009B>31m"),
    ("rtl\u202eevil", "rtl<U+202E>evil"),
    ("zw\u200bj\u200d", "zw<U+200B>j<U+200D>"),
    ("bom\ufeff", "bom<U+FEFF>"),
    ("sep\u2028", "sep<U+2028>"),
    ("lone\ud800", "lone<U+D800>"),
    ("wide 漢字 😀 e\u0301", "wide 漢字 😀 e\u0301"),
])
def test_clean_makes_controls_visible(raw, shown):
    assert clean(raw) == shown


@pytest.mark.parametrize("code", list(range(0x00, 0x20)) + list(range(0x7F, 0xA0)))
def test_clean_leaves_no_control_character(code):
    result = clean(f"a{chr(code)}b")
    assert result.isprintable()
    assert chr(code) not in result


# --- names that pass for someone else, and real spaces -------------------------

from _chat_curses.text.validate import clean_name, has_visible_character


@pytest.mark.parametrize("raw, shown", [
    ("ser\u034fver", "ser<U+034F>ver"),         # combining grapheme joiner draws nothing
    ("ser\ufe0fver", "ser<U+FE0F>ver"),         # a variation selector
    ("ser\U000e0100ver", "ser<U+E0100>ver"),    # a supplementary variation selector
    ("\u3164", "<U+3164>"),                     # Hangul filler draws blank
    ("\u115f", "<U+115F>"),
    ("\uffa0", "<U+FFA0>"),
    ("\u2800", "<U+2800>"),                     # braille blank
    ("a\u1160b", "a<U+1160>b"),
    ("Ann Lee", "Ann Lee"),
    ("漢字 😀 e\u0301", "漢字 😀 e\u0301"),
])
def test_names_show_what_draws_as_nothing_or_blank(raw, shown):
    assert clean_name(raw) == shown
    assert clean_name(raw).isprintable()


@pytest.mark.parametrize("name", ["\u3164", "\u115f\u3164", "\u2800", "\ufe0f", "\u0301", "\u3164 \u2800"])
def test_a_typed_name_needs_a_visible_character(name):
    assert not has_visible_character(name)
    with pytest.raises(ValidationError, match="no visible character"):
        check_username(name)


@pytest.mark.parametrize("text", ["no\u00a0break", "ideo\u3000graphic", "thin\u2009space",
                                  "narrow\u202fnbsp", "em\u2003space"])
def test_space_separators_are_text(text):
    assert clean(text) == text


@pytest.mark.parametrize("raw, shown", [
    ("a\u034fb", "a<U+034F>b"), ("\u3164", "<U+3164>"), ("\uffa0x", "<U+FFA0>x"),
    ("heart \u2764\ufe0f", "heart \u2764\ufe0f"),  # messages keep the emoji's selector
])
def test_messages_mark_what_draws_as_nothing_but_keep_emoji_selectors(raw, shown):
    assert clean(raw) == shown


@pytest.mark.parametrize("raw, shown", [
    ("one line \x1b[2J", "one line ^[[2J"),
    ("first\nsecond\x07\n\u202ethird", "first\nsecond^G\n<U+202E>third"),
    ("\n", "\n"),
    ("a\r\nb", "a^M\nb"),
])
def test_clean_lines_keeps_the_line_breaks_and_cleans_each_line(raw, shown):
    assert clean_lines(raw) == shown
