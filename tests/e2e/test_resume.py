"""End-to-end: a chat survives a broken link (SPEC 10).

The client talks to the server through ``FaultProxy``, which breaks the
link for real: it resets it, swallows its bytes while keeping it open, or
stops listening. Each test checks the transcripts both sides keep
(``--log``): every message once, in order.
"""

import re
import signal
import time

import pytest

from .terminal import CLIENT_PROMPT, CTRL_D, message_line, start_client, start_server

FAST = {"CHAT_CURSES_HEARTBEAT": "0.5"}  # a silent link is suspected after 1.5 s, lost after 5
WIDE = 120


def chat_through(spawn, port, proxy, tmp_path, window="300", env=FAST):
    server = start_server(spawn, port, "--log", str(tmp_path / "server.log"),
                          "--resume-window", window, env=env, cols=WIDE)
    client = start_client(spawn, proxy.port, "--log", str(tmp_path / "client.log"),
                          "--resume-window", window, env=env, cols=WIDE)
    client.wait_for(CLIENT_PROMPT)
    server.wait_for("Waiting for user...")
    return server, client


def say(sender, receiver, name, text):
    sender.type_line(text)
    receiver.wait_for(message_line(name, text))


def messages_in(log_path):
    """The messages in a transcript, in order: (name, text)."""
    found = re.findall(r"^<[^>]+> \[(\w+)\]: (.*)$", log_path.read_text(), re.MULTILINE)
    return found


def assert_every_message_once_in_order(tmp_path, expected):
    for side in ("server", "client"):
        assert messages_in(tmp_path / f"{side}.log") == expected, side


def test_a_reset_link_is_resumed_in_the_same_turn(spawn, port, proxy, tmp_path):
    server, client = chat_through(spawn, port, proxy, tmp_path)
    say(client, server, "user", "before the reset")
    proxy.reset()
    client.wait_for("Connection lost: ")
    server.wait_for("Waiting for user to come back")
    client.wait_for("Reconnected to server")
    server.wait_for("Reconnected to user")
    assert proxy.accepted == 2
    say(server, client, "server", "after the reset")  # the server's turn, as before
    say(client, server, "user", "and on")
    client.send(CTRL_D)
    assert client.wait_exit() == 0 and server.wait_exit() == 0
    assert_every_message_once_in_order(tmp_path, [
        ("user", "before the reset"), ("server", "after the reset"), ("user", "and on")])


def test_a_message_sent_into_a_dead_flow_arrives_exactly_once_by_a_new_path(spawn, port, proxy, tmp_path):
    server, client = chat_through(spawn, port, proxy, tmp_path)
    say(client, server, "user", "first")
    say(server, client, "server", "second")
    proxy.swallow()  # the route drops this flow; TCP does not know
    swallowed = time.monotonic()
    client.type_line("into the void")
    server.wait_for(message_line("user", "into the void"), timeout=10)
    # silent for three heartbeats (1.5 s), the client tried a new path beside it
    assert time.monotonic() - swallowed < 3.5
    client.wait_for("Reconnected to server (127.0.0.1:")
    assert "by a new path" in client.flat()
    assert "Connection lost" not in client.text() + server.text()
    say(server, client, "server", "got it")
    server.send(CTRL_D)
    assert client.wait_exit() == 0 and server.wait_exit() == 0
    assert_every_message_once_in_order(tmp_path, [
        ("user", "first"), ("server", "second"), ("user", "into the void"), ("server", "got it")])


def test_a_network_gone_dark_then_back_resumes_within_two_seconds_and_says_the_truth(
        spawn, port, proxy, tmp_path):
    """SPEC 10's outage screen: the loss in words that name the link, a live count of the
    seconds since the last contact, the next try and the key for it; back soon after."""
    server, client = chat_through(spawn, port, proxy, tmp_path)
    say(client, server, "user", "before the dark")
    proxy.blackhole()
    server.type_line("into the dark")
    server.wait_until(lambda _: "1 to deliver" in server.lines()[-2], "the count", timeout=3)
    client.wait_for("Connection lost: the link to server broke (", timeout=12)
    server.wait_for("Connection lost: the link to user broke", timeout=10)
    assert "server closed the connection" not in client.text()  # the link, not the partner
    assert "user closed the connection" not in server.text()
    counts = set()
    for _ in range(30):
        status = client.lines()[-2]
        if "last contact" in status:
            counts.add(status.split("last contact ")[1].split(" ago")[0])
        time.sleep(0.1)
    assert len(counts) >= 2, counts  # it moves, second by second
    assert "reconnecting" in status and ("(Ctrl-R: now)" in status or "trying now" in status)
    assert "waiting for user to come back, last contact" in server.lines()[-2]
    proxy.restore()
    back = time.monotonic()
    client.wait_for("Reconnected to server", timeout=10)
    took = time.monotonic() - back
    server.wait_for("Reconnected to user")
    assert took < 2.0, f"back {took:.2f} s after the network"
    client.wait_for(message_line("server", "into the dark"))
    say(client, server, "user", "after the dark")


