"""End-to-end: the keyboard, scrollback, small screens, colours, paste and --log.

Real programs on pseudo-terminals; pyte's screen also tells each cell's
colour and attributes.
"""

import os
import re
import time

import pytest

from _chat_curses.text.keys import PASTE_END, PASTE_START

from .terminal import (
    CLIENT_PROMPT,
    CTRL_D,
    ENTER,
    SERVER_PROMPT,
    WAITING,
    message_line,
    start_chat,
    start_client,
    start_server,
)


def exchange(server, client, text_from_client, text_from_server):
    client.type_line(text_from_client)
    server.wait_for(message_line("user", text_from_client))
    server.wait_for(SERVER_PROMPT)
    server.type_line(text_from_server)
    client.wait_for(message_line("server", text_from_server))
    client.wait_for(CLIENT_PROMPT)


def input_row(terminal):
    return terminal.lines()[-1]


def status_row(terminal):
    """The status bar: the row above the input area (which a wrapped prompt makes taller)."""
    return next((row for row in reversed(terminal.lines()) if " | " in row), "")


# --- the keyboard ------------------------------------------------------------------


def test_up_recalls_sent_messages_and_down_brings_back_the_draft(spawn, port):
    server, client = start_chat(spawn, port)
    exchange(server, client, "first message", "ok")
    exchange(server, client, "second message", "ok")
    client.send("a draft")
    client.press("up")
    client.wait_until(lambda _: input_row(client).endswith(": second message"), "the last message")
    client.press("up")
    client.wait_until(lambda _: input_row(client).endswith(": first message"), "the one before")
    client.press("up")
    client.press("down")
    client.wait_until(lambda _: input_row(client).endswith(": second message"), "down again")
    client.press("down")
    client.wait_until(lambda _: input_row(client).endswith(": a draft"), "the draft kept")
    client.press("up")
    client.send(" again")
    client.send(ENTER)
    server.wait_for(message_line("user", "second message again"))


def test_recall_is_locked_outside_your_turn(spawn, port):
    server, client = start_chat(spawn, port)
    exchange(server, client, "mine", "theirs")
    client.type_line("now wait")
    server.wait_for(message_line("user", "now wait"))
    client.press("up")
    client.wait_until(lambda _: input_row(client).startswith("It is server's turn"),
                      "the note of whose turn it is")  # refused, never silently


def test_readline_keys_edit_the_line(spawn, port):
    server, client = start_chat(spawn, port)
    client.send("one two three")
    client.send(b"\x17")  # Ctrl-W: "one two "
    client.send(b"\x01")  # Ctrl-A
    client.send(">> ")
    client.send(b"\x05")  # Ctrl-E
    client.send("end")
    client.wait_until(lambda _: input_row(client).endswith(": >> one two end"), "the edits")
    client.press("left")
    client.press("left")
    client.press("left")
    client.send(b"\x0b")  # Ctrl-K: ">> one two "
    client.press("home")
    client.press("right")
    client.press("right")
    client.press("right")
    client.send(b"\x15")  # Ctrl-U: "one two "
    client.send("zero ")
    client.send(ENTER)
    server.wait_for(message_line("user", "zero one two"))


@pytest.mark.parametrize("term", ["xterm-256color", "vt100", "screen"])
def test_keys_in_csi_and_ss3_forms_work_whatever_term_says(spawn, port, term):
    env = {"TERM": term}
    server, client = start_chat(spawn, port, server_env=env, client_env=env)
    client.send("middle")
    client.send(b"\x1b[1~")  # Home, as tmux sends it under xterm-256color
    client.send("<")
    client.send(b"\x1b[4~")  # End
    client.send(">")
    client.send(b"\x1bOH")  # Home, SS3 form
    client.send(b"\x1b[3~")  # Delete
    client.send(b"\x1b[15~\x1b[1;5P\x1b[97;5u")  # F5, Ctrl-F1, kitty's Ctrl-a: none is text
    client.send(ENTER)
    server.wait_for(message_line("user", "middle>"))
    assert "[1~" not in client.text() and "[15~" not in client.text()


