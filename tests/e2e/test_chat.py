"""End-to-end: two real chat_curses processes on pseudo-terminals, over loopback.

Each test checks what a person would see on the screen, and the exit code.
"""

import re
import signal
import socket
import subprocess
import sys
import termios
import time

import pytest

from .terminal import (
    ADDRESS_PROMPT,
    CLIENT_PROMPT,
    CTRL_C,
    CTRL_D,
    ENTER,
    PORT_PROMPT,
    PROGRAM,
    ROOT,
    SERVER_PROMPT,
    WAITING,
    message_line,
    pairing_code,
    start_chat,
    start_client,
    start_server,
)


def assert_left_on_terminal(terminal, *lines):
    """After the program has exited, its last words are on the normal terminal.

    A line longer than the terminal is wrapped at spaces, so rows are joined,
    and runs of spaces taken as one, before comparing; a row never starts
    with a word cut in two (a lone ')' once did).
    """
    rows = [line for line in terminal.lines() if line]
    shown = " ".join(" ".join(rows).split())
    assert shown.endswith(" ".join(" ".join(lines).split())), terminal.describe()
    assert not any(row.lstrip().startswith(")") for row in rows), terminal.describe()


def assert_terminal_restored(terminal):
    modes = terminal.terminal_modes()
    assert modes[3] & termios.ECHO, "echo left off"
    assert modes[3] & termios.ICANON, "line mode left off"
    assert modes[3] & termios.ISIG, "Ctrl-C left disabled"
    with terminal._lock:  # the screen draws past curses: what it changed is put back too
        assert not terminal.screen.cursor.hidden, "the cursor left hidden"
        margins = terminal.screen.margins
        assert margins is None or (margins.top, margins.bottom) == (0, terminal.screen.lines - 1), \
            "a scrolling region left set"


# --- the original flow, through the prompts ---------------------------------


def test_whole_flow_through_the_prompts_with_defaults_and_one_invalid_answer_each(spawn, port):
    server = spawn("--server")
    server.wait_for(ADDRESS_PROMPT)
    server.type_line("999.1.1.1")
    server.wait_for("Invalid address '999.1.1.1'")
    server.type_line("")  # localhost
    server.wait_for(PORT_PROMPT)
    server.type_line("70000")
    server.wait_for("Invalid port '70000': must be a number from 1 to 65535")
    server.type_line(str(port))
    server.wait_for("Enter your username (<Enter> for server):")
    server.type_line("x" * 33)
    server.wait_for("Invalid username")
    server.type_line("")  # server
    server.wait_for(WAITING)

    client = spawn("--client")
    client.wait_for(ADDRESS_PROMPT)
    client.type_line("1.2.3")
    client.wait_for("Invalid address '1.2.3'")
    client.type_line("")
    client.wait_for(PORT_PROMPT)
    client.type_line("port")
    client.wait_for("Invalid port 'port'")
    client.type_line(str(port))
    client.wait_for("Enter your username (<Enter> for user):")
    client.type_line("  ")  # blank is Enter alone: the default
    client.wait_for("Enter the pairing code from the server (<Enter> for none):")
    client.type_line("seven-amber")
    client.wait_for("Invalid pairing code: a code is a number and two words")
    client.type_line(pairing_code(server))
    client.wait_for("Trying to connect to server....")
    client.wait_for("Connection established.")
    server.wait_for("Connection established.")
    shown = client.flat()  # each answer in the history, a default said so
    assert ADDRESS_PROMPT + " localhost (default)" in shown
    assert "Enter your username (<Enter> for user): user (default)" in shown

    client.wait_for(CLIENT_PROMPT)
    client.type_line("hello")
    server.wait_for(message_line("user", "hello"))
    client.wait_for(message_line("user", "hello"))
    server.wait_for(SERVER_PROMPT)
    server.type_line("hello")
    client.wait_for(message_line("server", "hello"))
    client.wait_for(CLIENT_PROMPT)
    client.type_line("end")

    assert client.wait_exit() == 0
    assert server.wait_exit() == 0
    for side in (client, server):
        assert_left_on_terminal(side, "User user left the chat.", "Shutting down connection...")
        assert_terminal_restored(side)
    # the conversation stays in the normal terminal's scrollback
    assert message_line("server", "hello").search(client.text())