def test_a_refusing_server_then_listening_resumes_within_two_seconds(spawn, port, proxy,
                                                                    tmp_path):
    server, client = chat_through(spawn, port, proxy, tmp_path)
    proxy.stop_listening()
    proxy.reset()
    client.wait_for("Reconnecting to")
    time.sleep(2.5)  # refused, again and again, about every second
    client.wait_until(lambda _: "next try in" in client.lines()[-2] or
                      "trying now" in client.lines()[-2], "the next try on the status bar")
    proxy.start_listening()
    back = time.monotonic()
    client.wait_for("Reconnected to server", timeout=10)
    took = time.monotonic() - back
    assert took < 2.0, f"back {took:.2f} s after the server listened again"


def test_writing_during_the_outage_is_delivered_when_the_link_is_back(spawn, port, proxy, tmp_path):
    server, client = chat_through(spawn, port, proxy, tmp_path)
    proxy.stop_listening()
    proxy.reset()
    client.wait_for("Reconnecting to")
    client.type_line("typed while away")
    client.wait_until(lambda _: "1 to deliver" in client.lines()[-2], "the count of what waits")
    proxy.start_listening()
    server.wait_for(message_line("user", "typed while away"), timeout=20)
    assert_every_message_once_in_order(tmp_path, [("user", "typed while away")])


def test_a_stranger_is_told_busy_while_the_server_waits_for_its_partner(spawn, port, proxy, tmp_path):
    server, client = chat_through(spawn, port, proxy, tmp_path)
    proxy.stop_listening()
    proxy.reset()
    server.wait_for("Waiting for user to come back")
    stranger = start_client(spawn, port, name="mallory", cols=WIDE)
    assert stranger.wait_exit() == 1
    assert (f"Could not connect to 127.0.0.1:{port}: the server is busy in another chat"
            in stranger.flat())
    proxy.start_listening()
    client.wait_for("Reconnected to server", timeout=20)
    say(client, server, "user", "still ours")


def test_when_the_window_runs_out_both_give_up(spawn, port, proxy, tmp_path):
    server, client = chat_through(spawn, port, proxy, tmp_path, window="2")
    proxy.stop_listening()
    proxy.reset()
    assert client.wait_exit(timeout=10) == 1 and server.wait_exit(timeout=10) == 1
    for side in (server, client):
        lines = [line for line in side.lines() if line]
        assert lines[-1].startswith("Connection lost: "), side.describe()


# --- a program that died comes back ----------------------------------------------------


def restart_client(spawn, proxy, tmp_path, window="300"):
    return start_client(spawn, proxy.port, "--log", str(tmp_path / "client.log"),
                        "--resume-window", window, env=FAST, cols=WIDE)


def test_a_client_killed_and_started_again_resumes_with_its_history(spawn, port, proxy, tmp_path,
                                                                   state_home):
    server, client = chat_through(spawn, port, proxy, tmp_path)
    say(client, server, "user", "before the crash")
    say(server, client, "server", "the reply")
    folder = state_home / "chat-curses"
    [saved] = [path for path in folder.iterdir() if path.name.startswith("client-")]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert oct(saved.stat().st_mode & 0o777) == "0o600"
    client.kill()
    server.wait_for("Waiting for user to come back")
    again = restart_client(spawn, proxy, tmp_path)
    again.wait_for("Resuming the chat with server")
    again.wait_for("Reconnected to server")
    assert message_line("server", "the reply").search(again.text())  # its history, shown again
    server.wait_for("Reconnected to user")
    say(again, server, "user", "after the crash")  # the same turn: the client's
    again.send(CTRL_D)
    assert again.wait_exit() == 0 and server.wait_exit() == 0
    assert not any(folder.iterdir())  # a clean end deletes the session files
    assert messages_in(tmp_path / "server.log") == [
        ("user", "before the crash"), ("server", "the reply"), ("user", "after the crash")]


def test_a_server_killed_and_started_again_is_found_by_its_waiting_client(spawn, port, proxy,
                                                                          tmp_path):
    server, client = chat_through(spawn, port, proxy, tmp_path)
    say(client, server, "user", "hello")
    server.kill()
    client.wait_for("Reconnecting to")
    again = start_server(spawn, port, "--log", str(tmp_path / "server.log"),
                         "--resume-window", "300", env=FAST, cols=WIDE)
    again.wait_for("Resuming the chat with user")
    client.wait_for("Reconnected to server", timeout=20)
    say(again, client, "server", "back from the dead")
    assert messages_in(tmp_path / "client.log") == [("user", "hello"),
                                                     ("server", "back from the dead")]


