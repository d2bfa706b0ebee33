"""Tests of chat/core.py: the chat's own logic, fed events and times, read as frames and bytes.

No pty and no socket: the partner is a ``Protocol`` on the other side, which
decodes what the core sends and encodes what it receives.
"""

import pytest

from _chat_curses.chat.core import ChatCore
from _chat_curses.chat.effects import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, Effect
from _chat_curses.chat.setup import (
    ADDRESS_PROMPT,
    CODE_PROMPT,
    MESSAGE_PROMPTS,
    NAME_PROMPT,
    PORT_PROMPT,
    Settings,
)
from _chat_curses.text.keys import Key, Paste
from _chat_curses.wire.events import (
    NEED_DATA,
    Bye,
    ConnectionClosed,
    Message,
    Ping,
    RemoteProtocolError,
    Role,
)

from .helpers import T, connected, deliver, reconnect, sent, texts, typed

# --- setting up ---------------------------------------------------------------------


def test_the_questions_come_in_order_then_the_client_dials():
    core = ChatCore(Settings(role=Role.CLIENT))
    core.start()
    assert core.frame(T).prompt == ADDRESS_PROMPT
    typed(core, "999.1.1.1")
    assert texts(core)[-1].startswith("Invalid address '999.1.1.1'")
    assert core.frame(T).prompt == ADDRESS_PROMPT  # asked again
    typed(core, "")
    assert core.frame(T).prompt == PORT_PROMPT
    typed(core, "70000")
    assert texts(core)[-1] == "Invalid port '70000': must be a number from 1 to 65535"
    typed(core, "9000")
    assert core.actions == [Effect.RESTORE]  # the address is known: a chat saved for it?
    assert core.frame(T).prompt == NAME_PROMPT.format(default="user")
    typed(core, "")
    assert core.frame(T).prompt == CODE_PROMPT
    typed(core, "7 amber")
    assert texts(core)[-1].startswith("Invalid pairing code: a code is a number and two words")
    assert not any("amber" in line for line in texts(core)[:-1])  # not even a near miss
    typed(core, "7 Amber Otter")
    assert texts(core)[-1] == CODE_PROMPT + "(given, not shown)"  # the code is no log's
    assert core.actions == [Effect.RESTORE, Effect.DIAL]
    assert (core.host, core.port, core.name, core.setup.code) == ("localhost", 9000, "user",
                                                                  "7-amber-otter")
    core.reach.dialing(T)
    frame = core.frame(T)
    assert frame.editor is None and frame.prompt == "Connecting to localhost:9000..."
    assert "connecting to localhost:9000" in frame.status


def test_each_answer_stays_in_the_history_and_enter_alone_says_which_default_it_took():
    core = ChatCore(Settings(role=Role.CLIENT))
    core.start()
    for answer in ("", "8001", "  ", ""):
        typed(core, answer)
    assert texts(core) == [ADDRESS_PROMPT + "localhost (default)", PORT_PROMPT + "8001",
                           NAME_PROMPT.format(default="user") + "user (default)",
                           CODE_PROMPT + "none (default)"]


def test_flags_skip_the_questions_and_the_server_listens():
    core = ChatCore(Settings(role=Role.SERVER, host="127.0.0.1", port=8000, name="server"))
    core.start()
    assert core.actions == [Effect.RESTORE, Effect.LISTEN]
    core.reach.listening("127.0.0.1:8000")
    assert texts(core) == ["Trying to connect to another user...",
                           f"Pairing code for your partner: {core.reach.code}"]
    assert core.frame(T).prompt == "Waiting for a partner to connect..."


def test_a_port_in_use_asks_again_when_prompted_and_fails_when_flagged():
    prompted = ChatCore(Settings(role=Role.SERVER, name="server"))
    prompted.start()
    typed(prompted, "127.0.0.1")
    typed(prompted, "8000")
    prompted.reach.listen_failed("Port 8000 is already in use on 127.0.0.1")
    assert prompted.exit_code is None and prompted.frame(T).prompt == ADDRESS_PROMPT
    flagged = ChatCore(Settings(role=Role.SERVER, host="127.0.0.1", port=8000, name="server"))
    flagged.start()
    flagged.reach.listen_failed("Port 8000 is already in use on 127.0.0.1")
    assert flagged.exit_code == EXIT_FAILURE
    assert flagged.history.lines[-1].kind == "error"


def test_could_not_connect_names_the_target():
    core = ChatCore(Settings(role=Role.CLIENT, host="::1", port=8000, name="user", code=""))
    core.start()
    core.reach.dial_failed("connection refused (is the server running?)", T)
    assert texts(core)[-1] == "Could not connect to [::1]:8000: connection refused (is the server running?)"
    assert core.exit_code == EXIT_FAILURE