def test_enter_alone_for_the_port_means_8000(spawn):
    server = spawn("--server", "--host", "127.0.0.1", "--name", "s")
    server.wait_for(PORT_PROMPT)
    server.type_line("")
    # 8000 may be taken on this machine; either way the default was used
    server.wait_until(
        lambda screen: "waiting on 127.0.0.1:8000" in screen
        or "Port 8000 is already in use on 127.0.0.1" in screen,
        "the server to try port 8000",
    )


def test_flags_skip_every_prompt(spawn, port):
    server, client = start_chat(spawn, port, server_name="alice", client_name="bob")
    for side in (server, client):
        assert "Enter the server" not in side.text()
        assert "Enter your username" not in side.text()
    assert "bob (127.0.0.1:" in server.text()
    assert f"alice (127.0.0.1:{port})" in client.text()
    status = client.row(22)
    assert "you: bob" in status and f"partner: alice@127.0.0.1:{port}" in status
    assert "your turn" in status
    assert "bob's turn" in server.row(22)


def test_messages_alternate_and_show_on_both_screens(spawn, port):
    server, client = start_chat(spawn, port)
    client.type_line("one")
    server.wait_for(SERVER_PROMPT)
    server.type_line("two 漢字 😀")
    client.wait_for(message_line("server", "two 漢字 😀"))
    client.type_line("three")
    server.wait_for(message_line("user", "three"))
    for side in (server, client):
        screen = side.text()
        assert screen.index("[user]: one") < screen.index("[server]: two") < screen.index("[user]: three")


# --- the lock ----------------------------------------------------------------


def test_text_typed_out_of_turn_is_never_sent(spawn, port):
    server, client = start_chat(spawn, port)
    server.type_line("sneaky")  # the client's turn: ignored, Enter too
    time.sleep(0.3)
    assert "sneaky" not in server.text()
    assert "sneaky" not in client.text()
    client.type_line("first")
    server.wait_for(SERVER_PROMPT)
    assert server.row(23) == SERVER_PROMPT  # nothing was kept to send later
    server.type_line("reply")
    client.wait_for(message_line("server", "reply"))
    assert "sneaky" not in client.text()
    client.type_line("again")
    client.wait_for(message_line("user", "again"))
    client.type_line("locked out")  # and now the client is the one locked out
    server.wait_for(message_line("user", "again"))
    time.sleep(0.3)
    assert "locked out" not in server.text()


def test_blank_message_is_refused_and_the_prompt_stays(spawn, port):
    server, client = start_chat(spawn, port)
    client.type_line("   ")
    client.wait_for("Invalid input: the message is empty")
    assert client.row(23).startswith(CLIENT_PROMPT)
    assert "your turn" in client.row(22)
    client.type_line("real")
    server.wait_for(message_line("user", "real"))


# --- endings -----------------------------------------------------------------


@pytest.mark.parametrize("leaver", ["client", "server"])
def test_end_closes_the_chat_on_both_sides(spawn, port, leaver):
    server, client = start_chat(spawn, port)
    if leaver == "server":
        client.type_line("over to you")
        server.wait_for(SERVER_PROMPT)
        server.type_line("  end  ")
        name = "server"
    else:
        client.type_line("end")
        name = "user"
    assert server.wait_exit() == 0
    assert client.wait_exit() == 0
    for side in (server, client):
        assert_left_on_terminal(side, f"User {name} left the chat.", "Shutting down connection...")
        assert_terminal_restored(side)


def test_ctrl_d_on_an_empty_line_leaves_like_end(spawn, port):
    server, client = start_chat(spawn, port)
    server.send(CTRL_D)  # allowed even while waiting: leaving always works
    assert server.wait_exit() == 0
    assert client.wait_exit() == 0
    assert_left_on_terminal(client, "User server left the chat.", "Shutting down connection...")


def test_ctrl_c_tells_the_partner_and_exits_130(spawn, port):
    server, client = start_chat(spawn, port)
    client.send(CTRL_C)
    assert client.wait_exit() == 130
    assert server.wait_exit() == 0
    assert_left_on_terminal(server, "User user left the chat.", "Shutting down connection...")
    assert_terminal_restored(client)


def test_sigint_from_outside_while_waiting_for_a_partner(spawn, port):
    server = start_server(spawn, port)
    server.kill(signal.SIGINT)
    assert server.wait_exit() == 130
    assert_left_on_terminal(server, "Cancelled before the chat began.")
    assert_terminal_restored(server)


