"""Tests of chat/farewell.py: a chat given up is proved over to its partner, who drops it
and starts anew, so that neither is locked out; nothing unproven does it. Fake clock."""

from _chat_curses.chat.dialing import Failure, Outcome
from _chat_curses.chat.core import ChatCore
from _chat_curses.chat.effects import Effect
from _chat_curses.chat.setup import CODE_PROMPT, NAME_PROMPT, Settings
from _chat_curses.wire.events import GIVEN_UP, Bye, ConnectionClosed, Hello, Role
from _chat_curses.wire.handshake import Brings
from _chat_curses.wire.protocol import Protocol
from _chat_curses.wire.record import ChatRecord

from .helpers import T, connected, deliver, no_jitter, sent, texts

SECRET = bytes(range(32))


def a_core(role=Role.CLIENT, name=None, code=""):
    core = ChatCore(Settings(role=role, host="127.0.0.1", port=8000, name=name, code=code),
                    jitter=no_jitter)
    core.start()
    return core


def resumed(role, chat, partner_chat):
    """A connection on which both sides took their record up and said hello: ours, theirs."""
    ours, theirs = Protocol(role), Protocol(role.other)
    ours.take_up(chat)
    theirs.take_up(partner_chat)
    client, server = (ours, theirs) if role is Role.CLIENT else (theirs, ours)
    server.receive_data(client.send(client.hello("user")))
    server.next_event()
    client.receive_data(server.send(server.hello("server")))
    client.next_event()
    return ours, theirs


def a_server_telling_its_old_partner():
    """A server holding a chat it gave up, which the old partner just resumed, proved."""
    core = a_core(role=Role.SERVER, name="server")
    given_up = ChatRecord(SECRET, "user")
    core.reach.farewell.begin(given_up)
    ours, theirs = resumed(Role.SERVER, given_up, ChatRecord(SECRET, "server"))
    core.reach.found(ours, "127.0.0.1:5000", T)
    return core, theirs


def test_a_client_that_gave_up_a_chat_proves_it_over_first_while_the_questions_go_on():
    core = a_core()  # the name is still to be asked
    assert core.actions == [Effect.RESTORE]
    core.actions.clear()
    given_up = ChatRecord(SECRET, "server")
    core.reach.farewell.begin(given_up)  # the keeper found its proof
    assert core.actions == [Effect.DIAL]  # at once: the server shows its new code meanwhile
    assert core.reach.bring() == (Brings.RESUME, b"", SECRET)
    core.actions.clear()
    core.reach.dialing(T)
    assert "Trying to connect to server...." not in texts(core)
    core.on_items(["user"], T)
    core.on_items(["\r"], T)
    assert core.setup.question is None and core.actions == []  # the new chat waits for it
    ours, theirs = resumed(Role.CLIENT, given_up, ChatRecord(SECRET, "user"))
    assert core.reach.found(ours, "127.0.0.1:8000", T + 0.1) is False
    assert sent(core, theirs) == [Bye(GIVEN_UP)]
    assert not core.chatting and core.exit_code is None
    core.received(ConnectionClosed(), T + 0.2)  # the server dropped it, and closed
    assert core.actions == [Effect.LINK_DOWN, Effect.FORGET_OVER, Effect.DIAL]
    assert "server's program knows the chat you gave up is over." in texts(core)
    assert core.reach.farewell.chat is None and core.reach.bring() == (Brings.NONE, b"", b"")


def test_no_unproven_answer_makes_the_client_forget_its_proof():
    """ "No such chat" may come from anyone on the port while the server is down."""
    for kind in Outcome:
        core = a_core(name="user")
        core.actions.clear()
        core.reach.farewell.begin(ChatRecord(SECRET, "server"))
        core.actions.clear()
        core.reach.dialing(T)
        core.reach.handshake_failed(Failure("no", kind), T + 0.1)
        assert core.actions == [Effect.DIAL], kind  # the new chat, and the proof kept
        assert core.exit_code is None and not any("no" == line for line in texts(core))


