"""End-to-end: saved chats you can trust, and one true transcript (SPEC 12).

Each test has its own ``XDG_STATE_HOME`` (the ``spawn`` fixture's); files are
planted, forged and limited there as a stranger, a crash or a full disk would.
"""

import json
import re
import shutil
import subprocess
import time

import pytest

from _chat_curses.chat.saved import Saved, header
from _chat_curses.wire.events import Role
from _chat_curses.wire.record import ChatRecord

from .terminal import CLIENT_PROMPT, CTRL_C, CTRL_D, message_line, start_client, start_server

FAST = {"CHAT_CURSES_HEARTBEAT": "0.5"}
WIDE = 120


def say(sender, receiver, name, text):
    sender.type_line(text)
    receiver.wait_for(message_line(name, text))


def flat(terminal):
    """What a terminal shows, its wrapped lines joined again."""
    return terminal.text().replace("\n    ", " ")


def wait_flat(terminal, expected, timeout=10):
    terminal.wait_until(lambda _: expected in flat(terminal), repr(expected), timeout)


def saved_files(state_home, role):
    folder = state_home / "chat-curses"
    return sorted(path for path in folder.iterdir() if path.name.startswith(f"{role}-")
                  and path.name.endswith(".session")) if folder.exists() else []


def plant(state_home, role, port, *lines):
    """A session file as another program (or a person) could write it: valid, with ``lines``."""
    saved = Saved(role=Role(role), host="127.0.0.1", port=port, name="user",
                  chat=ChatRecord(bytes(32), "server"), peer_address=f"127.0.0.1:{port}",
                  window=300.0)
    records = [header(saved, time.time() - 5)] + [{"line": text, "kind": kind}
                                                   for text, kind in lines]
    folder = state_home / "chat-curses"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{role}-127.0.0.1-{port}.session"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    path.chmod(0o600)
    return path


# --- private or refused ------------------------------------------------------------------


def test_a_forged_history_is_cleaned_on_the_screen_and_in_what_is_printed_at_exit(
        spawn, port, state_home):
    forged = "title\x1b]0;pwned\x07 clear\x1b[2J bell\x07\x07 \u202etxet desrever"
    plant(state_home, "client", port, (forged, "peer"))
    server = start_server(spawn, port, env=FAST, cols=WIDE)
    client = start_client(spawn, port, env=FAST, cols=WIDE)
    client.wait_for("Resuming the chat with server")
    client.wait_for("title^[]0;pwned^G clear^[[2J bell^G^G <U+202E>txet desrever")
    client.send(CTRL_D)
    assert client.wait_exit() == 0
    raw = bytes(client.raw)
    assert b"\x1b]0;pwned" not in raw and "\u202e".encode() not in raw
    assert b"bell\x07" not in raw
    assert "Trying to connect to another user..." in server.text()


def test_a_folder_others_can_write_is_refused_with_a_line_and_the_chat_goes_on(
        spawn, port, state_home):
    planted = plant(state_home, "client", port, ("planted", "peer"))
    planted.parent.chmod(0o777)
    server = start_server(spawn, port, env=FAST, cols=WIDE)
    client = start_client(spawn, port, env=FAST, cols=WIDE)
    wait_flat(client, "is refused: others can write the folder")
    client.wait_for(CLIENT_PROMPT)  # a new chat, unsaved
    server.wait_for("Connection established.")
    assert "planted" not in client.text()
    wait_flat(client, "cannot be saved for resuming: others can write the folder")


# --- a full disk -------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit (util-linux)")
def test_a_full_disk_stops_the_saving_with_a_line_and_leaves_no_stale_file(
        spawn, port, state_home):
    server = start_server(spawn, port, env=FAST, cols=WIDE)
    client = start_client(spawn, port, env=FAST, cols=WIDE)
    client.wait_for(CLIENT_PROMPT)
    say(client, server, "user", "saved")
    [path] = saved_files(state_home, "server")
    subprocess.run(["prlimit", f"--pid={server.proc.pid}",
                    f"--fsize={path.stat().st_size}"], check=True)
    say(server, client, "server", "one more")  # its record does not fit
    server.wait_for("Stopped saving the chat for resuming: ")
    assert saved_files(state_home, "server") == []  # what it lacks would resume it wrong
    say(client, server, "user", "the chat goes on")
    server.send(CTRL_D)
    assert server.wait_exit() == 0 and client.wait_exit() == 0
    assert server.text().count("Stopped saving") == 1
    fresh = start_server(spawn, port, env=FAST, cols=WIDE)  # nothing to take up
    assert "Resuming" not in fresh.text()
    newcomer = start_client(spawn, port, env=FAST, cols=WIDE, name="newcomer")
    newcomer.wait_for(CLIENT_PROMPT)
    fresh.wait_for("Waiting for newcomer...")