# --- turns --------------------------------------------------------------------------


def test_the_client_writes_first_then_waits_for_its_partner():
    core, partner = connected()
    frame = core.frame(T)
    assert frame.prompt == MESSAGE_PROMPTS[Role.CLIENT] and frame.editor is not None
    assert "your turn" in frame.status
    typed(core, "hello there")
    [message] = sent(core, partner)
    assert isinstance(message, Message) and message.text == "hello there"
    assert texts(core)[-1].endswith("[user]: hello there")
    frame = core.frame(T + 90)
    assert frame.editor is None and frame.prompt == "Waiting for server..."
    assert "server's turn, waiting 1 min" in frame.status


def test_keys_outside_ones_turn_change_nothing_and_send_nothing():
    core, partner = connected()
    typed(core, "first")
    sent(core, partner)
    core.on_items(["typed while locked", Key("left"), "\x7f", "\r"], T)
    assert core.editor.text == "" and sent(core, partner) == []


def test_the_partners_message_is_shown_and_gives_the_turn_back():
    core, partner = connected()
    typed(core, "first")
    sent(core, partner)
    deliver(core, partner, Message("hi \x1b[31m", 1681731763), T + 1)
    assert texts(core)[-1].endswith("[server]: hi ^[[31m")
    assert core.typing_message


@pytest.mark.parametrize("pasted, kept", [("hello\n", "hello"), ("two\nlines\n\n", "two\nlines"),
                                          ("\n", ""), ("no newline", "no newline")])
def test_a_paste_drops_the_line_breaks_it_ends_with(pasted, kept):
    core, partner = connected()
    core.on_items([Paste(pasted)], T)
    assert core.editor.text == kept and core.actions[-1:] != [Effect.FLASH]


def test_a_paste_outside_ones_turn_is_refused_visibly_as_a_key_is():
    core, partner = connected()
    typed(core, "my turn")
    sent(core, partner)
    core.actions.clear()
    core.on_items([Paste("pasted while it was not my turn")], T + 1)
    assert core.actions == [Effect.FLASH] and core.editor.text == ""
    assert core.frame(T + 1).prompt.startswith("It is server's turn")


def test_an_empty_message_is_refused_and_a_long_one_kept_to_be_cut():
    core, partner = connected()
    typed(core, "   ")
    assert texts(core)[-1] == "Invalid input: the message is empty"
    long = "é" * 40_000  # 80,000 bytes
    core.on_items([Paste(long)], T)
    core.on_items(["\r"], T)
    assert "too long" in texts(core)[-1] and core.editor.text == long
    assert sent(core, partner) == []


def test_enter_in_a_burst_of_keys_is_a_line_break_of_a_paste():
    core, partner = connected()
    core.on_items(["line one", "\r", "line two"], T)
    assert core.editor.text == "line one\nline two"
    core.on_items(["\r"], T, more_waiting=True)
    assert core.editor.text.endswith("\n")


def test_control_characters_typed_are_dropped_but_real_spaces_kept():
    core, _ = connected()
    core.on_items(["a\u00a0b\u3000c\u200bd"], T)
    assert core.editor.text == "a\u00a0b\u3000cd"


# --- the heartbeat -------------------------------------------------------------------


def test_a_quiet_link_is_pinged_and_a_silent_partner_is_lost():
    core, partner = connected(heartbeat=1.0, window=0)
    assert core.deadline() == T + 1.0
    core.tick(T + 0.9)
    assert sent(core, partner) == []
    core.tick(T + 1.0)
    assert sent(core, partner) == [Ping()]
    deliver(core, partner, Ping(), T + 1.5)
    assert core.deadline() == T + 2.0
    core.tick(T + 4.5)  # suspected: no new path without a window, and nothing said yet
    assert "no answer for 3 s" in core.frame(T + 4.5).status and core.exit_code is None
    assert not any("Connection lost" in text for text in texts(core))
    core.tick(T + 11.5)
    assert texts(core)[-1] == "Connection lost: the link to server broke (nothing came from it for 10 s)"
    assert core.exit_code == EXIT_FAILURE and core.deadline() is None


# --- endings -------------------------------------------------------------------------


@pytest.mark.parametrize("keys, code", [(["end", "\r"], EXIT_OK), (["\x04"], EXIT_OK),
                                        (["\x03"], EXIT_INTERRUPTED)])
def test_leaving_tells_the_partner_and_says_so(keys, code):
    core, partner = connected()
    for key in keys:
        core.on_items([key], T)
    assert sent(core, partner) == [Bye()]
    assert texts(core)[-2:] == ["User user left the chat.", "Shutting down connection..."]
    assert core.exit_code == code