def test_a_partner_proving_it_gave_up_makes_the_server_start_anew_with_a_new_code():
    core, partner = connected(role=Role.SERVER)
    core.reach.listening("127.0.0.1:8000")
    first_code = core.reach.code
    core.actions.clear()
    core.protocol.receive_data(partner.send(Bye(GIVEN_UP)))
    core.received(core.protocol.next_event(), T + 1)
    assert core.exit_code is None and core.chat is None and core.protocol is None
    assert core.actions == [Effect.LINK_DOWN, Effect.FORGET_SAVED]
    assert "user gave up the chat; a new chat starts." in texts(core)
    assert core.reach.code != first_code and texts(core)[-1].endswith(core.reach.code)
    assert core.reach.farewell.holds is None  # nothing given up here


def test_a_server_proving_it_gave_up_makes_the_client_start_anew():
    core, partner = connected()
    core.reach.link.broke("connection reset by peer", T)
    core.actions.clear()
    ours, theirs = resumed(Role.CLIENT, core.chat, partner.chat)
    core.reach.found(ours, "127.0.0.1:8000", T + 1)
    core.protocol.receive_data(theirs.send(Bye(GIVEN_UP)))
    core.received(core.protocol.next_event(), T + 1)
    assert core.exit_code is None and core.chat is None
    assert core.actions == [Effect.LINK_DOWN, Effect.FORGET_SAVED, Effect.DIAL]  # --code given
    assert "server gave up the chat; a new chat starts." in texts(core)


def test_without_a_code_flag_the_client_asks_for_the_new_code():
    core = a_core(name="user", code=None)
    core.on_items(["7-amber-otter"], T)
    core.on_items(["\r"], T)
    core.reach.restore(ChatRecord(SECRET, "server"), "127.0.0.1:8000", [], 1.0, T)
    core.actions.clear()
    core.reach.farewell.given_up()
    assert Effect.DIAL not in core.actions and core.setup.question.prompt == CODE_PROMPT
    core.on_items(["8-bison-raft"], T)
    core.on_items(["\r"], T)
    assert core.actions[-1] is Effect.DIAL and core.setup.code == "8-bison-raft"


def test_the_server_holds_a_given_up_chat_for_its_door_and_lets_it_go_once_told():
    core = a_core(role=Role.SERVER, name="server")
    given_up = ChatRecord(SECRET, "user")
    core.reach.farewell.begin(given_up)
    assert core.reach.farewell.holds is given_up and core.actions == [Effect.RESTORE,
                                                                       Effect.LISTEN]
    core.actions.clear()
    ours, theirs = resumed(Role.SERVER, given_up, ChatRecord(SECRET, "server"))
    core.reach.found(ours, "127.0.0.1:5000", T)
    assert sent(core, theirs) == [Bye(GIVEN_UP)]
    core.tick(T + core.settings.timeout)  # it never closed: told all the same, in time
    assert core.actions == [Effect.LINK_DOWN, Effect.FORGET_OVER]
    assert core.reach.farewell.holds is None and core.deadline() is None


def test_what_the_old_link_sends_again_is_ignored_and_its_goodbye_ends_it():
    core, theirs = a_server_telling_its_old_partner()
    core.actions.clear()
    core.received(Bye(GIVEN_UP), T)  # it gave the chat up too
    assert core.actions == [Effect.LINK_DOWN, Effect.FORGET_OVER]


def test_only_a_partner_that_said_goodbye_needs_no_proof_later():
    core, partner = connected()
    assert not core.reach.farewell.partner_ended
    deliver(core, partner, Bye(), T)
    assert core.reach.farewell.partner_ended


def test_the_name_question_is_still_asked_before_a_farewell_ends():
    core = a_core()
    core.reach.farewell.begin(ChatRecord(SECRET, "server"))
    assert core.setup.question.prompt.startswith(NAME_PROMPT.split("(")[0])


def test_a_new_partner_arriving_while_the_old_one_is_told_keeps_its_link():
    core, theirs = a_server_telling_its_old_partner()
    core.actions.clear()
    new, client = Protocol(Role.SERVER, resume_secret=bytes(32)), Protocol(Role.CLIENT)
    new.receive_data(client.send(Hello("newcomer")))
    new.next_event()
    client.receive_data(new.send(Hello("server")))
    core.reach.connected(new, "127.0.0.1:5001", T + 0.5)  # its link closed the old one
    assert Effect.LINK_DOWN not in core.actions and core.protocol is new
    assert "user's program knows the chat you gave up is over." in texts(core)
    core.reach.farewell.done(told=True)  # a second time: nothing more
    assert core.actions == [Effect.FORGET_OVER] and core.protocol is new