# --- never locked out --------------------------------------------------------------------


def chat(spawn, port, client_window="300"):
    server = start_server(spawn, port, "--resume-window", "300", env=FAST, cols=WIDE)
    client = start_client(spawn, port, "--resume-window", client_window, env=FAST, cols=WIDE)
    client.wait_for(CLIENT_PROMPT)
    server.wait_for("Waiting for user...")
    return server, client


def client_gone(spawn, port):
    """A server whose client said hello and was killed: it waits for it to come back."""
    server, client = chat(spawn, port)
    say(client, server, "user", "hello")
    client.kill()
    server.wait_for("Waiting for user to come back")
    return server


def proofs(state_home, role):
    folder = state_home / "chat-curses"
    return sorted(path.name for path in folder.iterdir()
                  if path.name.startswith(f"{role}-") and path.name.endswith(".over"))


@pytest.mark.parametrize("how", ["ctrl-c", "window"])
def test_a_client_that_gave_up_while_the_server_was_down_gets_in_at_once(spawn, port,
                                                                         state_home, how):
    server, client = chat(spawn, port, client_window="300" if how == "ctrl-c" else "3")
    say(client, server, "user", "hello")
    server.kill()
    client.wait_for("Reconnecting to")
    if how == "ctrl-c":
        client.send(CTRL_C)
        assert client.wait_exit() == 130
    else:  # its window is shorter than the server's will be
        assert client.wait_exit(timeout=10) == 1
    assert proofs(state_home, "client") == [f"client-127.0.0.1-{port}.over"]
    again = start_server(spawn, port, "--resume-window", "300", env=FAST, cols=WIDE)
    again.wait_for("Resuming the chat with user")
    wait_flat(again, "Ctrl-D: give up this chat")
    newcomer = start_client(spawn, port, env=FAST, cols=WIDE)
    wait_flat(newcomer, "server's program knows the chat you gave up is over.")
    newcomer.wait_for(CLIENT_PROMPT)
    again.wait_for("user gave up the chat; a new chat starts.")
    again.wait_for("Waiting for user...")
    assert proofs(state_home, "client") == []
    say(newcomer, again, "user", "a new chat")


def test_a_server_that_gave_up_while_the_client_was_away_tells_it_when_it_comes_back(
        spawn, port, state_home):
    server = client_gone(spawn, port)
    server.send(CTRL_D)
    assert server.wait_exit() == 0
    assert proofs(state_home, "server") == [f"server-127.0.0.1-{port}.over"]
    fresh = start_server(spawn, port, env=FAST, cols=WIDE)
    again = start_client(spawn, port, env=FAST, cols=WIDE)
    again.wait_for("Resuming the chat with server")
    again.wait_for("server gave up the chat; a new chat starts.")
    again.wait_for(CLIENT_PROMPT)
    fresh.wait_for("Waiting for user...")
    wait_flat(fresh, "user's program knows the chat you gave up is over.")
    assert proofs(state_home, "server") == [] and saved_files(state_home, "client") != []
    say(again, fresh, "user", "a new chat")


def test_fresh_gives_up_a_saved_chat_and_its_partner_is_told(spawn, port, state_home):
    server = client_gone(spawn, port)
    again = start_client(spawn, port, "--fresh", env=FAST, cols=WIDE)
    wait_flat(again, "The saved chat with server is given up (--fresh); a new chat starts.")
    again.wait_for(CLIENT_PROMPT)
    server.wait_for("user gave up the chat; a new chat starts.")
    assert "Resuming" not in again.text()
    say(again, server, "user", "from scratch")
    assert proofs(state_home, "client") == []