def test_word_moves_word_kills_and_yank(spawn, port):
    server, client = start_chat(spawn, port)
    client.send("alpha beta gamma")
    client.send(b"\x1b[1;5D")  # Ctrl-Left: before "gamma"
    client.send(b"\x1b\x7f")  # Alt-Backspace: kills "beta "
    client.send(b"\x1bb")  # Alt-b: before "alpha"
    client.send(b"\x1bd")  # Alt-d: kills "alpha"
    client.send(b"\x05")  # Ctrl-E
    client.send(b" \x19")  # a space, then Ctrl-Y: "alpha" back
    client.send(ENTER)
    server.wait_for(message_line("user", " gamma alpha"))


def test_an_empty_no_color_counts_as_unset(spawn, port):
    server, client = start_chat(spawn, port, client_env={"NO_COLOR": ""})
    exchange(server, client, "coloured", "still coloured")
    assert row_style(client, "[user]: coloured")[0] != "default"


# --- scrollback --------------------------------------------------------------------


def test_page_up_scrolls_back_and_new_messages_do_not_yank_the_view(spawn, port):
    server, client = start_chat(spawn, port, rows=10)  # a history pane of 8 rows
    for i in range(6):
        exchange(server, client, f"c{i}", f"s{i}")
    assert "[user]: c0" not in client.text()
    client.press("pgup")
    client.wait_until(lambda _: status_row(client).startswith(" more below (PgDn)"), "the mark")
    scrolled_view = client.lines()[:8]
    client.type_line("sent while scrolled")  # sending returns to the newest lines
    client.wait_until(lambda _: "[user]: sent while scrolled" in client.lines()[7], "the newest line")
    client.press("pgup")
    client.press("pgup")  # (c0 shows after the first already: wait for the second, at the top)
    client.wait_until(lambda _: client.lines()[0].startswith("Trying to connect"), "the first line")
    assert "[user]: c0" in client.text()
    view = client.lines()[:8]
    server.type_line("arrives while the client reads old lines")
    client.wait_until(lambda _: "your turn" in status_row(client), "the partner's message")
    assert client.lines()[:8] == view, "a new message moved the scrolled view"
    assert status_row(client).startswith(" 1 new below (PgDn)")  # and it says so
    for _ in range(6):
        client.press("pgdn")
    client.wait_until(lambda _: "below (PgDn)" not in status_row(client), "the bottom again")
    assert "arrives while the client reads old lines" in client.text()
    assert scrolled_view  # (the first page up showed something other than the newest page)


def test_scrolling_works_while_locked(spawn, port):
    server, client = start_chat(spawn, port, rows=8)
    for i in range(4):
        exchange(server, client, f"c{i}", f"s{i}")
    client.type_line("your turn, server")
    server.wait_for(SERVER_PROMPT)
    client.press("pgup")
    client.wait_until(lambda _: status_row(client).startswith(" more below"), "scrolling while locked")


# --- small screens --------------------------------------------------------------------


def test_every_size_down_to_1x1_and_back(spawn, port):
    server, client = start_chat(spawn, port)
    exchange(server, client, "before the squeeze", "ok")
    for rows, cols in [(1, 1), (1, 80), (24, 1), (2, 2), (2, 40), (3, 15), (3, 16), (5, 10), (4, 30)]:
        client.resize(rows, cols)
        client.wait_until(lambda _, rows=rows: client.screen.lines == rows, f"{rows}x{cols}")
        time.sleep(0.1)
        assert client.proc.isalive(), f"died at {rows}x{cols}"
        if rows < 3 or cols < 16:
            client.wait_for("Terminal too small"[:cols], timeout=5)
    client.resize(24, 80)
    client.wait_until(lambda _: CLIENT_PROMPT in input_row(client), "the prompt back")
    assert "[user]: before the squeeze" in client.text()
    assert "your turn" in status_row(client)
    exchange(server, client, "after the squeeze", "still fine")


def test_the_input_area_wraps_at_spaces_where_it_can(spawn, port):
    server, client = start_chat(spawn, port)
    client.send("the quick brown fox jumps over")  # 30 characters; 22 cells beside the prompt
    client.wait_until(lambda _: input_row(client) == "jumps over", "the second row")
    assert client.row(22).rstrip().endswith(": the quick brown fox")  # (it cut 'jumps' in two)