def test_sigint_while_the_cryptography_loads_in_the_background_exits_130(spawn, port):
    """The first draw starts loading the cryptography in a thread; an interrupt a few
    milliseconds later, inside that import, once aborted the process (exit -6)."""
    for delay in (0.0, 0.005, 0.01, 0.02, 0.03, 0.05):
        server = start_server(spawn, port)
        time.sleep(delay)
        server.kill(signal.SIGINT)
        assert server.wait_exit() == 130, f"{delay * 1000:.0f} ms after the first draw"
        assert "FATAL" not in server.text()


def test_ctrl_c_at_a_prompt(spawn):
    client = spawn("--client")
    client.wait_for(ADDRESS_PROMPT)
    client.send("half typed")
    client.send(CTRL_C)
    assert client.wait_exit() == 130
    assert_terminal_restored(client)


def test_partner_killed_mid_chat(spawn, port):
    server, client = start_chat(spawn, port, client_extra=("--resume-window", "0"))
    server.kill(signal.SIGKILL)
    client.wait_for("Connection lost: the link to server broke (the connection was closed")
    assert client.wait_exit() == 1
    assert_terminal_restored(client)


# --- connecting --------------------------------------------------------------


def test_the_readmes_screen_is_the_screen(spawn, port):
    """The README's example, answer for answer and the status bar in its order."""
    readme = (ROOT / "README.md").read_text()
    server = start_server(spawn, port)
    client = spawn("--client")
    for answer, echo in (("", "localhost (default)"), (str(port), str(port)),
                         ("", "user (default)"), (pairing_code(server), "(given, not shown)")):
        client.type_line(answer)  # Enter alone where it can
        client.wait_for(echo)
    client.wait_for(CLIENT_PROMPT)
    example = next(line for line in readme.splitlines() if line.startswith(" your turn |"))
    assert client.lines()[-2].rstrip() == example.replace("8000", str(port))
    shown = client.text()
    for line in readme.splitlines():
        if line.startswith("Enter the ") and "port number" not in line:
            assert line in shown, line


def test_connection_refused_until_the_timeout(spawn, port):
    started = time.monotonic()
    client = start_client(spawn, port, "--timeout", "3")
    client.wait_until(lambda _: "trying again" in client.lines()[-2], "the tries on the status bar")
    assert client.wait_exit() == 1
    assert 2 <= time.monotonic() - started < 6  # tried again until the timeout
    assert client.text().count("Trying to connect to server....") == 1
    assert_left_on_terminal(
        client, f"Could not connect to 127.0.0.1:{port}: connection refused (is the server running?)")


def test_a_client_started_before_its_server_waits_for_it(spawn, port):
    """People start the two in either order (it used to exit at once: refused)."""
    client = start_client(spawn, port)
    client.wait_until(lambda _: f"no server on 127.0.0.1:{port} yet, trying again"
                      in client.lines()[-2], "the client's tries on the status bar")
    time.sleep(1.5)
    server = start_server(spawn, port)
    client.wait_for(CLIENT_PROMPT, timeout=5)
    client.type_line("I was first")
    server.wait_for(message_line("user", "I was first"))


def test_connect_timeout(spawn, blackhole_port):
    started = time.monotonic()
    client = start_client(spawn, blackhole_port, "--timeout", "1")
    client.wait_for("Trying to connect to server....")
    assert client.wait_exit() == 1
    assert time.monotonic() - started < 6
    assert_left_on_terminal(
        client, f"Could not connect to 127.0.0.1:{blackhole_port}: timed out after 1 s")


def test_handshake_timeout_when_the_server_never_answers(spawn, silent_port):
    client = start_client(spawn, silent_port, "--timeout", "1")
    assert client.wait_exit() == 1
    assert_left_on_terminal(
        client, f"Could not connect to 127.0.0.1:{silent_port}: connected, but no chat_curses "
        "answered within 1 s (is something else on that port?)")


def test_connecting_keeps_the_screen_alive(spawn, blackhole_port):
    client = start_client(spawn, blackhole_port, "--timeout", "30")
    client.wait_for("Trying to connect to server....")
    client.send(CTRL_C)  # answered at once, though the connect hangs
    assert client.wait_exit(timeout=5) == 130