def test_after_an_ordinary_end_the_next_chat_starts_as_ever(spawn, port, state_home):
    """The goodbye may have gone into a dead link, so what proves the chat over stays;
    the next start finds the server has no such chat, and says nothing of it."""
    server, client = chat(spawn, port)
    client.type_line("end")
    assert client.wait_exit() == 0 and server.wait_exit() == 0
    assert proofs(state_home, "server") == []  # its partner ended it: nothing to prove
    fresh = start_server(spawn, port, env=FAST, cols=WIDE)
    again = start_client(spawn, port, env=FAST, cols=WIDE)
    again.wait_for(CLIENT_PROMPT)
    fresh.wait_for("Waiting for user...")
    assert again.text().count("Trying to connect to server....") == 1
    assert "knows the chat" not in again.text() + fresh.text()
    assert proofs(state_home, "client") == [] and saved_files(state_home, "server") != []


# --- found by where it goes --------------------------------------------------------------


def test_a_saved_chat_is_found_whether_the_address_was_typed_localhost_or_127_0_0_1(
        spawn, port, state_home):
    server = start_server(spawn, port, env=FAST, cols=WIDE)
    client = spawn("--client", "--host", "localhost", "--port", str(port), "--name", "user",
                   "--code", "", env=FAST, cols=WIDE)
    client.wait_for(CLIENT_PROMPT)
    say(client, server, "user", "via localhost")
    client.kill()
    server.wait_for("Waiting for user to come back")
    again = start_client(spawn, port, env=FAST, cols=WIDE)  # --host 127.0.0.1
    again.wait_for("Resuming the chat with server")
    again.wait_for("Reconnected to server")
    assert message_line("user", "via localhost").search(again.text())
    server.kill()  # and the server, started on localhost, comes back on 127.0.0.1
    again.wait_for("Reconnecting to")
    back = spawn("--server", "--host", "localhost", "--port", str(port), "--name", "server",
                 env=FAST, cols=WIDE)
    back.wait_for("Resuming the chat with user")
    again.wait_for("Reconnected to server", timeout=20)


def test_two_clients_through_one_forwarded_port_keep_a_file_each(spawn, port, proxy,
                                                                state_home):
    """Both reach 127.0.0.1:PROXY; the forward leads to another server for the second."""
    from .terminal import free_port

    first_server = start_server(spawn, port, env=FAST, cols=WIDE)
    first = start_client(spawn, proxy.port, env=FAST, cols=WIDE, name="ann")
    first.wait_for(CLIENT_PROMPT)
    other_port = free_port()
    second_server = start_server(spawn, other_port, env=FAST, cols=WIDE, name="other")
    proxy.target_port = other_port
    second = start_client(spawn, proxy.port, env=FAST, cols=WIDE, name="bob")
    second.wait_for(CLIENT_PROMPT)
    assert {path.name for path in saved_files(state_home, "client")} == {
        f"client-127.0.0.1-{proxy.port}.session", f"client-127.0.0.1-{proxy.port}.2.session"}
    first.type_line("end")
    assert first.wait_exit() == 0 and first_server.wait_exit() == 0
    assert [path.name for path in saved_files(state_home, "client")] == [
        f"client-127.0.0.1-{proxy.port}.2.session"]  # its own, only
    say(second, second_server, "bob", "still saved")
    second.kill()
    second_server.wait_for("Waiting for bob to come back")
    again = start_client(spawn, proxy.port, env=FAST, cols=WIDE, name="bob")
    again.wait_for("Resuming the chat with other")
    again.wait_for("Reconnected to other")
    say(second_server, again, "other", "welcome back")


# --- one true transcript -----------------------------------------------------------------


def logged(tmp_path, side):
    return (tmp_path / f"{side}.log").read_text()


def test_log_has_each_line_once_across_a_server_restart_and_a_client_restart(spawn, port,
                                                                            tmp_path):
    def server_start():
        return start_server(spawn, port, "--log", str(tmp_path / "server.log"), env=FAST,
                            cols=WIDE)

    def client_start(*extra):
        return start_client(spawn, port, "--log", str(tmp_path / "client.log"), *extra,
                            env=FAST, cols=WIDE)

    server, client = server_start(), client_start()
    client.wait_for(CLIENT_PROMPT)
    say(client, server, "user", "one")
    server.kill()
    client.wait_for("Reconnecting to")
    server = server_start()
    server.wait_for("Resuming the chat with user")
    client.wait_for("Reconnected to server", timeout=20)
    say(server, client, "server", "two")
    client.kill()
    server.wait_for("Waiting for user to come back")
    client = client_start("--name", "zed")  # and back under another name
    client.wait_for("Reconnected to server")
    wait_flat(client, "You were user in this chat; you are zed now.")
    server.wait_for("user is back as zed.")
    say(client, server, "zed", "three")
    server.type_line("end")
    assert client.wait_exit() == 0 and server.wait_exit() == 0
    expected = [("user", "one"), ("server", "two"), ("zed", "three")]
    for side in ("server", "client"):
        log = logged(tmp_path, side)
        found = re.findall(r"^<[^>]+> \[(\w+)\]: (.*)$", log, re.MULTILINE)
        assert found == expected, side  # both transcripts agree, each line once
        assert log.count("Connection established.") == 1, side
        assert len(re.findall(r"^--- chat with \w+ resumed at \w{3} \w{3} ", log,
                              re.MULTILINE)) == 1, side