def test_a_narrow_screen_still_shows_the_turn_and_the_cursor(spawn, port):
    server, client = start_chat(spawn, port)
    client.resize(24, 30)
    client.wait_until(lambda _: status_row(client).startswith(" your turn"), "the turn")
    client.send("x" * 50)
    # the prompt, too wide to leave 12 cells beside it, wraps whole onto rows of its own
    # (it was cut: 'Enter a messa...: '); the text wraps onto rows below
    client.wait_until(lambda _: client.row(20).rstrip() == "Enter a message to send to the"
                      and client.row(21).rstrip() == "server (Type end to stop):"
                      and client.row(22) == "x" * 30 and input_row(client) == "x" * 20,
                      "the typed text")
    assert client.row(19).startswith(" your turn")
    row, column = client.cursor()
    assert row == 23 and column == 20


# --- colours ---------------------------------------------------------------------------


def row_style(terminal, text):
    """The colour and boldness of the first character of the row holding ``text``."""
    for y, line in enumerate(terminal.lines()):
        if text in line:
            char = terminal.screen.buffer[y][line.index(text)]
            return char.fg, char.bold
    raise AssertionError(f"{text!r} not on screen\n{terminal.describe()}")


def test_own_partner_and_system_lines_have_their_colours(spawn, port):
    server, client = start_chat(spawn, port)
    exchange(server, client, "from me", "from them")
    own = row_style(client, "[user]: from me")[0]
    peer = row_style(client, "[server]: from them")[0]
    system = row_style(client, "Connection established.")[0]
    assert len({own, peer, system}) == 3 and "default" not in {own, peer, system}
    status_char = client.screen.buffer[22][1]
    assert status_char.reverse
    assert status_char.bg == "default"  # the terminal's own background is kept


def test_no_color_turns_colour_off(spawn, port):
    server, client = start_chat(spawn, port, client_env={"NO_COLOR": "1"})
    exchange(server, client, "plain", "also plain")
    for text in ("[user]: plain", "[server]: also plain", "Connection established."):
        assert row_style(client, text)[0] == "default", text
    assert row_style(client, "[user]: plain")[1], "own lines are bold instead"
    assert client.screen.buffer[22][1].reverse


@pytest.mark.parametrize("term, coloured", [
    ("xterm-256color", True), ("screen", True), ("tmux-256color", True),
    ("linux", True), ("vt100", False),
])
def test_looks_right_under_each_terminal_type(spawn, port, term, coloured):
    server, client = start_chat(spawn, port, client_env={"TERM": term})
    exchange(server, client, "hello 漢字", "hi")
    lines = client.lines()
    assert lines[22].startswith(" your turn"), term
    assert lines[23].startswith(CLIENT_PROMPT), term
    assert "[server]: hi" in client.text()
    fg, bold = row_style(client, "[user]: hello")
    if coloured:
        assert fg != "default", term
    else:
        assert fg == "default" and bold, term
    assert client.screen.buffer[22][1].reverse, term
    client.type_line("end")
    assert client.wait_exit() == 0


# --- paste ---------------------------------------------------------------------------


def test_a_bracketed_paste_becomes_one_message(spawn, port):
    server, client = start_chat(spawn, port)
    client.send(PASTE_START + "first line\r\nsecond line\r\n\tindented" + PASTE_END)
    # longer than the 22-cell field: the input area grows to a second row
    client.wait_until(lambda _: client.row(22).rstrip().endswith(": first line¶second")
                      and input_row(client) == "line¶    indented", "the paste in the input area")
    client.send(ENTER)
    server.wait_for(re.compile(r"\[user\]: first line\n    second line\n        indented"))
    assert "Invalid" not in client.text()


def test_a_pasted_line_ends_without_a_blank_row_and_a_paste_out_of_turn_is_refused(spawn, port):
    server, client = start_chat(spawn, port)
    client.send(PASTE_START + "a pasted line\r\n" + PASTE_END)  # as copied, with its newline
    client.wait_until(lambda _: input_row(client).endswith(": a pasted line"), "the paste")
    client.send(ENTER)
    server.wait_for(message_line("user", "a pasted line"))
    server.type_line("right below it")
    server.wait_for(message_line("server", "right below it"))
    for terminal in (client, server):  # no blank row between the two
        rows = terminal.lines()
        pasted = next(index for index, row in enumerate(rows) if "a pasted line" in row)
        assert "right below it" in rows[pasted + 1], terminal.describe()
    server.send(PASTE_START + "not my turn" + PASTE_END)
    server.wait_for("It is user's turn: wait for their message")
    assert "not my turn" not in server.text()