def test_port_in_use_from_flags_exits_1(spawn, port):
    start_server(spawn, port)
    second = spawn("--server", "--host", "127.0.0.1", "--port", str(port), "--name", "two")
    assert second.wait_exit() == 1
    assert_left_on_terminal(second, f"Port {port} is already in use on 127.0.0.1")


def test_port_in_use_from_flags_is_said_before_the_name_is_asked(spawn, port):
    start_server(spawn, port)
    second = spawn("--server", "--host", "127.0.0.1", "--port", str(port))  # no --name
    assert second.wait_exit() == 1
    assert f"Port {port} is already in use on 127.0.0.1" in second.text()
    assert "Enter your username" not in second.raw.decode(errors="replace")


def test_port_in_use_from_the_prompt_asks_again(spawn, port):
    start_server(spawn, port)
    other_port = port + 1 if port < 65535 else port - 1
    second = spawn("--server", "--name", "two")
    second.wait_for(ADDRESS_PROMPT)
    second.type_line("127.0.0.1")
    second.wait_for(PORT_PROMPT)
    second.type_line(str(port))
    second.wait_for(f"Port {port} is already in use on 127.0.0.1")
    second.wait_until(lambda screen: screen.count(ADDRESS_PROMPT) == 2
                      and second.row(23).startswith(ADDRESS_PROMPT),
                      "the address prompt again")
    second.type_line("127.0.0.1")
    second.type_line(str(other_port))
    second.wait_until(lambda screen: WAITING in screen or "already in use" in screen.split(PORT_PROMPT)[-1],
                      "the second try")


def test_a_stranger_is_ignored_and_a_real_partner_still_gets_in(spawn, port):
    server = start_server(spawn, port)
    with socket.create_connection(("127.0.0.1", port)) as stranger:
        stranger.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        server.wait_for(re.compile(r"Ignored connection from 127\.0\.0\.1:\d+: .*its\s+handshake\s+is\s+"
                                   r"not\s+chat_curses's"))
    client = start_client(spawn, port)
    client.wait_for(CLIENT_PROMPT)
    client.type_line("still works")
    server.wait_for(message_line("user", "still works"))


def test_a_port_scanner_that_connects_and_leaves_is_noted(spawn, port):
    server = start_server(spawn, port)
    socket.create_connection(("127.0.0.1", port)).close()
    server.wait_for(re.compile(r"Ignored connection from 127\.0\.0\.1:\d+: it closed the connection"))
    assert "waiting on 127.0.0.1" in server.row(22)


def test_a_silent_connection_is_dropped_after_the_timeout(spawn, port):
    server = spawn("--server", "--host", "127.0.0.1", "--port", str(port), "--name", "server",
                   "--timeout", "1", cols=120)
    server.wait_for(WAITING)
    with socket.create_connection(("127.0.0.1", port)):
        started = time.monotonic()
        server.wait_for(re.compile(r"Ignored connection from 127\.0\.0\.1:\d+: no handshake within 1 s"),
                        timeout=5)
        assert time.monotonic() - started < 3
    client = start_client(spawn, port)
    client.wait_for(CLIENT_PROMPT)


def test_second_client_is_refused_while_a_chat_is_on(spawn, port):
    server, client = start_chat(spawn, port)
    intruder = start_client(spawn, port, name="intruder")
    assert intruder.wait_exit() == 1
    assert "Could not connect" in intruder.text()
    client.type_line("undisturbed")
    server.wait_for(message_line("user", "undisturbed"))


# --- the screen --------------------------------------------------------------


def test_resize_while_idle_redraws_at_once(spawn, port):
    server = start_server(spawn, port)
    # (the input line may be drawn a moment before the status bar above it)
    server.wait_until(lambda _: "waiting on 127.0.0.1" in server.row(22), "the status bar on row 22")
    server.resize(30, 100)
    server.wait_until(lambda _: "waiting on 127.0.0.1" in server.row(28), "the status bar on row 28")
    assert server.row(29).startswith("Waiting for a partner to connect...")
    server.resize(10, 40)
    server.wait_until(lambda _: server.row(8).startswith(" server | waiting on"), "the status bar on row 8")


def test_typing_edits_the_input_line(spawn, port):
    server, client = start_chat(spawn, port)
    client.send("helo")
    client.press("left")
    client.send("l")
    client.press("home")
    client.send(">")
    client.press("end")
    client.send("!!")
    client.press("backspace")
    client.press("home")
    client.press("delete")
    client.send("\r")
    server.wait_for(message_line("user", "hello!"))


