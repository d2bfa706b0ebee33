"""Tests of shell/options.py: the plain command line, read without argparse,
reads as argparse reads it; anything else is left to argparse."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _chat_curses.shell.options import OPTIONS, read_plain
from _chat_curses.shell.usage import argument_parser

FLAGS = [option.flag for option in OPTIONS] + ["--new-secret", "--version", "--help", "-h"]
WORDS = FLAGS + [flag[:5] for flag in FLAGS] + [
    "127.0.0.1", "[::1]", "999.1.1.1", "example.org", "9000", "70000", "0", "-1", "2.5", "amy",
    " amy ", "", "   ", "7-amber-otter", "-", "--", "-x", "a=b", "\x1b]2;x\x07", "--port=9000",
    "--host=::1", "--name=", "--quiet=yes", "--timeout=-1", "--log=chat.log", "path with space"]


def as_argparse_reads(argv):
    """What argparse reads in ``argv``: each option's value, or None if it refuses it."""
    try:
        namespace = argument_parser("chat_curses.py", 80).parse_args(argv)
    except SystemExit:
        return None
    return {option.dest: getattr(namespace, option.dest) for option in OPTIONS}


@pytest.mark.parametrize("argv", [
    ["--client"],
    ["--server", "--host", "127.0.0.1", "--port", "9000", "--name", "bobby"],
    ["--client", "--host=[::1]", "--port=9000", "--name= amy ", "--code", "7-amber-otter"],
    ["--server", "--require-code", "--timeout", "2.5", "--resume-window", "0", "--fresh",
     "--quiet", "--no-typing-notice", "--log", "chat.log", "--secret-file", "s e c r e t"],
])
def test_a_plain_command_line_is_read_without_argparse_as_argparse_reads_it(argv):
    assert read_plain(argv) is not None
    assert read_plain(argv) == as_argparse_reads(argv)


@pytest.mark.parametrize("argv", [
    [], ["--server", "--client"], ["--client", "--help"], ["-h"], ["--client", "--version"],
    ["--new-secret", "x"], ["--cli"], ["--client", "--port"], ["--client", "--port", "70000"],
    ["--client", "--name", "-amy"], ["--client", "--timeout", "-1"], ["--client", "--quiet=1"],
    ["--client", "--client"], ["--client", "--name", "a", "--name", "b"], ["--client", "--"],
    ["--client", "extra"],
])
def test_anything_else_is_left_to_argparse(argv):
    assert read_plain(argv) is None


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=7))
def test_whatever_the_plain_reading_accepts_argparse_reads_the_same(argv):
    plain = read_plain(argv)
    if plain is not None:
        assert plain == as_argparse_reads(argv)
