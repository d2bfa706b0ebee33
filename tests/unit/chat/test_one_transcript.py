"""One true transcript (SPEC 12): what --log hears of (``History.on_add``) is each line
once; a restart says so with a dated separator; a new name is shown; a link that drops
and comes back again and again is one line. A clock of the test's own."""

from _chat_curses.chat.core import ChatCore
from _chat_curses.chat.setup import Settings
from _chat_curses.text.keys import Key
from _chat_curses.wire.events import Role
from _chat_curses.wire.protocol import Protocol
from _chat_curses.wire.record import ChatRecord

from .helpers import T, connected, no_jitter, reconnect, texts, typed

SECRET = bytes(range(32))


def logged_core(name="user"):
    core = ChatCore(Settings(role=Role.CLIENT, host="127.0.0.1", port=8000, name=name, code=""),
                    jitter=no_jitter)
    log = []
    core.history.on_add = lambda line: log.append(line.text)
    core.start()
    return core, log


def test_a_restored_history_is_shown_again_but_not_logged_again_and_a_separator_is():
    core, log = logged_core()
    old = [("Connection established.", "system"), ("<t> [user]: hello", "own")]
    core.reach.restore(ChatRecord(SECRET, "server"), "127.0.0.1:8000", old, 5.0, T, "user")
    assert texts(core)[:2] == ["Connection established.", "<t> [user]: hello"]
    assert not any(text in log for text, _ in old)
    assert log[0].startswith("--- chat with server resumed at ")
    assert log[0] == texts(core)[2]


def test_up_brings_back_the_messages_sent_before_the_program_stopped():
    core, _ = logged_core()
    old = [("<t> [user]: first", "own"), ("<t> [server]: theirs", "peer"),
           ("<t> [user]: two\n    lines", "own"), ("<t> [user]: not mine", "peer")]
    core.reach.restore(ChatRecord(SECRET, "server"), "127.0.0.1:8000", old, 5.0, T, "user")
    assert core.editor.sent == ["first", "two\n    lines"]
    core.on_items([Key("up")], T)
    assert core.editor.text == "two\n    lines"


def test_coming_back_under_another_name_is_said_on_both_sides():
    core, _ = logged_core(name="zed")  # restarted with --name zed; the file says nest
    core.reach.restore(ChatRecord(SECRET, "server"), "127.0.0.1:8000", [], 5.0, T, "nest")
    assert "You were nest in this chat; you are zed now." in texts(core)
    partner, _ = connected()  # the partner's side: it sees a new name in the resume hello
    partner.reach.link.broke("reset", T)
    ours, theirs = Protocol(Role.CLIENT), Protocol(Role.SERVER)
    ours.take_up(partner.chat)
    theirs.take_up(ChatRecord(SECRET, "user"))
    theirs.receive_data(ours.send(ours.hello("user")))
    theirs.next_event()
    ours.receive_data(theirs.send(theirs.hello("marlowe")))
    ours.next_event()
    partner.reach.link.resumed(ours, "127.0.0.1:8000", T + 1)
    assert "server is back as marlowe." in texts(partner)
    assert partner.chat.peer == "marlowe" and partner.peer_name == "marlowe"


def test_a_link_that_drops_and_comes_back_again_and_again_is_one_line_logged_once():
    core, partner = connected()
    log = []
    core.history.on_add = lambda line: log.append(line.text)
    core.reach.link.broke("reset", T)
    before = len(core.history.lines)
    for number in range(300):
        ours, partner = reconnect(core, partner)
        core.reach.link.resumed(ours, "127.0.0.1:8000", T + 1 + number * 0.001)
        core.reach.link.broke("reset", T + 1 + number * 0.001)
    ours, partner = reconnect(core, partner)
    core.reach.link.resumed(ours, "127.0.0.1:8000", T + 2)
    assert len(core.history.lines) == before + 1
    assert texts(core)[-1] == "Reconnected to server (127.0.0.1:8000) (the link dropped 300 " \
                              "more times)."
    assert len(log) == 2  # "Connection lost", "Reconnecting": the last line is not settled yet
    typed(core, "then a word", T + 3)
    assert log[-2:] == [texts(core)[-2], texts(core)[-1]] and len(log) == 4
    assert log[-2].startswith("Reconnected") and log[-1].endswith("then a word")
    assert core.liveness.outage is None and core.outage is None


def test_a_drop_after_a_message_is_told_in_full_again():
    core, partner = connected()
    core.reach.link.broke("reset", T)
    ours, partner = reconnect(core, partner)
    core.reach.link.resumed(ours, "127.0.0.1:8000", T + 1)
    typed(core, "hello", T + 1)
    core.reach.link.broke("reset again", T + 2)
    assert texts(core)[-2:] == ["Connection lost: the link to server broke (reset again)",
                                "Reconnecting to 127.0.0.1:8000; the chat waits up to 5 min."]


def test_last_contact_counts_from_the_last_frame_not_the_last_resume():
    core, partner = connected()
    core.reach.link.broke("reset", T + 1)
    ours, partner = reconnect(core, partner)
    core.reach.link.resumed(ours, "127.0.0.1:8000", T + 20)  # proved, then gone before a word
    core.reach.link.broke("reset", T + 20.1)
    assert "last contact 30 s ago" in core.frame(T + 30).status
    assert core.liveness.window_ends() == T + core.settings.resume_window