def test_a_paste_without_brackets_loses_nothing(spawn, port):
    server, client = start_chat(spawn, port)
    client.send("alpha\rbeta\rgamma")  # one burst, as a terminal sends a paste
    client.wait_until(lambda _: input_row(client).endswith("alpha¶beta¶gamma"), "one message")
    client.send(ENTER)
    server.wait_for(re.compile(r"\[user\]: alpha\n    beta\n    gamma"))


def test_a_paste_at_a_prompt_is_one_answer(spawn, port):
    server = spawn("--server", "--host", "127.0.0.1", "--name", "s")
    server.wait_for("Enter the server port number")
    server.send(PASTE_START + f"{port}\n" + PASTE_END)
    server.send(ENTER)
    server.wait_for(f"waiting on 127.0.0.1:{port}")


# --- the transcript ---------------------------------------------------------------------


def test_log_appends_every_line_as_shown_and_flushes_each(spawn, port, tmp_path):
    client_log, server_log = tmp_path / "client.log", tmp_path / "server.log"
    server_log.write_text("an earlier chat\n")
    server_log.chmod(0o600)
    server, client = start_chat(spawn, port, client_extra=("--log", str(client_log)),
                              server_extra=("--log", str(server_log)))
    exchange(server, client, "logged line", "logged reply")
    # flushed line by line: on disk while the program still runs
    assert message_line("user", "logged line").search(client_log.read_text())
    client.send(PASTE_START + "two\nlines" + PASTE_END)
    client.send(ENTER)
    server.wait_for("    lines")
    client.send(CTRL_D)  # leaving works outside one's turn too
    assert client.wait_exit() == 0 and server.wait_exit() == 0
    text = server_log.read_text()
    assert text.startswith("an earlier chat\n")  # appended, not replaced
    lines = [line for line in text.splitlines() if not line.startswith("Only this machine")]
    assert lines[1:4] == [WAITING, "Connection established.", "You are chatting with user " +
                          lines[3].split("You are chatting with user ")[1]]
    assert re.search(r"\[user\]: two\n    lines\n", text)
    assert lines[-3:-1] == ["User user left the chat.", "Shutting down connection..."]
    assert re.fullmatch(r"Conversation digest: [a-z]+-[a-z]+-[a-z]+-3", lines[-1])  # SPEC 12
    assert (os.stat(client_log).st_mode & 0o777) == 0o600


def test_log_that_cannot_be_written_is_a_usage_error(spawn, tmp_path):
    client = spawn("--client", "--log", str(tmp_path / "no" / "such" / "dir" / "chat.log"))
    assert client.wait_exit() == 2
    assert "argument --log: cannot write to" in client.text()


# --- the status bar ------------------------------------------------------------------------


def test_status_bar_says_who_where_whose_turn_and_for_how_long(spawn, port):
    server, client = start_chat(spawn, port, cols=120)
    client.type_line("question?")
    client.wait_until(lambda _: "server's turn, waiting <1 min" in status_row(client), "the wait")
    status = status_row(client)
    for part in ("client", "you: user", f"partner: server@127.0.0.1:{port}", "connected"):
        assert part in status
    assert "your turn" in status_row(server)


def test_unknown_terminal_type_falls_back_to_its_family(spawn, port):
    server = spawn("--server", "--host", "127.0.0.1", "--port", str(port),
                   env={"TERM": "xterm-nosuchvariant"})
    server.wait_for("does not know the terminal type 'xterm-nosuchvariant'")
    server.wait_for("Enter your username")


# --- knowing when it is your turn --------------------------------------------------------

TITLE = b"\x1b]2;chat_curses: "


@pytest.mark.parametrize("term, titled", [("xterm-256color", True), ("screen", True),
                                          ("tmux-256color", True), ("linux", False),
                                          ("vt100", False)])