def test_the_partner_leaving_ends_the_chat():
    core, partner = connected()
    deliver(core, partner, Bye())
    assert texts(core)[-2:] == ["User server left the chat.", "Shutting down connection..."]
    assert core.exit_code == EXIT_OK


def test_a_reason_from_the_partner_reads_as_theirs():
    core, partner = connected()
    deliver(core, partner, Bye("connection refused (is the server running?)"))
    assert texts(core)[-1] == ("Connection lost: server closed the connection; server said: "
                               "connection refused (is the server running?)")


def test_a_partner_breaking_the_protocol_is_told_why():
    core, partner = connected()
    core.broke_protocol(RemoteProtocolError("frame is not valid JSON"))
    [bye] = sent(core, partner)
    assert bye == Bye("protocol error: frame is not valid JSON")
    assert texts(core)[-1] == "Connection lost: server broke the protocol: frame is not valid JSON"


def test_ctrl_c_before_the_chat_cancels():
    core = ChatCore(Settings(role=Role.CLIENT))
    core.start()
    core.on_items(["\x03"], T)
    assert texts(core) == ["Cancelled before the chat began."]
    assert core.exit_code == EXIT_INTERRUPTED


# --- the screen's own keys -----------------------------------------------------------


def test_ctrl_l_and_ctrl_z_are_asked_of_the_shell_at_any_moment():
    core, _ = connected()
    typed(core, "locked now")
    core.actions.clear()
    core.on_items(["\x0c", "\x1a"], T)
    assert core.actions == [Effect.REPAINT, Effect.SUSPEND]


def test_paging_uses_the_pane_the_shell_reports():
    core, _ = connected()
    for number in range(50):
        core.history.add(f"line {number}")
    core.pane = (40, 10)
    core.on_items([Key("page_up")], T)
    frame = core.frame(T)
    assert frame.status.startswith(" more below (PgDn)")
    assert frame.scrollback.rows(frame.history, 40, 10)[-1][0] == "line 40"
    core.on_items([Key("page_down")], T)
    assert not core.frame(T).scrollback.scrolled


# --- a broken link, and resuming ------------------------------------------------------


def test_a_broken_link_waits_to_be_resumed_and_the_window_ends_it():
    core, partner = connected(window=60)
    core.received(ConnectionClosed(), T + 1)
    assert core.exit_code is None and core.actions[-1] == Effect.LINK_DOWN
    assert texts(core)[-2:] == ["Connection lost: the link to server broke (the connection was "
                                "closed without a goodbye)",
                                "Reconnecting to 127.0.0.1:8000; the chat waits up to 1 min."]
    status = core.frame(T + 31).status
    assert "reconnecting, last contact 30 s ago" in status
    assert core.deadline() == T + 1.25  # the first try again, a quarter second on
    core.tick(T + 1.25)
    assert core.actions[-1] is Effect.DIAL
    assert core.liveness.outage.since + 60 == T + 61  # the window: a minute from the contact
    core.tick(T + 60.9)
    assert core.exit_code is None
    core.tick(T + 61)
    assert texts(core)[-1] == "Connection lost: server did not come back within 1 min"
    assert core.exit_code == EXIT_FAILURE


def test_the_server_waits_for_its_partner_to_come_back():
    core, partner = connected(role=Role.SERVER, window=300, heartbeat=1.0)
    core.tick(T + 10)  # ten seconds without a word
    assert texts(core)[-2:] == ["Connection lost: the link to user broke (nothing came from it "
                                "for 10 s)",
                                "Waiting for user to come back, up to 5 min."]
    assert "waiting for user to come back" in core.frame(T + 16).status


def test_during_the_outage_one_can_write_on_ones_turn_and_the_status_counts_it():
    core, partner = connected(window=300)
    core.reach.link.broke("connection reset by peer", T)
    typed(core, "written while the link is down")
    assert texts(core)[-1].endswith("[user]: written while the link is down")
    assert "1 to deliver" in core.frame(T).status
    assert core.protocol is None and core.chat.delivery.waiting == 1
    ours, partner = reconnect(core, partner)  # it goes with the next connection
    core.reach.link.resumed(ours, "127.0.0.1:8000", T + 5)
    partner.receive_data(ours.resend())
    resent = partner.next_event()
    assert isinstance(resent, Message) and resent.text == "written while the link is down"
    assert resent.seq == 1 and partner.next_event() is NEED_DATA


def test_resumed_says_reconnected_and_the_heartbeat_starts_again():
    core, partner = connected(window=300)
    core.reach.link.broke("connection reset by peer", T)
    ours, _ = reconnect(core, partner)
    core.reach.link.resumed(ours, "127.0.0.1:8000", T + 5)
    assert texts(core)[-1] == "Reconnected to server (127.0.0.1:8000)."
    assert core.outage is None and core.deadline() == T + 10
    assert "connected" in core.frame(T + 5).status