def test_sighup_ends_the_program_not_the_chat(spawn, port, proxy, tmp_path):
    server, client = chat_through(spawn, port, proxy, tmp_path)
    say(client, server, "user", "then my ssh session dies")
    client.kill(signal.SIGHUP)
    assert client.wait_exit() == 129
    server.wait_for("Waiting for user to come back")
    again = restart_client(spawn, proxy, tmp_path)
    again.wait_for("Reconnected to server")
    say(server, again, "server", "welcome back")


def test_a_saved_chat_older_than_its_window_is_dropped_and_a_new_one_starts(spawn, port, proxy,
                                                                            tmp_path):
    server, client = chat_through(spawn, port, proxy, tmp_path, window="2")
    client.kill()
    assert server.wait_exit(timeout=10) == 1  # the window ran out for the server too
    time.sleep(0.5)
    fresh = start_server(spawn, port, env=FAST, cols=WIDE)
    again = restart_client(spawn, proxy, tmp_path, window="2")
    again.wait_for("is older than its resume window; a new chat starts")
    again.wait_for(CLIENT_PROMPT)
    fresh.wait_for("Connection established.")


def test_a_damaged_session_file_is_set_aside_with_a_warning(spawn, port, state_home):
    folder = state_home / "chat-curses"
    folder.mkdir(mode=0o700)
    damaged = folder / f"client-127.0.0.1-{port}.session"
    damaged.write_text("this is not a session\n")
    server = start_server(spawn, port, cols=WIDE)
    client = start_client(spawn, port, cols=WIDE)
    client.wait_for("cannot be used")
    client.wait_for(CLIENT_PROMPT)
    server.wait_for("Connection established.")
    assert any(path.name.startswith(damaged.name + ".bad-") for path in folder.iterdir())


def test_a_server_saying_the_chat_is_over_proves_nothing_and_the_client_waits(
        spawn, port, proxy, tmp_path, state_home):
    """Anyone on the port can say it (SPEC 11): the client keeps its chat and its file."""
    server, client = chat_through(spawn, port, proxy, tmp_path)
    say(client, server, "user", "one")
    client.kill()
    server.send(CTRL_D)  # the server ends the chat while the client is away
    assert server.wait_exit() == 0
    # Another program on the port, which does not hold the chat (its own state folder):
    # what it says proves nothing.
    elsewhere = {**FAST, "XDG_STATE_HOME": str(tmp_path / "elsewhere")}
    fresh = start_server(spawn, port, env=elsewhere, cols=WIDE)
    again = restart_client(spawn, proxy, tmp_path)
    again.wait_for("proves nothing (the server said: that chat is over)")
    fresh.wait_for("it asked to resume a chat that is over")
    time.sleep(1.5)  # tried again, and again: still waiting, never given up
    assert again.proc.isalive() and "reconnecting" in again.text()
    assert (state_home / "chat-curses" / f"client-127.0.0.1-{proxy.port}.session").exists()


def test_a_forged_resume_proves_nothing_and_takes_nothing_over(spawn, port, proxy, tmp_path):
    from _chat_curses.wire.events import NotProven

    from .terminal import RawPeer

    server, client = chat_through(spawn, port, proxy, tmp_path)
    forger = RawPeer.connect(port)  # it knows the chat is on, not its resume secret
    with pytest.raises(NotProven, match="could not prove it holds this chat"):
        forger.secure("resume")
    forger.close()
    server.wait_for("Ignored connection from")
    assert "it could not prove it holds this chat" in server.text()
    say(client, server, "user", "undisturbed")
    assert "Reconnected" not in server.text()


def test_with_a_shared_secret_the_return_proves_it_again(spawn, port, proxy, tmp_path):
    secret = {**FAST, "CHAT_SECRET": "a long shared secret for this test only"}
    server, client = chat_through(spawn, port, proxy, tmp_path, env=secret)
    say(client, server, "user", "secret one")
    proxy.reset()
    client.wait_for("Reconnected to server")
    server.wait_for("Reconnected to user")
    say(server, client, "server", "secret two")
    assert_every_message_once_in_order(tmp_path, [("user", "secret one"), ("server", "secret two")])


def test_a_saved_chat_that_is_not_wanted_any_more_ends_with_ctrl_d(spawn, port, proxy, tmp_path,
                                                                  state_home):
    server, client = chat_through(spawn, port, proxy, tmp_path)
    client.kill()
    server.kill()
    again = start_server(spawn, port, "--resume-window", "300", env=FAST, cols=WIDE)
    again.wait_for("Resuming the chat with user")
    again.send(CTRL_D)
    assert again.wait_exit() == 0
    left = sorted(path.name for path in (state_home / "chat-curses").iterdir()
                  if path.name.startswith("server-"))
    assert left == [f"server-127.0.0.1-{port}.over"]  # only what proves it over, to tell user