def test_a_300_character_message_is_in_view_whole_as_it_is_typed(spawn, port):
    server, client = start_chat(spawn, port)
    text = "".join(f"{i:03d}." for i in range(75))  # 300 characters
    client.send(text)
    client.wait_until(lambda _: client.row(23).endswith("073.074."), "the end of the text in view")
    shown = "".join(client.lines()[19:24])  # the input area grew upwards: prompt + 5 rows
    assert shown.startswith(CLIENT_PROMPT) and shown.endswith(text)
    assert client.row(18).startswith(" your turn")  # the status bar sits above it
    row, column = client.cursor()
    assert row == 23 and column == client.row(23).index("074.") + 4
    client.send("\r")
    server.wait_for("000.001.002.")
    client.wait_until(lambda _: client.row(22).startswith(" server's turn"), "the area shrinks back")


# --- usage, before the screen starts -------------------------------------------


def run_plain(*args):
    return subprocess.run([sys.executable, str(PROGRAM), *args], cwd=ROOT, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=30)


@pytest.mark.parametrize("args, complaint", [
    ([], "one of the arguments --server --client is required"),
    (["--server", "--client"], "not allowed with argument"),
    (["--client", "--port", "70000"], "argument --port: Invalid port '70000': must be a number from 1 to 65535"),
    (["--client", "--host", "999.1.1.1"], "argument --host: Invalid address '999.1.1.1'"),
    (["--client", "--name", "x" * 40], "argument --name: Invalid username"),
    (["--client", "--timeout", "0"], "argument --timeout: Invalid timeout '0'"),
    (["--client", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_usage_errors_exit_2_naming_the_flag(args, complaint):
    result = run_plain(*args)
    assert result.returncode == 2
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr


def test_no_terminal_exits_2_with_one_line():
    result = run_plain("--client", "--port", "8000")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "a terminal is needed" in result.stderr


def test_help_says_the_keys_the_pairing_code_and_the_exit_codes():
    result = run_plain("--help")
    assert result.returncode == 0
    for words in ("end, Ctrl-D", "PgUp, PgDn", "the pairing code:", "exit codes:", "129"):
        assert words in result.stdout, words


def test_only_leaving_acts_while_the_terminal_is_too_small(spawn, port):
    server, client = start_chat(spawn, port)
    client.resize(2, 80)
    client.wait_for("Terminal too small")
    client.send("unseen")
    client.send(ENTER)
    time.sleep(0.5)
    client.resize(24, 80)
    client.wait_for(CLIENT_PROMPT)
    assert "unseen" not in client.text() + server.text()
    client.resize(2, 80)
    client.wait_for("Terminal too small")
    client.send(CTRL_C)  # leaving still acts
    assert client.wait_exit() == 130


def test_version():
    result = run_plain("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"chat_curses\.py \d+\.\d+\.\d+\n", result.stdout)


def test_unknown_terminal_type_is_said_in_words(spawn):
    client = spawn("--client", env={"TERM": "no-such-terminal"})
    assert client.wait_exit() == 2
    assert "cannot use this terminal" in client.text()
    assert "Traceback" not in client.text()


@pytest.mark.parametrize("term", ["dumb"])
def test_a_terminal_that_cannot_place_the_cursor_is_refused_with_2(spawn, term):
    client = spawn("--client", env={"TERM": term})
    assert client.wait_exit() == 2
    assert "cannot place the cursor" in client.flat()
    assert "Traceback" not in client.text()


def test_the_windows_keyboard_path_polled_through_curses_carries_a_whole_chat(spawn, port):
    # CHAT_CURSES_POLL_KEYBOARD=1 takes the path Windows needs (the console
    # cannot be selected, so curses' get_wch is polled), on this system.
    polled = {"CHAT_CURSES_POLL_KEYBOARD": "1"}
    server, client = start_chat(spawn, port, server_env=polled, client_env=polled)
    client.send("helo")
    client.press("left")
    client.send("l")
    client.send(ENTER)
    server.wait_for(message_line("user", "hello"))
    server.type_line("héllo back 漢字")
    client.wait_for(message_line("server", "héllo back 漢字"))
    client.send(CTRL_D)
    assert client.wait_exit() == 0 and server.wait_exit() == 0