def test_with_no_window_a_broken_link_ends_the_chat_at_once():
    core, partner = connected(window=0)
    core.reach.link.broke("connection reset by peer", T)
    assert texts(core)[-1] == "Connection lost: the link to server broke (connection reset by peer)"
    assert core.exit_code == EXIT_FAILURE


# --- alerts -----------------------------------------------------------------------------


def test_the_bell_rings_and_the_title_says_when_your_turn_comes():
    core, partner = connected()
    typed(core, "your move")
    sent(core, partner)
    assert core.frame(T).title == "chat_curses: server's turn"
    core.actions.clear()
    deliver(core, partner, Message("there", 1681731763))
    assert Effect.BELL in core.actions
    assert core.frame(T).title == "chat_curses: your turn (server wrote)"


def test_quiet_means_no_bell_and_no_title():
    core, partner = connected()
    core.settings.quiet = True
    typed(core, "your move")
    sent(core, partner)
    core.actions.clear()
    deliver(core, partner, Message("there", 1681731763))
    assert Effect.BELL not in core.actions and core.frame(T).title == ""


def test_a_message_not_acknowledged_within_two_seconds_is_counted_as_waiting_at_once():
    core, partner = connected()
    typed(core, "anyone there?", T)
    assert "to deliver" not in core.frame(T + 1.9).status
    assert core.deadline() == T + 2  # the screen changes then, though the link looks up
    core.tick(T + 2)
    assert "server's turn, waiting <1 min | 1 to deliver | connected" in core.frame(T + 2).status
    assert core.deadline() > T + 2
    sent(core, partner)
    deliver(core, partner, Ping(), T + 2.5)  # its acknowledgement, late
    assert "to deliver" not in core.frame(T + 2.5).status


def test_a_refused_key_flashes_and_says_whose_turn_it_is_for_a_moment():
    core, partner = connected()
    typed(core, "your move")
    sent(core, partner)
    deliver(core, partner, Ping(), T)  # acknowledged
    core.actions.clear()
    core.on_items(["x"], T)
    assert core.actions == [Effect.FLASH]
    assert core.frame(T + 1).prompt.startswith("It is server's turn")
    core.on_items(["y", "\r"], T + 0.1)  # a burst flashes once
    assert core.actions == [Effect.FLASH]
    assert core.deadline() == T + 0.1 + 3.0
    core.tick(T + 3.2)
    assert core.frame(T + 3.2).prompt == "Waiting for server..."
    assert core.editor.text == ""  # nothing typed then is sent later


# --- typing notices ------------------------------------------------------------------------


def test_typing_on_ones_turn_tells_the_partner_at_most_once_a_second():
    from _chat_curses.wire.events import Typing

    core, partner = connected(typing=True)
    core.on_items(["h"], T)
    core.on_items(["e"], T + 0.5)
    core.on_items(["y"], T + 1.0)
    assert sent(core, partner) == [Typing(), Typing()]
    core.on_items([Key("left")], T + 3)  # moving the cursor is not writing
    assert sent(core, partner) == []


def test_no_typing_notice_keeps_drafts_private():
    core, partner = connected()
    core.settings.typing_notice = False
    core.on_items(["secret draft"], T)
    assert sent(core, partner) == []


def test_the_partner_typing_shows_in_the_status_bar_until_it_stops_or_sends():
    from _chat_curses.wire.events import Typing

    core, partner = connected()
    typed(core, "your move")
    sent(core, partner)
    deliver(core, partner, Ping(), T)  # acknowledged
    deliver(core, partner, Typing(), T + 1)
    assert "server is typing..." in core.frame(T + 2).status
    assert core.deadline() == T + 4
    core.tick(T + 4)
    assert "server's turn" in core.frame(T + 4).status
    deliver(core, partner, Typing(), T + 5)
    deliver(core, partner, Message("done", 1681731763), T + 6)
    assert "is typing" not in core.frame(T + 6).status


def test_while_the_screen_is_too_small_only_leaving_acts():
    core, partner = connected()
    core.keys.only_leaving = True
    core.on_items(["unseen", "\r", Key("page_up")], T)
    assert core.editor.text == "" and sent(core, partner) == [] and not core.scrollback.scrolled
    core.on_items(["\x04"], T)  # Ctrl-D on an empty line: leave
    assert core.exit_code == EXIT_OK and sent(core, partner) == [Bye()]


def test_text_and_enter_in_one_burst_without_markers_are_sent_as_typed():
    """A fast typist, or tmux send-keys: the Enter at the end of the burst sends it."""
    core, partner = connected()
    core.on_items(["sent in one burst", "\r"], T)
    assert [event.text for event in sent(core, partner)] == ["sent in one burst"]
