"""Tests of the conversation's digest (wire/record.py, SPEC 12): equal on both sides
exactly when both saw the same messages in the same order, whatever was sent again."""

from _chat_curses.chat.lines import add_digest, goodbye
from _chat_curses.text.history import DIGEST, History
from _chat_curses.wire.events import NEED_DATA, Message, Role
from _chat_curses.wire.record import ChatRecord
from _chat_curses.words import WORDS, digest_words

from ..shared import SECRET, conversation_digest, pair

T0 = 1_700_000_000


def drain(protocol):
    events = []
    while (event := protocol.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def talk(sender, receiver, text, sent=T0):
    receiver.receive_data(sender.send(Message(text, sent)))
    return drain(receiver)


def test_both_sides_keep_the_same_digest_of_a_conversation():
    client, server = pair()
    assert client.chat.digest == server.chat.digest == b""
    talk(client, server, "hello")
    assert client.chat.digest == server.chat.digest != b""
    talk(server, client, "hi back")
    talk(client, server, "bye")
    assert client.chat.digest == server.chat.digest
    assert client.chat.messages == server.chat.messages == 3


def test_the_digest_is_the_chain_of_hmacs_spec_12_describes():
    client, server = pair()
    talk(client, server, "hello")
    talk(server, client, "héllo ☃")
    assert client.chat.digest == server.chat.digest == conversation_digest(
        [("client", 1, T0, "hello"), ("server", 1, T0, "héllo ☃")])


def test_a_message_sent_again_after_a_reconnect_is_not_counted_twice():
    client, server = pair()
    talk(client, server, "once")
    before = server.chat.digest
    server.receive_data(client.resend())  # the whole outbox again, as after a resume
    drain(server)
    assert server.chat.digest == before == client.chat.digest


def test_a_different_text_order_time_or_chat_gives_a_different_digest():
    def digest_of(conversation, secret=SECRET):
        chat = ChatRecord(secret, "server")
        for by, text, sent in conversation:
            if by is Role.CLIENT:
                chat.post(Message(text, sent), by)
            else:
                chat.delivery.accept(chat.delivery.received + 1)
                chat.chain(by, Message(text, sent, seq=chat.delivery.received))
                chat.turn = Role.CLIENT
        return chat.digest

    base = [(Role.CLIENT, "a", T0), (Role.SERVER, "b", T0)]
    assert digest_of(base) == digest_of(list(base))
    assert digest_of(base) != digest_of([(Role.CLIENT, "a", T0), (Role.SERVER, "c", T0)])
    assert digest_of(base) != digest_of([(Role.CLIENT, "a", T0), (Role.SERVER, "b", T0 + 1)])
    assert digest_of(base) != digest_of(base, secret=bytes(32))  # bound to the chat
    assert digest_of(base[:1]) != digest_of(base)


def test_the_digest_is_shown_as_three_words_and_a_count_before_the_seeds_closing_lines():
    digest = bytes([0, 1, 255]) + bytes(29)
    assert digest_words(digest, 4) == f"{WORDS[0]}-{WORDS[1]}-{WORDS[255]}-4"
    client, server = pair()
    talk(client, server, "hello")
    history = History()
    goodbye(history, server.chat, "user")
    assert [(line.text, line.kind) for line in history.lines] == [
        (f"Conversation digest: {digest_words(server.chat.digest, 1)}", DIGEST),
        ("User user left the chat.", "system"), ("Shutting down connection...", "system")]
    history = History()
    add_digest(history, None)
    add_digest(history, ChatRecord(SECRET, "s"))  # no message: nothing to compare
    assert history.lines == []


def test_the_log_writes_the_digest_last(tmp_path):
    from _chat_curses.shell.transcript import Transcript
    from _chat_curses.text.history import Line

    log = Transcript.open(str(tmp_path / "chat.log"))
    for line in (Line("Conversation digest: a-b-c-1", DIGEST), Line("User user left the chat."),
                 Line("Shutting down connection...")):
        log.write(line)
    log.close()
    assert (tmp_path / "chat.log").read_text().splitlines() == [
        "User user left the chat.", "Shutting down connection...",
        "Conversation digest: a-b-c-1"]