def test_both_sides_end_with_the_same_conversation_digest_after_a_restart(spawn, port,
                                                                         tmp_path):
    server = start_server(spawn, port, "--log", str(tmp_path / "server.log"), env=FAST,
                          cols=WIDE)
    client = start_client(spawn, port, "--log", str(tmp_path / "client.log"), env=FAST,
                          cols=WIDE)
    client.wait_for(CLIENT_PROMPT)
    say(client, server, "user", "one")
    say(server, client, "server", "two")
    client.type_line("three, then a crash")
    client.wait_for(message_line("user", "three, then a crash"))
    client.kill()
    server.wait_for("Waiting for user to come back")
    client = start_client(spawn, port, "--log", str(tmp_path / "client.log"), env=FAST,
                          cols=WIDE)
    client.wait_for("Reconnected to server")
    server.wait_for(message_line("user", "three, then a crash"))
    say(server, client, "server", "four")
    client.type_line("end")
    assert client.wait_exit() == 0 and server.wait_exit() == 0
    last = [logged(tmp_path, side).splitlines()[-1] for side in ("client", "server")]
    assert re.fullmatch(r"Conversation digest: [a-z]+-[a-z]+-[a-z]+-4", last[0]), last
    assert last[0] == last[1]
    assert last[0] in flat(client) and last[0] in flat(server)  # the closing lines too


def test_a_saved_chat_older_than_the_window_given_now_is_given_up_and_its_partner_told(
        spawn, port, state_home):
    server = client_gone(spawn, port)
    time.sleep(2.5)
    again = start_client(spawn, port, "--resume-window", "2", env=FAST, cols=WIDE)
    wait_flat(again, "A saved chat with server is older than its resume window; a new chat "
                     "starts.")
    again.wait_for(CLIENT_PROMPT)  # never "Connection lost" with the server up and waiting
    server.wait_for("user gave up the chat; a new chat starts.")
    server.wait_for("Waiting for user...")
    assert "Connection lost" not in again.text()


def test_a_client_asked_its_name_and_code_tells_the_server_while_the_questions_wait(
        spawn, port, state_home):
    from .terminal import pairing_code

    server, client = chat(spawn, port)
    say(client, server, "user", "hello")
    server.kill()
    client.wait_for("Reconnecting to")
    client.send(CTRL_C)
    assert client.wait_exit() == 130
    again = start_server(spawn, port, "--resume-window", "300", env=FAST, cols=WIDE)
    again.wait_for("Resuming the chat with user")
    newcomer = spawn("--client", "--host", "127.0.0.1", "--port", str(port), env=FAST,
                     cols=WIDE)
    newcomer.wait_for("Enter your username")
    again.wait_for("user gave up the chat; a new chat starts.")  # the name still unanswered
    wait_flat(again, "Pairing code for your partner:")
    assert "is back as" not in again.text()
    newcomer.type_line("zed")
    newcomer.wait_for("Enter the pairing code")
    newcomer.type_line(pairing_code(again))
    newcomer.wait_for(CLIENT_PROMPT)
    again.wait_for("Waiting for zed...")
    assert "verified by the pairing code" in newcomer.text()


def test_up_brings_back_what_was_sent_before_the_program_died(spawn, port):
    server = start_server(spawn, port, env=FAST, cols=WIDE)
    client = start_client(spawn, port, env=FAST, cols=WIDE)
    client.wait_for(CLIENT_PROMPT)
    say(client, server, "user", "sent before the crash")
    say(server, client, "server", "your turn")
    client.kill()
    client = start_client(spawn, port, env=FAST, cols=WIDE)
    client.wait_for("Reconnected to server", timeout=20)
    client.press("up")
    client.wait_until(lambda _: client.lines()[-1].endswith(": sent before the crash"),
                      "the message brought back")