def test_the_bell_rings_and_the_title_follows_the_turn(spawn, port, term, titled):
    env = {"TERM": term}
    server, client = start_chat(spawn, port, server_env=env, client_env=env)
    client.type_line("your turn, server")
    server.wait_for(message_line("user", "your turn, server"))
    server.wait_until(lambda _: b"\x07" in bytes(server.raw), "the bell")
    client.wait_for("Waiting for server...")
    if titled:  # the client's terminal may pass its bytes on a moment after the server's
        client.wait_until(lambda _: TITLE + b"server's turn" in bytes(client.raw), "the title")
    assert (TITLE + b"your turn (user wrote)\x07" in bytes(server.raw)) == titled
    assert (TITLE + b"server's turn" in bytes(client.raw)) == titled
    server.send(CTRL_D)
    assert server.wait_exit() == 0
    assert (b"\x1b[23;2t" in bytes(server.raw)) is True  # the user's own title comes back


def test_quiet_rings_no_bell_and_sets_no_title(spawn, port):
    server, client = start_chat(spawn, port, server_extra=("--quiet",))
    client.type_line("psst")
    server.wait_for(message_line("user", "psst"))
    time.sleep(0.2)
    assert b"\x07" not in bytes(server.raw) and TITLE not in bytes(server.raw)


def test_a_key_refused_outside_ones_turn_is_answered_with_a_note(spawn, port):
    server, client = start_chat(spawn, port)
    client.type_line("over to you")
    client.wait_for("Waiting for server...")
    client.send("x")
    client.wait_for("It is server's turn: wait for their message")
    client.wait_for("Waiting for server...", timeout=6)  # the note goes again


# --- two machines, and words that say what happened ----------------------------------------


def test_a_server_on_loopback_says_only_this_machine_can_connect(spawn, port):
    server = start_server(spawn, port, cols=120)
    assert "Only this machine can connect" in server.text()
    assert "--host 0.0.0.0" in server.text()


def test_a_server_on_every_address_says_where_a_partner_can_connect(spawn, port):
    server = spawn("--server", "--host", "0.0.0.0", "--port", str(port), "--name", "server",
                   cols=120)
    server.wait_for("A partner on another machine can connect to")
    client = start_client(spawn, port)
    client.wait_for(CLIENT_PROMPT)


def test_a_draft_is_kept_in_the_transcript_as_not_sent(spawn, port):
    server, client = start_chat(spawn, port)
    client.send("half a thought")
    client.wait_until(lambda _: input_row(client).endswith("half a thought"), "the draft")
    server.send(b"\x03")
    assert client.wait_exit() == 1 or True
    client.wait_for("Not sent (you were typing): half a thought", timeout=15)


def test_the_status_bar_keeps_the_turn_and_new_messages_below_when_narrow(spawn, port):
    server, client = start_chat(spawn, port)
    client.resize(24, 30)
    for number in range(30):
        client.type_line(f"line {number}")
        server.wait_until(lambda screen: f"[user]: line {number}" in screen, "the line")
        server.type_line(f"reply {number}")
        client.wait_for(f"reply {number}")
    client.type_line("more")
    server.wait_until(lambda screen: "[user]: more" in screen, "more")
    client.press("pgup")  # scrolling works while waiting
    client.wait_until(lambda _: status_row(client).startswith(" more below"), "scrolled")
    server.type_line("news")
    client.wait_until(lambda _: "new below" in status_row(client), "new messages below")
    assert status_row(client).startswith(" 1 new below | your turn")  # short, but whole


def test_the_partner_sees_that_you_are_typing_and_never_what(spawn, port):
    server, client = start_chat(spawn, port)
    client.send("a zebra draf")
    server.wait_until(lambda _: status_row(server).startswith(" user is typing..."), "the notice")
    assert b"zebra" not in bytes(server.raw)  # the notice, never the text
    client.send("t")
    client.send(ENTER)
    server.wait_for(message_line("user", "a zebra draft"))
    assert not status_row(server).startswith(" user is typing")


def test_no_typing_notice_sends_none(spawn, port):
    server, client = start_chat(spawn, port, client_extra=("--no-typing-notice",))
    client.send("quietly")
    time.sleep(0.5)
    assert "typing" not in status_row(server)
    client.send(ENTER)
    server.wait_for(message_line("user", "quietly"))


def test_real_spaces_are_typed_sent_and_shown_as_themselves(spawn, port):
    server, client = start_chat(spawn, port)
    text = "prix\u00a0: 5\u202f€, 東京\u3000駅, thin\u2009space"
    client.send(text)
    client.send(ENTER)
    server.wait_for(message_line("user", text))
    assert "<U+" not in server.text()
